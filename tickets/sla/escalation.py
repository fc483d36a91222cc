"""Escalation: who hears of an SLA clock about to breach or breached, and what its policy does
about a breach (issue 17).

Called under the clock's row lock, inside the transaction that records the warning or the breach
(``tickets.sla.sweeper``, and ``tickets.sla.refresh`` when a ticket change finds a clock overdue),
so the history event, the in-app notifications and the breach actions commit together or not at
all — and, the clock being locked, exactly once.

- **Recipients**, per policy (``SlaPolicy.warning_recipients`` / ``breach_recipients``): any of
  the assignee, the active staff members of the ticket's team, the active administrators. None
  chosen (the default): the first of assignee → team's members → administrators there is. When
  the chosen groups have nobody on a ticket (no assignee, no team), the administrators hear of it:
  an SLA event nobody hears of is the one failure escalation exists to prevent.
- **Notifications**: one in-app row per (event, recipient) — the table's unique key — written
  here; the email goes out after commit through the notification job like every other
  (``tickets.notifications``: in each recipient's language, marked sent per row, never twice).
- **Breach actions** (``SlaPolicy.breach_actions``): the rules engine's actions, carried out as
  the policy's ``acts_as`` through ``tickets.rules.actions.apply`` — the services' permissions,
  validation, history ("via SLA policy …") and notifications, as for a trigger. Actions the
  services refuse (a closed ticket, a person who may no longer work the team) are logged and
  skipped; the breach itself stands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tickets import permissions
from tickets.exceptions import Conflict
from tickets.models import Notification, NotificationKind, TicketEvent
from tickets.notifications.dispatch import announce_after_commit, is_muted
from tickets.rules import actions as rule_actions
from tickets.rules.context import SLA_POLICY
from tickets.sla.models import Audience, SlaClock, SlaPolicy

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

log = logging.getLogger("tickets.sla")

#: What the services may refuse: logged, never raised out of the sweep.
REFUSALS = (ValidationError, PermissionDenied, Conflict, Http404)


class Recipients:
    """Who hears of a clock's warning or breach, per policy. One per batch: the team's staff and
    the administrators are read once per batch, not once per clock."""

    def __init__(self) -> None:
        self._teams: dict[int, list[User]] = {}
        self._admins: list[User] | None = None

    def admins(self) -> list[User]:
        if self._admins is None:
            self._admins = list(permissions.active_admins().order_by("pk"))
        return self._admins

    def team(self, ticket: Ticket) -> list[User]:
        if ticket.team_id is None or ticket.team is None:
            return []
        found = self._teams.get(ticket.team_id)
        if found is None:
            found = self._teams[ticket.team_id] = list(
                permissions.staff_members().filter(pk__in=ticket.team.members.values("pk")).order_by("pk")
            )
        return found

    def fallback(self, ticket: Ticket) -> list[User]:
        """The default: the assignee; else the team's active staff; else the administrators."""
        if ticket.assignee is not None and ticket.assignee.is_active:
            return [ticket.assignee]
        return self.team(ticket) or self.admins()

    def of(self, clock: SlaClock, audiences: list[str]) -> list[User]:
        """For the policy's chosen ``audiences`` (empty: ``fallback``)."""
        chosen = [a for a in audiences if a in Audience.values]
        ticket = clock.ticket
        if not chosen:
            return self.fallback(ticket)
        people: dict[int, User] = {}
        if Audience.ASSIGNEE in chosen and ticket.assignee is not None and ticket.assignee.is_active:
            people[ticket.assignee.pk] = ticket.assignee
        if Audience.TEAM in chosen:
            for member in self.team(ticket):
                people.setdefault(member.pk, member)
        if Audience.ADMINS in chosen or not people:
            for admin in self.admins():
                people.setdefault(admin.pk, admin)
        return list(people.values())


def notify(
    recorded: list[tuple[SlaClock, TicketEvent]], kind: str, *, breach: bool, recipients: Recipients | None = None
) -> int:
    """The events' in-app notifications (once per recipient: the table's unique key), one
    insert for them all, and after commit their email. Returns how many notifications (none
    inside ``tickets.notifications.muted()``: demo data, imports)."""
    if is_muted():
        return 0
    recipients = recipients or Recipients()
    rows = [
        Notification(recipient=user, ticket=clock.ticket, event=event, kind=kind, created_at=event.created_at)
        for clock, event in recorded
        for user in recipients.of(clock, audiences(clock.policy, breach=breach))
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    for _clock, event in recorded:
        announce_after_commit(event.pk)
    return len(rows)


@dataclass
class Escalator:
    """One sweep's breach actions: each policy's actions parsed and its ``acts_as`` checked once."""

    _ready: dict[int, tuple[list[rule_actions.Action], User] | None] = field(default_factory=dict)

    def _prepare(self, policy: SlaPolicy) -> tuple[list[rule_actions.Action], User] | None:
        if policy.pk in self._ready:
            return self._ready[policy.pk]
        from accounts.models import User

        ready: tuple[list[rule_actions.Action], User] | None = None
        # Read afresh, not off the (possibly cached) policy: deactivated or demoted since counts.
        owner = User.objects.filter(pk=policy.acts_as_id).first() if policy.acts_as_id else None
        if owner is None:
            log.warning("SLA policy %s (%s) has breach actions but nobody they act as", policy.pk, policy.name)
        else:
            try:
                actions = rule_actions.parse(policy.breach_actions)
                rule_actions.check_owner(actions, owner)
            except ValidationError as error:  # e.g. a team deleted or a person demoted since
                log.warning("SLA policy %s (%s): breach actions skipped: %s", policy.pk, policy.name, error.messages)
            else:
                ready = (actions, owner)
        self._ready[policy.pk] = ready
        return ready

    def breached(self, clock: SlaClock) -> bool:
        """Carry out the clock's policy's breach actions on its ticket. True when they ran."""
        policy = clock.policy
        if policy is None or not policy.breach_actions:
            return False
        ready = self._prepare(policy)
        if ready is None:
            return False
        actions, owner = ready
        try:
            rule_actions.apply(actions, ticket=clock.ticket, actor=owner, kind=SLA_POLICY, rule=policy)
        except REFUSALS as error:
            log.warning(
                "SLA policy %s (%s): breach actions failed on ticket %s: %s",
                policy.pk,
                policy.name,
                clock.ticket_id,
                _message(error),
            )
            return False
        return True


def on_breaches(recorded: list[tuple[SlaClock, TicketEvent]], escalator: Escalator) -> int:
    """What follows recorded breaches (the sweeper's, or those a refresh found): the policies'
    recipients hear of them, and, while a target is still unmet, its policy's breach actions run
    (a target met late — the reply that stopped the clock came after the breach — needs no
    escalation any more). Returns how many breaches the actions ran for."""
    notify(recorded, NotificationKind.SLA_BREACHED, breach=True)
    return sum(escalator.breached(clock) for clock, _event in recorded if clock.fulfilled_at is None)


def on_warnings(recorded: list[tuple[SlaClock, TicketEvent]]) -> None:
    notify(recorded, NotificationKind.SLA_WARNING, breach=False)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or error.__class__.__name__


def audiences(policy: SlaPolicy | None, *, breach: bool) -> list[str]:
    if policy is None:
        return []
    chosen: Any = policy.breach_recipients if breach else policy.warning_recipients
    return [a for a in chosen if isinstance(a, str)] if isinstance(chosen, list) else []
