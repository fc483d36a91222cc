"""One service call's change to one ticket: the row lock, the history it writes, the save, and
what follows once the transaction commits.

A service opens a ``TicketChange`` on the ticket it has locked, records one history event per
change (``record`` writes the row and nothing else), saves the ticket, and then says what happens
after commit — explicitly, in its own body:

    change.after_commit(notify=True, expire_caches=True)

Both register ``transaction.on_commit`` callbacks, so a change that rolls back announces
nothing and invalidates nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk import memo
from tickets import caching, live, notifications, permissions, triggers
from tickets.exceptions import Conflict
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.rules import context as rule_context
from tickets.sla import hook as sla_hook
from tickets.webhooks import outbox as webhook_outbox

# What the statistics count (tickets.stats): solves and reopens, who holds which open ticket and
# in which team, and staff replies (replies, first responses). Nothing else changes a figure.
_STATISTICS_KINDS = {EventKind.STATUS_CHANGED, EventKind.ASSIGNED, EventKind.TEAM_CHANGED}


def person(user: User | None) -> dict[str, Any] | None:
    """How history stores a person: id and name at the time (survives a renamed account)."""
    return None if user is None else {"id": user.pk, "name": user.name}


def team_ref(team: Any) -> dict[str, Any] | None:
    return None if team is None else {"id": team.pk, "name": team.name}


def lock(ticket: Ticket) -> Ticket:
    """Re-read ``ticket`` with its row locked until the transaction ends."""
    # No joins here: under READ COMMITTED, PostgreSQL re-reads a locked row after waiting but not
    # the rows joined to it, so a joined assignee could be stale. Related rows load afterwards.
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def refuse_if_closed(ticket: Ticket, message: str | None = None) -> None:
    if ticket.status == Status.CLOSED:
        raise Conflict(
            message or _("This ticket is closed and can no longer be changed. Open a follow-up ticket instead.")
        )


_LAST_CHANGE = "ticket-last-change"


def last_change(ticket_id: int) -> TicketChange | None:
    """The last change made to ticket ``ticket_id`` in this request (``helpdesk.memo``; a
    trigger's, if one answered the change it followed), or None when none is known: outside a
    request, or after the memo was cleared (``permissions.grant_new_ticket`` clears it)."""
    return memo.remember((_LAST_CHANGE, ticket_id), lambda: None)


class TicketChange:
    """The history events one service call writes on ``ticket`` as ``actor`` (None: the system)
    at ``at``, and the fields it changes."""

    def __init__(self, ticket: Ticket, actor: User | None, at: datetime):
        self.ticket = ticket
        self.actor = actor
        self.at = at
        self.events: list[TicketEvent] = []
        self.changed: set[str] = set()
        self.related_changed = False  # tags, collaborators, files: rows beside the ticket's own
        self._teams: set[int | None] = set()
        self._people: set[int | None] = set()
        self._statistics = False
        self.sla_started = False  # the clocks started in this transaction (``tickets.sla.hook.start``)

    def set(self, field: str, value: Any) -> None:
        """Change one of the ticket's own fields (saved by ``save``)."""
        setattr(self.ticket, field, value)
        self.changed.add(field)

    def record(self, kind: str, data: dict[str, Any], *, public: bool) -> TicketEvent:
        """Write one history entry. Nothing else happens until the service asks for it."""
        ticket, actor = self.ticket, self.actor
        via = rule_context.current()
        if via is not None:
            data = {**data, "via": via}
        event = TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            actor_name=actor.name if actor is not None else "System",
            kind=kind,
            data=data,
            public=public,
            created_at=self.at,
        )
        self.events.append(event)
        # What the change touches for the caches: the ticket's team and assignee as they are now,
        # and both sides of a move or an assignment.
        self._teams.add(ticket.team_id)
        self._people.add(ticket.assignee_id)
        if kind == EventKind.TEAM_CHANGED:
            self._teams.update((side or {}).get("id") for side in (data.get("old"), data.get("new")))
        elif kind == EventKind.ASSIGNED:
            self._people.update((side or {}).get("id") for side in (data.get("old"), data.get("new")))
        if kind in _STATISTICS_KINDS or (
            kind == EventKind.MESSAGE_ADDED and permissions.counts_as_staff_activity(actor)
        ):
            self._statistics = True
        return event

    def save(self) -> None:
        """Save the changed fields with the new ``updated_at`` (also when only related rows changed),
        and the new ``public_activity_at`` when the change recorded a public event: what the
        requester can see moves their "last updated"; internal work (notes, tags, team moves,
        metadata) moves only the agents' ``updated_at``."""
        self.ticket.updated_at = self.at
        fields = self.changed | {"updated_at"}
        if any(event.public for event in self.events):
            self.ticket.public_activity_at = self.at
            fields.add("public_activity_at")
        self.ticket.save(update_fields=sorted(fields))

    def after_commit(self, *, notify: bool, expire_caches: bool) -> None:
        """Say what follows once the transaction commits (nothing, if it rolls back):
        ``notify`` queues the notifications of every recorded event (``tickets.notifications``);
        ``expire_caches`` expires the cached counts and statistics those events touched
        (``tickets.caching``). Every service says both, so neither happens by surprise.

        Open live streams hear of every change that wrote history, whatever the flags
        (``tickets.live``: sent at commit, dropped on rollback), and so do the triggers
        (``tickets.triggers``: run once committed, each at most once per change), and then the
        ticket's SLA clocks are refreshed (``tickets.sla.hook``: after the triggers, so their
        changes count; one cache read when no policy is active).

        Unlike the rest, the webhook deliveries are written now, in this transaction
        (``tickets.webhooks.outbox``: the transactional outbox; one cache read when no endpoint
        is active), so they commit or roll back with the change."""
        webhook_outbox.after_change(self)
        memo.put((_LAST_CHANGE, self.ticket.pk), self)
        if self.events:
            live.ticket_changed(self.ticket.pk)
        if notify:
            for event in self.events:
                notifications.announce_after_commit(event.pk)
        if expire_caches and self.events:
            caching.tickets_changed(statistics=self._statistics, teams=self._teams, people=self._people)
        # Then the triggers answer the committed change (``tickets.triggers``).
        triggers.after_change(self)
        # Registered after the triggers' callback: the clocks see what the triggers changed.
        sla_hook.after_change(self)
