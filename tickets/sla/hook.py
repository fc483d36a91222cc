"""Every committed ticket change refreshes the ticket's SLA clocks (issue 17).

``TicketChange.after_commit`` calls ``after_change`` right after the triggers' hook, so the
refresh is registered after the triggers' ``on_commit`` callback and sees what they changed (a
trigger that raises the priority retargets the clocks). The refresh itself is
``tickets.sla.refresh.sla_refresh``: idempotent, so a trigger chain refreshing several times
costs time, never a wrong clock.

Cost for a desk without SLA policies: one cache read. What the refresh needs of the policies
(``desk()``: the active policies with their parsed conditions, their targets by priority and
metric, the schedule ids — the default one and each team's — and each schedule's ``Calendar``) is remembered per process and per
version of the policies and schedules (``policies_changed`` bumps the version on every save or
delete of a policy, a target, a schedule, an interval or a holiday, as ``tickets.triggers`` does
for its definitions) and of the custom field definitions (the conditions may name them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from helpdesk import memo
from tickets import caching

if TYPE_CHECKING:
    from tickets.models import Message
    from tickets.rules.conditions import ConditionSet
    from tickets.services.changes import TicketChange
    from tickets.sla.businesstime import Calendar
    from tickets.sla.models import SlaPolicy, SlaTarget

log = logging.getLogger("tickets.sla")

VERSION_KEY = "helpdesk:sla:policies:version"


@dataclass
class Desk:
    """The active policies as the refresh reads them (pure data, shared by the process)."""

    # In position order, with their parsed conditions (a policy that no longer parses is left out).
    policies: list[tuple[SlaPolicy, ConditionSet]]
    # (policy id, priority) -> metric -> target, in metric order.
    targets: dict[tuple[int, str], dict[str, SlaTarget]]
    default_schedule_id: int | None
    # Whether any policy is active at all (even one whose conditions no longer parse).
    any_active: bool
    calendars: dict[int, Calendar] = field(default_factory=dict)
    # team id -> the schedule its tickets follow when their policy names none.
    team_schedules: dict[int, int] = field(default_factory=dict)

    def targets_for(self, policy: SlaPolicy, priority: str) -> dict[str, SlaTarget]:
        return self.targets.get((policy.pk, priority), {})

    def schedule_id(self, policy: SlaPolicy, team_id: int | None = None) -> int | None:
        """The schedule a ticket of ``team_id`` under ``policy`` counts in: the policy's own, else
        the team's, else the default one (None: no schedule at all)."""
        if policy.schedule_id is not None:
            return policy.schedule_id
        return self.team_schedules.get(team_id, self.default_schedule_id) if team_id else self.default_schedule_id

    def calendar(self, policy: SlaPolicy, team_id: int | None = None) -> Calendar | None:
        """The calendar of ``schedule_id(policy, team_id)`` (None: no schedule)."""
        from tickets.sla.models import Schedule

        schedule_id = self.schedule_id(policy, team_id)
        if schedule_id is None:
            return None
        found = self.calendars.get(schedule_id)
        if found is None:
            schedule = Schedule.objects.filter(pk=schedule_id).first()
            if schedule is None:
                return None
            found = self.calendars[schedule_id] = schedule.calendar()
        return found


_memo: dict[tuple[int, ...], Desk] = {}


def policies_changed() -> None:
    """Policies, targets or schedules changed: every process reads them again. Bumped at once
    (this transaction's readers) and again at commit (other processes')."""
    caching._bump([VERSION_KEY])
    memo.forget(DESK_MEMO)
    transaction.on_commit(lambda: caching._bump([VERSION_KEY]), robust=True)


def desk() -> Desk:
    """The active policies, compiled (one cache read a request; a few queries per new version)."""
    return memo.remember(DESK_MEMO, _current_desk)


DESK_MEMO = ("sla-desk",)


def _current_desk() -> Desk:
    from tickets.selectors.custom_fields import DEFINITIONS_KEY

    current = tuple(caching.versions([VERSION_KEY, DEFINITIONS_KEY]))
    found = _memo.get(current)
    if found is None:
        found = _load()
        _memo.clear()
        _memo[current] = found
    return found


def _load() -> Desk:
    from django.core.exceptions import ValidationError

    from tickets.rules import conditions
    from tickets.sla.models import Schedule, ScheduleTeam, SlaPolicy, SlaTarget

    policies = []
    active = list(SlaPolicy.objects.filter(active=True).order_by("position", "id"))
    for policy in active:
        try:
            policies.append((policy, conditions.parse(policy.conditions, allow_current_user=False)))
        except ValidationError:  # e.g. a custom field since deactivated: the policy cannot match
            log.warning("SLA policy %s has conditions that no longer parse", policy.pk)
    if not policies:
        return Desk([], {}, None, bool(active))
    targets: dict[tuple[int, str], dict[str, SlaTarget]] = {}
    for target in SlaTarget.objects.filter(policy__in=[p for p, _rule in policies]).order_by("metric", "priority"):
        targets.setdefault((target.policy_id, target.priority), {})[target.metric] = target
    default = Schedule.objects.filter(is_default=True).values_list("pk", flat=True).first()
    teams = dict(ScheduleTeam.objects.values_list("team_id", "schedule_id"))
    return Desk(policies, targets, default, True, team_schedules=teams)


def any_active() -> bool:
    """Whether any SLA policy is active (one cache read; one query per new version)."""
    return desk().any_active


def after_change(change: TicketChange) -> None:
    """Refresh the clocks of ``change``'s ticket once its transaction commits (after the
    triggers, registered just before) — unless the change already started them (``start``)."""
    if not change.events or change.sla_started or not any_active():
        return
    ticket_id = change.ticket.pk
    transaction.on_commit(lambda: refresh(ticket_id), robust=True)


def start(change: TicketChange, opening: Message) -> None:
    """Start the clocks of the ticket ``change`` creates, in its transaction (``refresh.sla_start``);
    the triggers' changes after the commit refresh them as any change does."""
    if not any_active():
        return
    from tickets.sla.refresh import sla_start

    sla_start(change.ticket, opening, change.at)
    change.sla_started = True


def refresh(ticket_id: int) -> None:
    from tickets.models import Ticket
    from tickets.sla.refresh import sla_refresh

    try:
        sla_refresh(Ticket(pk=ticket_id))
    except Ticket.DoesNotExist:  # deleted meanwhile (a trigger, or the change was a deletion)
        return


def _changed(sender, **kwargs) -> None:
    policies_changed()


def connect() -> None:
    from tickets.sla.models import Schedule, ScheduleHoliday, ScheduleInterval, ScheduleTeam, SlaPolicy, SlaTarget

    for model in (SlaPolicy, SlaTarget, Schedule, ScheduleInterval, ScheduleHoliday, ScheduleTeam):
        receiver(post_save, sender=model, dispatch_uid=f"sla-hook-save-{model.__name__}")(_changed)
        receiver(post_delete, sender=model, dispatch_uid=f"sla-hook-delete-{model.__name__}")(_changed)
