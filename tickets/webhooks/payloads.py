"""What a webhook says: the versioned JSON of each event type (README, Webhooks).

    {"type": "ticket.updated", "version": 1, "timestamp": "2026-11-30T10:00:00Z",
     "data": {"ticket": {...}, "actor": {"id": 3, "name": "Tom"} | null,
              "changes": [{"kind": "priority_changed", "old": "normal", "new": "high"}],
              "message": {...}}}

``ticket`` is the API's ticket (``TicketOut``, as an agent sees it, without the ``sla`` block);
``message`` (reply and note events) the API's message (``MessageOut``); ``changes`` the history
entries the change wrote, as ``/api/v1/tickets/{id}/events/`` shows their ``kind`` and ``data``.
An endpoint that is not internal never receives internal notes, nor files attached to them, and
its ``message_count`` counts public replies only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from rest_framework.utils.encoders import JSONEncoder

import helpdesk.api.urls  # noqa: F401  - registers the "id" path converter the API modules' routes use
from tickets.api.serializers import MessageOut, TicketOut
from tickets.models import EventKind, Message, Status, Ticket, TicketEvent
from tickets.satisfaction import selectors as satisfaction_selectors
from tickets.selectors.tickets import with_description
from tickets.webhooks.models import EventType

if TYPE_CHECKING:
    from tickets.services.changes import TicketChange

VERSION = 1
_CLOSED_SIDE = {Status.SOLVED, Status.CLOSED}


class _Site:
    """Stands in for the request the API serializers build absolute links from."""

    def build_absolute_uri(self, url: str) -> str:
        return settings.HELPDESK_SITE_URL.rstrip("/") + url


CONTEXT = {"request": _Site()}


class WebhookTicketOut(TicketOut):
    sla = None  # type: ignore[assignment]  # clocks change without history; not part of an event

    class Meta(TicketOut.Meta):
        fields = [name for name in TicketOut.Meta.fields if name != "sla"]


@dataclass
class Planned:
    """One message a change produces: its type, whether only internal endpoints may get it, and
    the history entries (and message) it is about."""

    type: str
    internal_only: bool = False
    events: list[TicketEvent] = field(default_factory=list)
    message_id: int | None = None


def plan(change: TicketChange) -> list[Planned]:
    """The messages ``change``'s history entries make, in order (see ``EventType``)."""
    events = change.events
    if any(event.kind == EventKind.CREATED for event in events):
        return [Planned(EventType.TICKET_CREATED, events=list(events))]
    planned: list[Planned] = []
    updated = Planned(EventType.TICKET_UPDATED)
    said = {
        event.data.get("message_id")
        for event in events
        if event.kind in (EventKind.MESSAGE_ADDED, EventKind.NOTE_ADDED)
    }
    for event in events:
        kind = event.kind
        if kind == EventKind.MESSAGE_ADDED:
            planned.append(Planned(EventType.TICKET_COMMENT_ADDED, events=[event], message_id=event.data["message_id"]))
        elif kind == EventKind.NOTE_ADDED:
            planned.append(
                Planned(EventType.TICKET_INTERNAL_NOTE_ADDED, True, events=[event], message_id=event.data["message_id"])
            )
        elif kind == EventKind.ATTACHMENT_ADDED and event.data.get("message_id") in said:
            continue  # listed with its message
        elif kind == EventKind.STATUS_CHANGED and event.data.get("new") == Status.SOLVED:
            planned.append(Planned(EventType.TICKET_SOLVED, events=[event]))
        elif kind == EventKind.STATUS_CHANGED and event.data.get("new") == Status.CLOSED:
            planned.append(Planned(EventType.TICKET_CLOSED, events=[event]))
        elif kind == EventKind.STATUS_CHANGED and event.data.get("old") in _CLOSED_SIDE:
            planned.append(Planned(EventType.TICKET_REOPENED, events=[event]))
        else:
            updated.events.append(event)
    if updated.events:
        planned.insert(0, updated)
    return planned


def _snapshot(ticket_id: int) -> Ticket:
    """The ticket as the API shows it to an agent, with both message counts and its latest
    satisfaction survey (three queries)."""
    messages = Message.objects.filter(ticket=OuterRef("pk")).order_by().values("ticket")
    every = Coalesce(Subquery(messages.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)
    public = Coalesce(
        Subquery(messages.filter(internal=False).annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
    )
    qs = satisfaction_selectors.with_latest(
        Ticket.objects.select_related("requester", "assignee", "team", "organization").prefetch_related("tags")
    )
    qs = with_description(qs).annotate(
        every_count=every, public_count=public, activity_at=F("updated_at"), reads_internal=Value(True)
    )
    return qs.get(pk=ticket_id)


def _change(event: TicketEvent) -> dict[str, Any]:
    return {"kind": event.kind, **event.data}


def _internal_entry(event: TicketEvent) -> bool:
    """History an endpoint that is not internal must not receive: files on internal notes."""
    return event.kind == EventKind.ATTACHMENT_ADDED and not event.public


class Builder:
    """Builds the payloads of one change, reading the ticket and messages once however many
    endpoints receive them."""

    def __init__(self, change: TicketChange):
        self.change = change
        self._ticket: Ticket | None = None
        self._tickets: dict[bool, dict[str, Any]] = {}
        self._messages: dict[int, dict[str, Any]] = {}

    def ticket(self, internal: bool) -> dict[str, Any]:
        if internal not in self._tickets:
            if self._ticket is None:
                self._ticket = _snapshot(self.change.ticket.pk)
            ticket = self._ticket
            ticket.message_count = ticket.every_count if internal else ticket.public_count  # type: ignore[attr-defined]
            self._tickets[internal] = dict(WebhookTicketOut(ticket, context=CONTEXT).data)
        return self._tickets[internal]

    def message(self, pk: int) -> dict[str, Any]:
        if pk not in self._messages:
            message = Message.objects.prefetch_related("attachments").get(pk=pk)
            self._messages[pk] = dict(MessageOut(message, context=CONTEXT).data)
        return self._messages[pk]

    def payload(self, planned: Planned, *, internal: bool) -> dict[str, Any]:
        actor = self.change.actor
        data: dict[str, Any] = {
            "ticket": self.ticket(internal),
            "actor": None if actor is None else {"id": actor.pk, "name": actor.name},
        }
        if planned.type != EventType.TICKET_CREATED:
            data["changes"] = [_change(e) for e in planned.events if internal or not _internal_entry(e)]
        if planned.message_id is not None:
            data["message"] = self.message(planned.message_id)
        return envelope(planned.type, self.change.at, data)


def envelope(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The outer shape every message shares, JSON-ready (dates as ISO 8601 strings)."""
    body = {"type": event_type, "version": VERSION, "timestamp": at, "data": data}
    return json.loads(json.dumps(body, cls=JSONEncoder))


def delivered_anywhere(planned: Planned) -> bool:
    """Whether an endpoint that is not internal gets anything of ``planned``."""
    if planned.internal_only:
        return False
    if planned.type == EventType.TICKET_UPDATED:
        return any(not _internal_entry(e) for e in planned.events)
    return True
