"""Which policy applies to a ticket, and bringing its clocks in line with its facts.

``sla_refresh(ticket, now)`` is idempotent: called twice with the same facts it changes nothing
and records nothing the second time. The services call it after a ticket change commits; the
sweeper marks breaches in between (``tickets.sla.sweeper``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, Min, Q, Subquery
from django.utils import timezone

from tickets import caching
from tickets.models import EventKind, Message, Ticket, TicketEvent
from tickets.sla import clocks, hook
from tickets.sla.businesstime import Calendar, add_time, time_between
from tickets.sla.models import ClockState, Schedule, SlaClock, SlaPolicy, SlaTarget

log = logging.getLogger("tickets.sla")

ZERO = timedelta(0)
SUPPORT_ROLES = ("agent", "admin")
ACTIVE = (ClockState.RUNNING, ClockState.PAUSED)


def policy_for(ticket: Ticket, *, now: datetime | None = None) -> SlaPolicy | None:
    """The first active policy, by position, whose conditions match ``ticket`` (compiled once
    per version of the policies: ``tickets.sla.hook.desk``)."""
    now = now or timezone.now()
    for policy, rule in hook.desk().policies:
        if rule.matches(ticket, now=now):
            return policy
    return None


def schedule_of(policy: SlaPolicy) -> Schedule | None:
    """The policy's schedule, or the default one (None: business hours fall back to calendar
    hours): what the policy preview counts in. A ticket's clocks count in ``hook.Desk.schedule_id``,
    which also knows the ticket's team (the preview page says a team's schedule may differ)."""
    return policy.schedule or Schedule.objects.filter(is_default=True).first()


def facts_for(ticket: Ticket) -> clocks.Facts:
    """The facts the clocks are decided from (one query over the ticket's messages)."""
    public = Message.objects.filter(ticket=ticket, internal=False)
    support = public.filter(author_role__in=SUPPORT_ROLES)
    last = Subquery(support.order_by("-created_at").values("created_at")[:1])
    after_last = Q(created_at__gt=last) | ~Q(Exists(support))
    found = public.aggregate(
        last_support=Max("created_at", filter=Q(author_role__in=SUPPORT_ROLES)),
        unanswered=Min("created_at", filter=Q(author_role="customer") & after_last),
    )
    last_support = found["last_support"]
    unanswered = found["unanswered"] if ticket.first_response_at is not None else None
    finished = ticket.solved_at or ticket.closed_at
    return clocks.Facts(
        status=ticket.status,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        last_support_reply_at=last_support,
        unanswered_since=unanswered,
        finished_at=finished,
    )


def _event(ticket: Ticket, kind: str, data: dict, at: datetime) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=None, actor_name="System", kind=kind, data=data, public=False, created_at=at
    )


# Bumped when a clock is fulfilled or breached (by a refresh or by the sweeper): the SLA
# statistics (``tickets.sla.stats``) are cached under it, and breaches happen with no ticket change.
OUTCOMES_KEY = "helpdesk:sla:outcomes:version"
OUTCOMES = (EventKind.SLA_FULFILLED, EventKind.SLA_BREACHED)


def clock_event(clock: SlaClock, kind: str, at: datetime) -> TicketEvent:
    return clock_events([clock], kind, lambda _clock: at)[0]


def clock_events(
    clocks: list[SlaClock], kind: str, at: Callable[[SlaClock], datetime], *, warning_minutes: int | None = None
) -> list[TicketEvent]:
    """The clocks' history events, one insert for them all. A warning also says how far ahead
    it warns and when the target falls due (what the warning's mail tells); an outcome
    (fulfilled, breached) records the ticket's priority then and, when fulfilled, the target time
    used (``elapsed_seconds``, business or calendar seconds as the target counts them): what the
    SLA statistics read, whose cache an outcome makes stale."""
    rows = []
    for clock in clocks:
        data: dict[str, Any] = {
            "metric": clock.metric,
            "target_minutes": clock.target_minutes,
            "business_hours": clock.business_hours,
        }
        if clock.policy_id is not None:
            data["policy"] = {"id": clock.policy_id, "name": clock.policy.name if clock.policy else ""}
        if warning_minutes is not None and clock.breach_at is not None:
            data["warning_minutes"] = warning_minutes
            data["due"] = clock.breach_at.isoformat()
        if kind in OUTCOMES:
            data["priority"] = clock.ticket.priority
            if kind == EventKind.SLA_FULFILLED:
                data["elapsed_seconds"] = clock.used_seconds
        rows.append(
            TicketEvent(
                ticket=clock.ticket,
                actor=None,
                actor_name="System",
                kind=kind,
                data=data,
                public=False,
                created_at=at(clock),
            )
        )
    if rows and kind in OUTCOMES:
        transaction.on_commit(lambda: caching._bump([OUTCOMES_KEY]), robust=True)
    return TicketEvent.objects.bulk_create(rows)


def _applied_policy_id(ticket: Ticket, existing: Iterable[SlaClock]) -> int | None:
    """The policy the last "policy applied" event named. Every running or paused clock carries
    it (a refresh deletes or retargets them all), so they answer without a query; finished
    clocks may carry an older one, so without an unfinished clock the events answer."""
    unfinished = {clock.policy_id for clock in existing if clock.state in ACTIVE}
    if len(unfinished) == 1 and None not in unfinished:
        return next(iter(unfinished))
    last = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_POLICY_APPLIED)
        .order_by("-created_at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    return ((last or {}).get("policy") or {}).get("id") if last is not None else None


class _Clockwork:
    """Moves one clock to its phase, with the arithmetic of its schedule."""

    def __init__(self, calendar: Calendar | None, now: datetime):
        self.calendar = calendar
        self.now = now
        # The breaches this refresh recorded: escalated once every clock is saved.
        self.breaches: list[tuple[SlaClock, TicketEvent]] = []
        # Clocks started by this refresh: inserted together (a new ticket starts several at once).
        self.started: list[SlaClock] = []

    def between(self, clock: SlaClock, a: datetime, b: datetime) -> timedelta:
        return time_between(self.calendar, a, b, business=clock.business_hours) if b > a else ZERO

    def used(self, clock: SlaClock, until: datetime) -> int:
        extra = ZERO
        if clock.state == ClockState.RUNNING and clock.resumed_at is not None:
            extra = self.between(clock, clock.resumed_at, until)
        return clock.used_seconds + int(extra.total_seconds())

    def due(self, clock: SlaClock) -> datetime:
        assert clock.resumed_at is not None
        left = timedelta(minutes=clock.target_minutes) - timedelta(seconds=clock.used_seconds)
        if left <= ZERO:
            return clock.resumed_at
        return add_time(self.calendar, clock.resumed_at, left, business=clock.business_hours)

    def start(self, clock: SlaClock, at: datetime) -> None:
        clock.state, clock.started_at, clock.resumed_at, clock.used_seconds = ClockState.RUNNING, at, at, 0
        clock.paused_at = clock.fulfilled_at = clock.breached_at = clock.warned_at = None
        clock.breach_at = self.due(clock)

    def breach_if_due(self, clock: SlaClock, by: datetime) -> bool:
        """Mark a running clock breached if its breach_at is at or before ``by``."""
        if clock.state == ClockState.RUNNING and clock.breach_at is not None and clock.breach_at <= by:
            clock.state, clock.breached_at = ClockState.BREACHED, clock.breach_at
            self.breaches.append((clock, clock_event(clock, EventKind.SLA_BREACHED, clock.breach_at)))
            return True
        return False

    def fulfil(self, clock: SlaClock, at: datetime) -> None:
        if clock.state in ACTIVE:
            if self.breach_if_due(clock, at):
                clock.fulfilled_at = at
                return
            clock.used_seconds = self.used(clock, max(at, clock.resumed_at or at))
            clock.state, clock.fulfilled_at, clock.paused_at = ClockState.FULFILLED, at, None
            clock_event(clock, EventKind.SLA_FULFILLED, at)
        elif clock.state == ClockState.BREACHED and clock.fulfilled_at is None:
            clock.fulfilled_at = at

    def run(self, clock: SlaClock) -> None:
        if clock.state == ClockState.PAUSED or clock.state == ClockState.FULFILLED:
            clock.state, clock.resumed_at, clock.paused_at, clock.fulfilled_at = (
                ClockState.RUNNING,
                self.now,
                None,
                None,
            )
        elif clock.state == ClockState.BREACHED:
            clock.fulfilled_at = None
            return
        clock.breach_at = self.due(clock)
        self.breach_if_due(clock, self.now)

    def pause(self, clock: SlaClock) -> None:
        if clock.state == ClockState.RUNNING:
            if self.breach_if_due(clock, self.now):
                return
            clock.used_seconds = self.used(clock, self.now)
        elif clock.state != ClockState.FULFILLED:
            if clock.state == ClockState.BREACHED:
                clock.fulfilled_at = None
            return
        clock.state, clock.paused_at, clock.breach_at, clock.fulfilled_at = ClockState.PAUSED, self.now, None, None


def sla_refresh(ticket: Ticket, now: datetime | None = None) -> list[SlaClock]:
    """Apply the ticket's policy and bring every metric's clock to where its facts say; returns
    the ticket's clocks. Records policy applied / fulfilled / breached history events; a breach
    found here is notified and escalated as the sweeper's are (``tickets.sla.escalation``).

    When no policy applies any more (none matches, or every policy is off) the SLA leaves the
    ticket: its unfinished clocks are deleted and it has no "next breach"; clocks already met
    or breached stay as the record of what happened."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        existing = {c.metric: c for c in SlaClock.objects.select_for_update().filter(ticket=ticket)}
        for clock in existing.values():
            clock.ticket = ticket  # the row just locked: its events need no query for it
        return _bring_in_line(
            ticket, now, existing, lambda: _applied_policy_id(ticket, existing.values()), lambda: facts_for(ticket)
        )


def sla_start(ticket: Ticket, opening: Message, now: datetime) -> list[SlaClock]:
    """``sla_refresh`` for a ticket created in the current transaction (``services.ticket_create``),
    which nobody else can see yet: what the refresh would read is known — no clocks, no policy
    applied before, and the facts of a ticket whose one message is ``opening`` (a reply by
    support only when an agent filed it; no first response yet, so nothing is unanswered).
    The clocks start with the ticket, in its transaction: no second transaction and none of
    the refresh's reads (BENCHMARKS.md: about a third of a portal create's CPU)."""
    facts = clocks.Facts(
        status=ticket.status,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        last_support_reply_at=opening.created_at
        if opening.author_role in SUPPORT_ROLES and not opening.internal
        else None,
        unanswered_since=None,
        finished_at=ticket.solved_at or ticket.closed_at,
    )
    # The creating change expires the same cached counts at its commit: no second expiry here.
    return _bring_in_line(ticket, now, {}, lambda: None, lambda: facts, expire_caches=False)


def _bring_in_line(
    ticket: Ticket,
    now: datetime,
    existing: dict[str, SlaClock],
    applied_policy_id: Callable[[], int | None],
    facts_of: Callable[[], clocks.Facts],
    *,
    expire_caches: bool = True,
) -> list[SlaClock]:
    """The refresh itself, on the locked ``ticket`` and its ``existing`` clocks by metric."""
    desk = hook.desk()
    policy = policy_for(ticket, now=now)
    if (policy.pk if policy else None) != applied_policy_id():
        data = {"policy": {"id": policy.pk, "name": policy.name} if policy else None}
        _event(ticket, EventKind.SLA_POLICY_APPLIED, data, now)
    targets = desk.targets_for(policy, ticket.priority) if policy is not None else {}
    for metric, clock in list(existing.items()):
        if metric not in targets and clock.state in ACTIVE:
            clock.delete()  # no target any more: an unfinished clock has nothing to measure
            del existing[metric]
    if targets:
        assert policy is not None
        work = _Clockwork(desk.calendar(policy, ticket.team_id), now)
        facts = facts_of()
        for metric, target in targets.items():
            kept = _refresh_one(work, ticket, policy, target, existing.get(metric), facts)
            if kept is None:
                existing.pop(metric, None)
            else:
                existing[metric] = kept
        if work.started:
            SlaClock.objects.bulk_create(work.started)
        if work.breaches:
            from tickets.sla import escalation

            escalation.on_breaches(work.breaches, escalation.Escalator())
    found = [existing[metric] for metric in sorted(existing)]
    _denormalize(ticket, found if policy is not None else [], expire_caches=expire_caches)
    return found


def open_breach_at(clock: SlaClock) -> datetime | None:
    """When ``clock`` breaches or breached, while that is still open: running, or breached and
    not met since (None otherwise)."""
    if clock.state == ClockState.RUNNING or (clock.state == ClockState.BREACHED and clock.fulfilled_at is None):
        return clock.breach_at
    return None


def _denormalize(ticket: Ticket, found: list[SlaClock], *, expire_caches: bool = True) -> None:
    """Keep ``Ticket.sla_breach_at`` (the queue's "Next breach") in line with ``found``, the
    clocks still under a policy (none without one); a change expires the queue counts. The
    sweeper needs no such step: breaching a clock keeps its breach_at, still open."""
    due = [at for at in map(open_breach_at, found) if at is not None]
    earliest = min(due) if due else None
    if ticket.sla_breach_at != earliest:
        Ticket.objects.filter(pk=ticket.pk).update(sla_breach_at=earliest)
        ticket.sla_breach_at = earliest
        if expire_caches:
            caching.tickets_changed(statistics=False, teams=[ticket.team_id], people=[ticket.assignee_id])


def _refresh_one(
    work: _Clockwork,
    ticket: Ticket,
    policy: SlaPolicy | None,
    target: SlaTarget,
    clock: SlaClock | None,
    facts: clocks.Facts,
) -> SlaClock | None:
    """Bring one metric's clock in line; returns it (None: it was deleted or never started).
    Writes only what changed, and nothing when nothing did."""
    phase = clocks.decide(target.metric, facts)
    if phase.kind == clocks.NONE:
        if clock is not None and clock.state in ACTIVE:
            clock.delete()
            return None
        return clock
    before: dict[str, object] | None = None
    if clock is None:
        if phase.cycle_start is None:  # a cyclic metric with no open cycle: nothing to measure
            return None
        clock = SlaClock(ticket=ticket, metric=target.metric, started_at=phase.cycle_start)
        clock.policy, clock.target_minutes, clock.business_hours = policy, target.minutes, target.business_hours
        work.start(clock, phase.cycle_start)
    else:
        before = _fields(clock)
        # A changed policy or priority retargets the clock; ``run`` recomputes its breach_at (in the
        # schedule now in force: the policy's, the team's or the default, since it last resumed).
        clock.policy, clock.target_minutes, clock.business_hours = policy, target.minutes, target.business_hours
        new_cycle = phase.cycle_start is not None and clock.started_at != phase.cycle_start
        if new_cycle and target.metric in clocks.CYCLIC:
            assert phase.cycle_start is not None
            ended = clocks.previous_cycle_end(target.metric, facts) or phase.cycle_start
            work.fulfil(clock, min(ended, phase.cycle_start))
            work.start(clock, phase.cycle_start)
    if phase.kind == clocks.RUNNING:
        work.run(clock)
    elif phase.kind == clocks.PAUSED:
        work.pause(clock)
    elif phase.kind == clocks.DONE and phase.done_at is not None:
        work.fulfil(clock, phase.done_at)
    if before is None:
        work.started.append(clock)  # saved with the others started now (``sla_refresh``)
    else:
        after = _fields(clock)
        changed = [name for name, value in after.items() if before[name] != value]
        if changed:
            clock.save(update_fields=changed)
    return clock


def _fields(clock: SlaClock) -> dict[str, object]:
    """The clock's stored values by field name (what a save would write)."""
    return {f.name: getattr(clock, f.attname) for f in SlaClock._meta.concrete_fields if not f.primary_key}
