"""A ticket's status along its lifecycle (DESIGN §4): the transition table, who may take which
transition, changing status, closing solved tickets and deleting."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk import memo
from tickets import caching, permissions, search, thumbnails
from tickets.attachments import delete_after_commit
from tickets.models import EventKind, Status, Ticket
from tickets.permissions import Action
from tickets.satisfaction import services as satisfaction_services
from tickets.services.changes import TicketChange, lock
from tickets.services.custom_fields import check_solvable
from tickets.services.validation import clean_choice, require_signed_in

#: Every allowed status change. Anything else is refused with a message.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.IN_PROGRESS: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
#: The transitions a requester may make on their own ticket: solve it, or reopen a solved one.
REQUESTER_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {(s, Status.SOLVED) for s in (Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD)}
    | {(Status.SOLVED, Status.OPEN)}
)
#: Statuses a requester's public reply turns back to open.
REOPENED_BY_REQUESTER_REPLY = frozenset({Status.PENDING, Status.SOLVED})


def set_status(change: TicketChange, new: str) -> None:
    """Move the changed ticket to ``new`` with its timestamps and one history entry (unchecked:
    callers check the transition first)."""
    ticket = change.ticket
    old = ticket.status
    if new == Status.SOLVED:
        change.set("solved_at", change.at)
    elif old == Status.SOLVED and new != Status.CLOSED:
        change.set("solved_at", None)
    if new == Status.CLOSED:
        change.set("closed_at", change.at)
    change.set("status", new)
    event = change.record(EventKind.STATUS_CHANGED, {"old": old, "new": new}, public=True)
    if new == Status.SOLVED:
        satisfaction_services.offer(change, event)  # every solve offers its requester a survey


def check_transition(actor: User, ticket: Ticket, new: str) -> None:
    """Raise unless ``actor`` may move ``ticket`` from its status to ``new``: a transition of the
    table, that they may take; agents solve only when the custom fields required on solving
    (``TicketField.required_on_solve``) that apply to the ticket have values."""
    old = ticket.status
    if new not in TRANSITIONS[old]:
        if old == Status.CLOSED:
            message = _("This ticket is closed; closed tickets cannot be reopened. Open a follow-up ticket instead.")
        else:
            message = _("A ticket cannot go from %(old)s to %(new)s.") % {
                "old": str(Status(old).label).lower(),
                "new": str(Status(new).label).lower(),
            }
        raise ValidationError({"status": [message]})
    if permissions.can(actor, Action.CHANGE, ticket):
        if new == Status.SOLVED:
            # The support side solves only with the fields the desk requires filled in; a
            # requester saying "it works now" is never held up by the agents' bookkeeping.
            check_solvable(ticket)
        return
    if (old, new) in REQUESTER_TRANSITIONS:
        permissions.authorize(actor, Action.SOLVE, ticket)
        return
    permissions.authorize(actor, Action.VIEW, ticket)
    raise PermissionDenied(_("You can only mark your ticket solved, or reopen it once it is solved."))


@memo.scoped
def ticket_change_status(*, actor: User, ticket: Ticket, status: str) -> Ticket:
    """Move ``ticket`` to ``status`` along ``TRANSITIONS``.

    Agents may take any allowed transition; the requester may only solve their ticket or reopen
    a solved one (``PermissionDenied`` otherwise). A transition not in the table is a
    ``ValidationError`` on ``status``. Setting the current status again changes nothing.
    """
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.VIEW, ticket)
    status = clean_choice(status, Status, "status")
    with transaction.atomic():
        ticket = lock(ticket)
        if ticket.status == status:
            return ticket
        check_transition(actor, ticket, status)
        change = TicketChange(ticket, actor, timezone.now())
        set_status(change, status)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return ticket


@memo.scoped
def ticket_autoclose(
    *, now: datetime | None = None, days: int | None = None, batch: int = 500, ticket_ids: list[int] | None = None
) -> int:
    """Close tickets that have been solved for longer than ``days`` (default: the desk's
    auto-close automation, from HELPDESK_AUTOCLOSE_DAYS) — only those of ``ticket_ids`` when
    given: the demo desk closes its tickets one by one. Runs the desk's own automation
    (``tickets.automations``): locked batches that skip rows another process holds, a system
    history event per ticket (actor: none, "via automation …"). Returns how many were closed.
    """
    from tickets import automations

    return automations.close_solved(now=now, days=days, batch=batch, ticket_ids=ticket_ids)


@memo.scoped
def ticket_delete(*, actor: User, ticket: Ticket) -> None:
    """Delete ``ticket`` with its conversation, history and files (admins only)."""
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.DELETE, ticket)
    with transaction.atomic():
        ticket = lock(ticket)
        files = list(ticket.attachments.values_list("file", "sha256"))
        pk = ticket.pk
        ticket.delete()
        search.remove([pk])
        delete_after_commit([name for name, _digest in files])
        thumbnails.delete_unused_after_commit({digest for _name, digest in files})
        caching.access_changed()  # rare (admins only): forget every cached count and figure
