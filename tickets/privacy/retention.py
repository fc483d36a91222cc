"""The retention policy: closed tickets older than ``HELPDESK_RETENTION_CLOSED_MONTHS`` months
are anonymized or deleted (``HELPDESK_RETENTION_MODE``), in batches, each in its own transaction.

- **anonymize**: the requester becomes the desk's "Anonymous requester" account, CCs leave, the
  subject becomes "Anonymized ticket", every message body becomes a fixed sentence and customer
  authors' names "Anonymous requester", the files go from storage, satisfaction comments, raw
  mail, webhook payloads and the ticket's metadata go; status, priority, team, assignee, tags,
  custom fields, dates, history and ratings' scores stay (the statistics keep counting them).
  A history entry "anonymized the ticket (retention policy)" marks it; marked tickets are skipped
  next time (``metadata["retention"]``), so a run is idempotent.
- **delete**: the tickets go with their conversation, history, files (after commit), received
  mail and webhook delivery log.

Batches are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` where the database has it, so two
runs at once never take the same ticket; memory is bounded by ``batch``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.permissions import staff_members
from accounts.privacy.registry import PLACEHOLDER_DOMAIN, placeholder_account
from tickets import caching, permissions, search
from tickets.models import (
    Attachment,
    EventKind,
    InboundMessage,
    Message,
    SatisfactionRating,
    Status,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)
from tickets.privacy.erase import remove_files

ANONYMIZE, DELETE = "anonymize", "delete"
MODES = (ANONYMIZE, DELETE)
ANONYMOUS_EMAIL = f"anonymous-requester@{PLACEHOLDER_DOMAIN}"
ANONYMOUS_NAME = "Anonymous requester"
ANONYMIZED_SUBJECT = "Anonymized ticket"
ANONYMIZED_BODY = "[Removed by the retention policy.]"


def anonymous_requester() -> User:
    """The account anonymized tickets belong to (made on first use; inactive, no password)."""
    return placeholder_account(ANONYMOUS_EMAIL, ANONYMOUS_NAME)


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class RetentionResult:
    mode: str
    months: int
    cutoff: datetime | None
    dry_run: bool
    tickets: int = 0
    files: int = 0
    batches: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def due(cutoff: datetime, mode: str):
    """The closed tickets the policy acts on, oldest id first."""
    rows = Ticket.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff)
    if mode == ANONYMIZE:
        rows = rows.exclude(metadata__has_key="retention")
    return rows.order_by("pk")


def apply_retention(
    *,
    months: int | None = None,
    mode: str | None = None,
    dry_run: bool = False,
    batch: int = 200,
    now: datetime | None = None,
    actor: User | None = None,
) -> RetentionResult:
    """Apply the policy (the settings unless given). ``months`` 0: keep forever, nothing happens.
    A real run that is on writes one audit entry with its counts (``actor`` None: the desk's own
    account)."""
    months = settings.HELPDESK_RETENTION_CLOSED_MONTHS if months is None else months
    mode = settings.HELPDESK_RETENTION_MODE if mode is None else mode
    if mode not in MODES:
        raise ValueError(f"Unknown retention mode {mode!r}; use anonymize or delete.")
    if not months:
        return RetentionResult(mode=mode, months=0, cutoff=None, dry_run=dry_run)
    cutoff = months_before(now or timezone.now(), months)
    result = RetentionResult(mode=mode, months=months, cutoff=cutoff, dry_run=dry_run)
    if dry_run:
        rows = due(cutoff, mode)
        result.tickets = rows.count()
        result.files = Attachment.objects.filter(ticket__in=rows).count()
        return result
    placeholder = anonymous_requester() if mode == ANONYMIZE else None
    last = 0
    while True:
        with transaction.atomic():
            claim = due(cutoff, mode).filter(pk__gt=last)
            if connection.features.has_select_for_update_skip_locked:
                claim = claim.select_for_update(skip_locked=True)
            ids = list(claim.values_list("pk", flat=True)[:batch])
            if not ids:
                break
            last = ids[-1]
            files = list(Attachment.objects.filter(ticket_id__in=ids).values_list("pk", "file", "sha256", "ticket_id"))
            if mode == DELETE:
                _delete(ids, files)
            else:
                assert placeholder is not None
                _anonymize(ids, files, placeholder)
            result.tickets += len(ids)
            result.files += len(files)
            result.batches += 1
    if result.tickets:
        caching.access_changed()
    from accounts.privacy.services import record

    action = (
        gettext_noop("Retention: tickets deleted") if mode == DELETE else gettext_noop("Retention: tickets anonymized")
    )
    with transaction.atomic():
        record(
            actor,
            action,
            {
                gettext_noop("Tickets"): result.tickets,
                gettext_noop("Files deleted"): result.files,
                gettext_noop("Closed before"): cutoff.date().isoformat(),
                gettext_noop("Months"): months,
            },
            repr_="Retention policy",
        )
    return result


def _delete(ids: list[int], files: list[tuple[int, str, str, int]]) -> None:
    from tickets import thumbnails
    from tickets.attachments import delete_after_commit

    InboundMessage.objects.filter(ticket_id__in=ids).delete()
    WebhookDelivery.objects.filter(ticket_id__in=ids).delete()
    Ticket.objects.filter(pk__in=ids).delete()
    delete_after_commit([name for _pk, name, _digest, _ticket in files])
    thumbnails.delete_unused_after_commit({digest for _pk, _name, digest, _ticket in files})


def _anonymize(ids: list[int], files: list[tuple[int, str, str, int]], placeholder: User) -> None:
    at = timezone.now()
    remove_files(files)
    customers = Message.objects.filter(ticket_id__in=ids, author_role="customer")
    customers.update(author=placeholder, author_name=ANONYMOUS_NAME)
    Message.objects.filter(ticket_id__in=ids).update(body=ANONYMIZED_BODY)
    # Everything the customer side did (the requester, CCs, colleagues): the support side keeps its names.
    others = TicketEvent.objects.filter(ticket_id__in=ids, actor__isnull=False)
    others.exclude(actor__in=staff_members(active=False)).update(actor=placeholder, actor_name=ANONYMOUS_NAME)
    changed = []
    anonymous = {"id": placeholder.pk, "name": ANONYMOUS_NAME}
    kinds = [EventKind.CREATED, EventKind.SUBJECT_CHANGED, EventKind.COLLABORATOR_ADDED, EventKind.COLLABORATOR_REMOVED]
    for event in TicketEvent.objects.filter(ticket_id__in=ids, kind__in=kinds).only("pk", "kind", "data"):
        if event.kind == EventKind.CREATED:
            event.data = {**(event.data or {}), "subject": ANONYMIZED_SUBJECT, "requester": anonymous}
        elif event.kind == EventKind.SUBJECT_CHANGED:
            event.data = {"old": ANONYMIZED_SUBJECT, "new": ANONYMIZED_SUBJECT}
        else:
            event.data = {"user": anonymous}
        changed.append(event)
    TicketEvent.objects.bulk_update(changed, ["data"], batch_size=500)
    Ticket.collaborators.through.objects.filter(ticket_id__in=ids).delete()
    # The tickets leave their requester and organization below: so does their access (teams keep theirs).
    permissions.revoke_customer_access(ids)
    SatisfactionRating.objects.filter(ticket_id__in=ids).update(comment="", requester=placeholder)
    InboundMessage.objects.filter(ticket_id__in=ids).update(raw=b"", envelope_sender=ANONYMOUS_EMAIL)
    WebhookDelivery.objects.filter(ticket_id__in=ids).delete()
    Ticket.objects.filter(pk__in=ids).update(
        requester=placeholder,
        organization=None,
        subject=ANONYMIZED_SUBJECT,
        metadata={"retention": {"anonymized_at": at.isoformat()}},
    )
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=pk,
                actor=None,
                actor_name="System",
                kind=EventKind.TICKET_ANONYMIZED,
                data={},
                public=False,
                created_at=at,
            )
            for pk in ids
        ]
    )
    search.index_tickets(ids)
