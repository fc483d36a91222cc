"""The transactional outbox: a ticket change writes its webhook deliveries in its own transaction.

``TicketChange.after_commit`` calls ``after_change`` while the change's transaction is still
open, so the delivery rows commit with the history they report, or roll back with it: a crash
between the commit and the send loses nothing (the sender finds the rows), and a change that
rolled back announces nothing.

Cost of a ticket write: with no active endpoint, one cache read (the active endpoints are
remembered per process and per version, bumped whenever an endpoint is saved or deleted); with
endpoints that want the change, one query for the ticket, one for its tags, one or two for the
message of a reply or note, and one bulk insert for every (message, endpoint) row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models.signals import post_delete, post_save

from tickets import caching

if TYPE_CHECKING:
    from tickets.services.changes import TicketChange

VERSION_KEY = "helpdesk:webhooks:endpoints:version"


@dataclass(frozen=True)
class Subscriber:
    id: int
    events: frozenset[str]
    internal: bool


_memo: dict[int, list[Subscriber]] = {}


def endpoints_changed() -> None:
    """Endpoints changed: every process reads them again (now, and again at commit)."""
    caching.changed_now_and_at_commit(VERSION_KEY)


def subscribers() -> list[Subscriber]:
    """The active endpoints (one cache read; one query per new version)."""
    (current,) = caching.versions([VERSION_KEY])
    found = _memo.get(current)
    if found is None:
        from tickets.webhooks.models import WebhookEndpoint

        rows = WebhookEndpoint.objects.filter(active=True).order_by("id").values_list("id", "events", "internal")
        found = [Subscriber(pk, frozenset(events or ()), internal) for pk, events, internal in rows]
        _memo.clear()
        _memo[current] = found
    return found


def after_change(change: TicketChange) -> None:
    """Write the deliveries of ``change`` (inside its transaction: call before it commits)."""
    if not change.events:
        return
    endpoints = subscribers()
    if not endpoints:
        return
    from tickets.webhooks import payloads
    from tickets.webhooks.models import WebhookDelivery
    from tickets.webhooks.signing import new_message_id

    planned = payloads.plan(change)
    builder = payloads.Builder(change)
    rows = []
    for endpoint in endpoints:
        for item in planned:
            if item.type not in endpoint.events:
                continue
            if not endpoint.internal and not payloads.delivered_anywhere(item):
                continue
            rows.append(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    message_id=new_message_id(),
                    event_type=item.type,
                    ticket_id=change.ticket.pk,
                    payload=builder.payload(item, internal=endpoint.internal),
                    next_attempt_at=change.at,
                    created_at=change.at,
                )
            )
    if rows:
        WebhookDelivery.objects.bulk_create(rows)


def _changed(sender, **kwargs) -> None:
    endpoints_changed()


def connect() -> None:
    from tickets.webhooks.models import WebhookEndpoint

    post_save.connect(_changed, sender=WebhookEndpoint, dispatch_uid="webhooks-endpoint-save")
    post_delete.connect(_changed, sender=WebhookEndpoint, dispatch_uid="webhooks-endpoint-delete")
