"""The desk's service level agreements in generated data (issue 17): a business schedule, two
policies, and per ticket the ``SlaClock`` rows ``tickets.sla.refresh`` would have left after
every step of its story, with the sweeper running in between.

The desk adopted its policies ``ADOPTED_DAYS`` before the anchor: tickets created since then
carry clocks (and, while a target is open, ``Ticket.sla_breach_at``); older ones never met a
policy, as on a desk that introduced SLAs at some point. A story's clocks are a pure function
of the story (no random draws), so a seed still gives the same rows.

The metrics generated are those of the policies made here — first reply, next reply and
resolution time — which never pause, so a clock is settled by its start, its target (a
priority change retargets it, as a refresh does), when it was met, and the anchor:

- met before its breach time: ``fulfilled`` (``used_seconds`` = the time it took);
- its breach time passed first: ``breached`` at that time (``fulfilled_at`` when met late);
- neither, at the anchor: ``running`` with its ``breach_at``.

Next reply time keeps its last cycle, as the refresh does (one row per metric and ticket).

With the clocks go the SLA history events the refresh and the sweeper would have written, in
their data shape (``tickets.sla.refresh.clock_events``), which the SLA statistics count: "policy
applied" when the ticket was created, and per clock that ended one outcome — ``sla_fulfilled``
when met (``elapsed_seconds`` = its ``used_seconds``), ``sla_breached`` at its breach time — with
the priority and target in force then. Earlier next-reply cycles, which the refresh would also
have recorded, are not: the history holds what the clocks hold (about 3.4 events per ticket with
clocks). The events are system events after the story's own (ids ascending), in the same batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from tickets.models import EventKind
from tickets.sla.businesstime import Calendar, add_time, time_between
from tickets.sla.models import ClockState, Metric, Schedule, SlaPolicy

#: The desk adopted its SLA policies this many days before the anchor.
ADOPTED_DAYS = 60
SCHEDULE = "Business hours (generated)"
STANDARD = "Standard support"
SECURITY = "Security incidents"
FIRST, NEXT, RESOLUTION = Metric.FIRST_REPLY_TIME.value, Metric.NEXT_REPLY_TIME.value, Metric.RESOLUTION_TIME.value

#: Targets in hours per priority: (first reply, next reply, resolution).
STANDARD_HOURS = {"urgent": (1, 2, 16), "high": (4, 8, 40), "normal": (8, 16, 80), "low": (16, 24, 160)}
#: Security incidents: around the clock (calendar hours), tighter.
SECURITY_HOURS = {"urgent": (4, 8, 48), "high": (8, 12, 72), "normal": (12, 24, 120), "low": (24, 24, 168)}

# Column order of the generated clock rows (``rows.TABLES["sla_clock"]``).
CLOCK_COLUMNS = (
    "id",
    "ticket_id",
    "policy_id",
    "metric",
    "target_minutes",
    "business_hours",
    "state",
    "started_at",
    "resumed_at",
    "paused_at",
    "used_seconds",
    "breach_at",
    "fulfilled_at",
    "breached_at",
    "warned_at",
)


@dataclass(frozen=True)
class Plan:
    """One policy as the generator applies it."""

    policy_id: int
    name: str
    calendar: Calendar | None  # None: calendar hours only
    targets: dict[tuple[str, str], tuple[int, bool]]  # (priority, metric) -> (minutes, business hours)
    security_only: bool


@dataclass(frozen=True)
class Desk:
    since: datetime  # tickets created from then on carry clocks
    standard: Plan | None
    security: Plan | None

    def plan_for(self, category: str | None) -> Plan | None:
        if category == "security" and self.security is not None:
            return self.security
        return self.standard


def _targets(hours: dict[str, tuple[int, int, int]], business: bool) -> list[tuple[str, str, int, bool]]:
    out = []
    for priority, (first, following, resolution) in hours.items():
        out += [
            (priority, FIRST, first * 60, business),
            (priority, NEXT, following * 60, business),
            (priority, RESOLUTION, resolution * 60, business),
        ]
    return out


def ensure_sla(anchor: datetime, *, log=None) -> Desk:
    """The generated desk's schedule and policies, made once (through ``tickets.sla.services``)
    and reused: a later run computes its clocks from the targets stored then."""
    from tickets.sla import services as sla_services

    schedule = Schedule.objects.filter(name=SCHEDULE).first()
    if schedule is None:
        hours = [(day, time(9), time(18)) for day in range(5)]
        schedule = sla_services.schedule_save(
            name=SCHEDULE, time_zone="America/New_York", country="US", intervals=hours, holidays=[]
        )
    made = []
    if not SlaPolicy.objects.filter(name=SECURITY).exists():
        sla_services.policy_save(
            name=SECURITY,
            description="Security tickets, around the clock.",
            position=0,
            conditions={"all": [{"field": "category", "operator": "is", "value": "security"}]},
            schedule=schedule,
            targets=_targets(SECURITY_HOURS, business=False),
        )
        made.append(SECURITY)
    if not SlaPolicy.objects.filter(name=STANDARD).exists():
        sla_services.policy_save(
            name=STANDARD,
            description="Every other ticket, in business hours.",
            position=1,
            schedule=schedule,
            targets=_targets(STANDARD_HOURS, business=True),
        )
        made.append(STANDARD)
    since = anchor - timedelta(days=ADOPTED_DAYS)
    # Adopted on that day, as far as the desk's own records go.
    SlaPolicy.objects.filter(name__in=made).update(created_at=since, updated_at=since)
    if log is not None:
        log(f"SLA: schedule {SCHEDULE!r}, policies {STANDARD!r} and {SECURITY!r} (clocks from {since:%Y-%m-%d})")
    return Desk(since=since, standard=_plan(STANDARD, security_only=False), security=_plan(SECURITY, True))


def _plan(name: str, security_only: bool) -> Plan | None:
    policy = SlaPolicy.objects.filter(name=name, active=True).select_related("schedule").first()
    if policy is None:
        return None
    schedule = policy.schedule or Schedule.objects.filter(is_default=True).first()
    targets = {(t.priority, t.metric): (t.minutes, t.business_hours) for t in policy.targets.all()}
    return Plan(policy.pk, policy.name, schedule.calendar() if schedule else None, targets, security_only)


@dataclass(frozen=True)
class Settled:
    state: str
    breach_at: datetime
    used_seconds: int
    fulfilled_at: datetime | None
    breached_at: datetime | None
    by: int = 0  # the target (index) in force when it ended: met, or breached


class ClockMaker:
    """A story's clocks and SLA history events, as rows, from its facts (``RowWriter`` gathers
    them)."""

    def __init__(self, desk: Desk, anchor: datetime):
        self.desk = desk
        self.anchor = anchor
        self.applied: dict[int, str] = {}  # "policy applied" data (JSON) by policy id

    def rows(
        self,
        ids: dict[str, int],
        *,
        ticket_id: int,
        category: str | None,
        created: datetime,
        priorities: list[tuple[datetime, str]],
        replies: list[tuple[datetime, bool]],
        finished: datetime | None,
    ) -> tuple[list[tuple], list[tuple], datetime | None]:
        """The clock rows of one ticket, its SLA event rows and its ``sla_breach_at``.
        ``priorities``: the priority from each moment on (the first at creation); ``replies``:
        public messages after the description, as (when, by support); ``finished``: when it was
        solved (or closed). Event ids start at ``ids["event"]``, after the story's own."""
        if created < self.desk.since:
            return [], [], None
        plan = self.desk.plan_for(category)
        if plan is None:
            return [], [], None
        now = self.anchor
        first_reply = next((at for at, support in replies if support), None)
        out: list[tuple] = []
        due: list[datetime] = []
        ended: list[tuple[datetime, str, str]] = []  # (when, kind, data as JSON)

        def add(metric: str, start: datetime, done: datetime | None) -> None:
            wanted = [(max(at, start), plan.targets.get((priority, metric))) for at, priority in priorities]
            if wanted[-1][1] is None:
                return  # no target for the priority it has now: the refresh keeps no running clock
            minutes, business = wanted[-1][1]
            settled = self._settle(plan, business, start, wanted, done, now)
            out.append(
                (
                    ids["sla_clock"],
                    ticket_id,
                    plan.policy_id,
                    metric,
                    minutes,
                    business,
                    settled.state,
                    start,
                    start,
                    None,
                    settled.used_seconds,
                    settled.breach_at,
                    settled.fulfilled_at,
                    settled.breached_at,
                    None,
                )
            )
            ids["sla_clock"] += 1
            if settled.state == ClockState.RUNNING or (
                settled.state == ClockState.BREACHED and settled.fulfilled_at is None
            ):
                due.append(settled.breach_at)
            if settled.state != ClockState.RUNNING:
                ended.append(self._outcome(plan, metric, settled, wanted, priorities))

        add(FIRST, created, first_reply or finished)
        if first_reply is not None:
            cycle: tuple[datetime, datetime | None] | None = None  # the last cycle: (start, met)
            waiting: datetime | None = None
            for at, support in replies:
                if at <= first_reply:
                    continue
                if not support and waiting is None:
                    waiting = at
                elif support and waiting is not None:
                    cycle, waiting = (waiting, at), None
            if waiting is not None:
                cycle = (waiting, finished)
            if cycle is not None:
                add(NEXT, cycle[0], cycle[1])
        add(RESOLUTION, created, finished)
        return out, self._events(ids, ticket_id, plan, created, ended), min(due) if due else None

    def _outcome(
        self,
        plan: Plan,
        metric: str,
        settled: Settled,
        wanted: list[tuple[datetime, tuple[int, bool] | None]],
        priorities: list[tuple[datetime, str]],
    ) -> tuple[datetime, str, str]:
        """An ended clock's event, as ``clock_events`` writes it when the clock ends: the target
        and priority of that moment (the clock row keeps the current ones)."""
        target = wanted[settled.by][1]
        assert target is not None  # _settle ends a clock only under a target
        data: dict[str, object] = {
            "metric": metric,
            "target_minutes": target[0],
            "business_hours": target[1],
            "policy": {"id": plan.policy_id, "name": plan.name},
            "priority": priorities[settled.by][1],
        }
        if settled.state == ClockState.FULFILLED:
            assert settled.fulfilled_at is not None
            data["elapsed_seconds"] = settled.used_seconds
            return settled.fulfilled_at, EventKind.SLA_FULFILLED.value, json.dumps(data)
        assert settled.breached_at is not None
        return settled.breached_at, EventKind.SLA_BREACHED.value, json.dumps(data)

    def _events(
        self, ids: dict[str, int], ticket_id: int, plan: Plan, created: datetime, ended: list[tuple[datetime, str, str]]
    ) -> list[tuple]:
        """ "Policy applied" at creation, then the outcomes in time order (the order the refresh
        and the sweeper write them), as event rows: by the system, internal."""
        applied = self.applied.get(plan.policy_id)
        if applied is None:
            applied = json.dumps({"policy": {"id": plan.policy_id, "name": plan.name}})
            self.applied[plan.policy_id] = applied
        eid = ids["event"]
        events = [(eid, ticket_id, None, "System", EventKind.SLA_POLICY_APPLIED.value, applied, False, created)]
        for at, kind, data in sorted(ended, key=lambda event: event[0]):  # stable: metrics in refresh order
            eid += 1
            events.append((eid, ticket_id, None, "System", kind, data, False, at))
        ids["event"] = eid + 1
        return events

    @staticmethod
    def _settle(
        plan: Plan,
        business: bool,
        start: datetime,
        targets: list[tuple[datetime, tuple[int, bool] | None]],
        done: datetime | None,
        now: datetime,
    ) -> Settled:
        """Where a clock that never pauses stands at ``now``: each target in force from its
        moment until the next one (or until met, or now) breaches it if its breach time comes
        first; a breached clock stays breached."""
        end = done if done is not None else now
        breach_at = start
        current = 0
        for index, (since, target) in enumerate(targets):
            if index and since >= end:
                break
            if target is None:
                continue
            current = index
            minutes, _ = target
            breach_at = add_time(plan.calendar, start, timedelta(minutes=minutes), business=business)
            until = targets[index + 1][0] if index + 1 < len(targets) and targets[index + 1][0] < end else end
            if breach_at <= until:
                return Settled(ClockState.BREACHED, breach_at, 0, done, breach_at, index)
        if done is not None:
            used = int(time_between(plan.calendar, start, done, business=business).total_seconds())
            return Settled(ClockState.FULFILLED, breach_at, used, done, None, current)
        return Settled(ClockState.RUNNING, breach_at, 0, None, None, current)
