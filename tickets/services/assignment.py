"""Who holds a ticket and which team it is routed to: assigning, claiming, taking the next
ticket from a queue, and moving between teams (access moves with the ticket)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from helpdesk import memo
from tickets import permissions
from tickets.exceptions import Conflict
from tickets.models import EventKind, Status, Ticket
from tickets.permissions import Action
from tickets.services.changes import TicketChange, lock, person, refuse_if_closed, team_ref
from tickets.services.lifecycle import set_status
from tickets.services.validation import require_signed_in


def validate_assignee(assignee: User | None, team: Team | None) -> None:
    """Raise ``ValidationError`` on ``assignee`` unless they may hold a ticket of ``team``."""
    if assignee is None:
        return
    if not permissions.works_tickets(assignee):
        raise ValidationError({"assignee": [_("%(name)s is not an active agent.") % {"name": assignee.name}]})
    if not permissions.may_be_assigned(assignee, team):
        if team is not None:
            message = _("%(name)s cannot work team %(team)s.") % {"name": assignee.name, "team": team.name}
        else:
            message = _("%(name)s cannot work tickets without a team.") % {"name": assignee.name}
        raise ValidationError({"assignee": [message]})


def assign(change: TicketChange, assignee: User | None, **extra: object) -> None:
    """Give the changed ticket to ``assignee`` with one history entry (unchecked)."""
    data = {"old": person(change.ticket.assignee), "new": person(assignee), **extra}
    change.record(EventKind.ASSIGNED, data, public=True)
    change.set("assignee", assignee)


def move_team(change: TicketChange, team: Team | None, *, keep_assignee: bool) -> None:
    """Route the changed ticket to ``team``: the old team's access goes, the new team's comes,
    and an assignee who cannot work the new team is unassigned (unless the caller sets one)."""
    ticket = change.ticket
    old = ticket.team
    if old is not None:
        permissions.revoke_team(ticket, old)
    if team is not None:
        permissions.grant_team(ticket, team)
    unassign = (
        not keep_assignee and ticket.assignee is not None and not permissions.may_be_assigned(ticket.assignee, team)
    )
    data: dict[str, Any] = {"old": team_ref(old), "new": team_ref(team)}
    if unassign:
        # Why the assignee goes is internal, like the move itself: it is said in the internal
        # team-move entry; the requester's history only shows that nobody handles the ticket now.
        data.update(unassigned=person(ticket.assignee), reason="cannot work the new team")
    change.record(EventKind.TEAM_CHANGED, data, public=False)
    change.set("team", team)
    if unassign:
        assign(change, None)


@memo.scoped
def ticket_assign(*, actor: User, ticket: Ticket, assignee: User | None) -> Ticket:
    """Give ``ticket`` to ``assignee`` (None: unassign). The assignee must be an active agent
    who may work the ticket's team. Assigning the current assignee changes nothing."""
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.ASSIGN, ticket)
    with transaction.atomic():
        ticket = lock(ticket)
        refuse_if_closed(ticket)
        if ticket.assignee_id == (assignee.pk if assignee else None):
            return ticket
        validate_assignee(assignee, ticket.team)
        change = TicketChange(ticket, actor, timezone.now())
        assign(change, assignee)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return ticket


@memo.scoped
def ticket_claim(*, actor: User, ticket: Ticket, force: bool = False) -> Ticket:
    """Assign ``ticket`` to the acting agent; an open ticket becomes in progress.

    The row is locked, so of two agents claiming at once exactly one wins; the other gets a
    ``Conflict`` naming the holder. An admin may take a held ticket with ``force=True``.
    Claiming a ticket one already holds changes nothing.
    """
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.CLAIM, ticket)
    with transaction.atomic():
        ticket = lock(ticket)
        refuse_if_closed(ticket)
        if ticket.assignee_id == actor.pk:
            return ticket
        if ticket.assignee_id is not None and not (force and permissions.may_force_claim(actor, ticket)):
            assert ticket.assignee is not None
            raise Conflict(_("%(name)s already holds this ticket.") % {"name": ticket.assignee.name})
        validate_assignee(actor, ticket.team)
        change = TicketChange(ticket, actor, timezone.now())
        assign(change, actor, claimed=True)
        if ticket.status == Status.OPEN:
            set_status(change, Status.IN_PROGRESS)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return ticket


@memo.scoped
def ticket_release(*, actor: User, ticket: Ticket) -> Ticket:
    """Give back a ticket the acting agent holds: it becomes unassigned (and open again if it
    was in progress), so it returns to the Unassigned view for anyone to claim.

    Only the holder releases this way (others reassign through ``ticket_assign``); a ticket
    someone else took in the meantime is a ``Conflict``. Releasing an unassigned ticket changes
    nothing.
    """
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.CLAIM, ticket)
    with transaction.atomic():
        ticket = lock(ticket)
        refuse_if_closed(ticket)
        if ticket.assignee_id is None:
            return ticket
        if ticket.assignee_id != actor.pk:
            assert ticket.assignee is not None
            raise Conflict(_("%(name)s holds this ticket now.") % {"name": ticket.assignee.name})
        change = TicketChange(ticket, actor, timezone.now())
        assign(change, None, released=True)
        if ticket.status == Status.IN_PROGRESS:
            set_status(change, Status.OPEN)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return ticket


@memo.scoped
def claim_next(*, actor: User, queryset: QuerySet[Ticket] | None = None) -> Ticket | None:
    """Claim the oldest unassigned open ticket ``actor`` may work, skipping rows other agents
    are claiming right now (``SKIP LOCKED`` on PostgreSQL). None when there is nothing left."""
    actor = require_signed_in(actor)
    if not permissions.may_claim_tickets(actor):
        raise PermissionDenied(_("Only agents can claim tickets."))
    base = permissions.visible_tickets(actor, queryset).filter(assignee__isnull=True, status=Status.OPEN)
    with transaction.atomic():
        candidate = base.order_by("created_at", "id").select_for_update(skip_locked=True, of=("self",)).first()
        if candidate is None:
            return None
        return ticket_claim(actor=actor, ticket=candidate)


@memo.scoped
def ticket_route(*, ticket: Ticket, team: Team) -> Ticket:
    """Route a new ticket to ``team`` as the system (no actor): what a channel's own setting
    decides, such as the team of the mailbox an email came to. Access and history follow as for
    a move by an agent; the team hears of the new ticket."""
    with transaction.atomic():
        ticket = lock(ticket)
        if ticket.team_id == team.pk:
            return ticket
        change = TicketChange(ticket, None, timezone.now())
        move_team(change, team, keep_assignee=False)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return ticket
