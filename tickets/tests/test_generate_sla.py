"""``generate_tickets`` and the SLA (issue 17): a business schedule, two policies, and per ticket
the clocks ``tickets.sla.refresh`` would have left after its story — checked by running the
refresh over the generated tickets and finding nothing to change."""

from __future__ import annotations

import io
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from tickets import generate as gen
from tickets import services
from tickets.generate import sla as gen_sla
from tickets.models import EventKind, Message, Status, Ticket, TicketEvent
from tickets.sla import stats as sla_stats
from tickets.sla.businesstime import add_time
from tickets.sla.models import ClockState, Metric, Schedule, SlaClock, SlaPolicy, SlaTarget
from tickets.sla.refresh import clock_events, open_breach_at, sla_refresh

ANCHOR = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)  # a Wednesday, in New York's business hours
N = 1500
FIELDS = (
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
)


@pytest.fixture
def generated(db):
    out = io.StringIO()
    call_command("generate_tickets", tickets=N, seed=4, anchor=ANCHOR.isoformat(), no_progress=True, stdout=out)
    return out.getvalue()


def _clocks(tickets) -> dict[tuple[int, str], tuple]:
    rows = SlaClock.objects.filter(ticket__in=tickets).values_list("ticket_id", *FIELDS)
    return {(row[0], row[2]): row[1:] for row in rows}


def test_the_desk_gets_a_schedule_with_holidays_and_two_policies(generated):
    assert "sla_clocks=" in generated
    schedule = Schedule.objects.get(name=gen_sla.SCHEDULE)
    assert (schedule.time_zone, schedule.country, schedule.intervals.count()) == ("America/New_York", "US", 5)
    assert schedule.calendar().is_holiday(datetime(2026, 7, 3).date())  # Independence Day, observed
    security, standard = SlaPolicy.objects.order_by("position")
    assert (security.name, standard.name) == (gen_sla.SECURITY, gen_sla.STANDARD)
    assert security.targets.count() == standard.targets.count() == 12
    assert not security.targets.filter(business_hours=True).exists()
    assert not standard.targets.filter(business_hours=False).exists()


def test_clocks_only_since_the_policies_were_adopted(generated):
    since = ANCHOR - timedelta(days=gen_sla.ADOPTED_DAYS)
    with_clocks = Ticket.objects.filter(sla_clocks__isnull=False).distinct()
    assert with_clocks.exists()
    assert not with_clocks.filter(created_at__lt=since).exists()
    assert not Ticket.objects.filter(created_at__lt=since, sla_breach_at__isnull=False).exists()
    # Every ticket created since then has its first reply and resolution clocks.
    recent = Ticket.objects.filter(created_at__gte=since)
    assert recent.count() == SlaClock.objects.filter(metric=Metric.RESOLUTION_TIME).count()
    assert recent.count() == SlaClock.objects.filter(metric=Metric.FIRST_REPLY_TIME).count()
    security = SlaClock.objects.filter(policy__name=gen_sla.SECURITY)
    assert security.exists() and set(security.values_list("ticket__category", flat=True)) == {"security"}


def test_the_refresh_finds_nothing_to_change(generated):
    """The clocks are those the refresh keeps: run over every ticket with clocks at the anchor,
    it changes no clock and no next breach."""
    tickets = list(Ticket.objects.filter(sla_clocks__isnull=False).distinct().order_by("pk"))
    before = _clocks(tickets)
    breach = {t.pk: t.sla_breach_at for t in tickets}
    history = TicketEvent.objects.count()
    for ticket in tickets:
        sla_refresh(ticket, ANCHOR)
    assert _clocks(tickets) == before
    assert {t.pk: t.sla_breach_at for t in Ticket.objects.filter(pk__in=breach)} == breach
    # Nor any history: each policy was recorded as applied, each end as fulfilled or breached.
    assert TicketEvent.objects.count() == history


def test_clocks_follow_each_story(generated):
    clocks = list(SlaClock.objects.select_related("ticket"))
    for clock in clocks:
        ticket = clock.ticket
        if clock.metric == Metric.FIRST_REPLY_TIME:
            met = ticket.first_response_at or ticket.solved_at
        elif clock.metric == Metric.RESOLUTION_TIME:
            met = ticket.solved_at
        else:
            continue
        if clock.state == ClockState.RUNNING:
            assert met is None and clock.breach_at > ANCHOR and ticket.status not in (Status.SOLVED, Status.CLOSED)
        elif clock.state == ClockState.FULFILLED:
            assert clock.fulfilled_at == met and met <= clock.breach_at
        else:
            assert clock.breached_at == clock.breach_at and clock.breach_at <= (met or ANCHOR)
            assert clock.fulfilled_at == met
    # The next reply clock is the last cycle: the oldest customer message left unanswered, or
    # the last one answered.
    for clock in [c for c in clocks if c.metric == Metric.NEXT_REPLY_TIME]:
        message = Message.objects.get(ticket=clock.ticket, created_at=clock.started_at, internal=False)
        assert message.author_role == "customer"
    # Each ticket's next breach is its earliest open one.
    due: dict[int, list[datetime]] = {}
    for clock in clocks:
        at = open_breach_at(clock)
        if at is not None:
            due.setdefault(clock.ticket_id, []).append(at)
    flagged = dict(Ticket.objects.filter(sla_breach_at__isnull=False).values_list("pk", "sla_breach_at"))
    assert flagged == {pk: min(ats) for pk, ats in due.items()}


def test_most_targets_are_met_and_some_are_missed(generated):
    finished = Counter(
        SlaClock.objects.filter(ticket__status__in=[Status.SOLVED, Status.CLOSED]).values_list("state", flat=True)
    )
    assert finished[ClockState.FULFILLED] > 3 * finished[ClockState.BREACHED] > 0
    assert finished[ClockState.RUNNING] == 0
    unsolved = Ticket.objects.exclude(status__in=[Status.SOLVED, Status.CLOSED]).filter(sla_breach_at__isnull=False)
    assert unsolved.filter(sla_breach_at__gt=ANCHOR).exists() and unsolved.filter(sla_breach_at__lte=ANCHOR).exists()


def test_a_second_run_reuses_the_policies(generated):
    policies = list(SlaPolicy.objects.values_list("pk", flat=True))
    call_command(
        "generate_tickets", tickets=50, seed=5, anchor=ANCHOR.isoformat(), no_progress=True, stdout=io.StringIO()
    )
    assert list(SlaPolicy.objects.values_list("pk", flat=True)) == policies
    assert Schedule.objects.filter(name=gen_sla.SCHEDULE).count() == 1


# --- the SLA history -----------------------------------------------------------------------------

OUTCOME = {ClockState.FULFILLED: EventKind.SLA_FULFILLED, ClockState.BREACHED: EventKind.SLA_BREACHED}
ENDS = list(OUTCOME.values())


def _priority_at(ticket_ids: set[int]) -> dict[int, list[tuple[datetime, str]]]:
    """Each ticket's priority from each moment on, read from its history."""
    found: dict[int, list[tuple[datetime, str]]] = {}
    kinds = [EventKind.CREATED, EventKind.PRIORITY_CHANGED]
    for event in TicketEvent.objects.filter(ticket__in=ticket_ids, kind__in=kinds).order_by("created_at", "id"):
        priority = event.data["priority"] if event.kind == EventKind.CREATED else event.data["new"]
        found.setdefault(event.ticket_id, []).append((event.created_at, priority))
    return found


def _nearest_rank(values: list[float], p: int) -> dict:
    rank = math.ceil(p * len(values) / 100)
    value = sorted(values)[rank - 1]
    return (
        {"percent": None, "over_target": True} if value == math.inf else {"percent": int(value), "over_target": False}
    )


def test_the_sla_statistics_show_what_the_clocks_say(generated):
    """The achievement figures over the generated desk, worked out here from its clocks: every
    clock that ended counts once, fulfilled as achieved, breached as breached."""
    clocks = list(SlaClock.objects.exclude(state=ClockState.RUNNING).select_related("ticket"))
    assert len({c.state for c in clocks}) == 2
    admin = User.objects.filter(role=Role.ADMIN).first()
    figures = sla_stats.achievement(viewer=admin, since=ANCHOR - timedelta(days=90), until=ANCHOR + timedelta(days=1))

    def tally(chosen: list[SlaClock]) -> tuple[int, int, int]:
        achieved = sum(c.state == ClockState.FULFILLED for c in chosen)
        return len(chosen), achieved, len(chosen) - achieved

    def shown(row: dict) -> tuple[int, int, int]:
        return row["ended"], row["achieved"], row["breached"]

    assert shown(figures["overall"]) == tally(clocks)
    for row in figures["metrics"]:
        assert shown(row) == tally([c for c in clocks if c.metric == row["metric"]]), row["metric"]
    for row in figures["teams"]:
        assert shown(row) == tally([c for c in clocks if c.ticket.team_id == row["team"]["id"]]), row["team"]
    for row in figures["agents"]:
        assert shown(row) == tally([c for c in clocks if c.ticket.assignee_id == row["agent"]["id"]]), row["agent"]
    assert sum(row["ended"] for row in figures["teams"]) < len(clocks)  # some tickets have no team

    # The target used, as a percentage of the target in force when the clock ended (the
    # priority then): fulfilled clocks by their used seconds, breached ones above them all.
    targets = {(t.policy_id, t.priority, t.metric): t.minutes for t in SlaTarget.objects.all()}
    priorities = _priority_at({c.ticket_id for c in clocks})
    used: list[float] = []
    for clock in clocks:
        if clock.state == ClockState.BREACHED:
            used.append(math.inf)
            continue
        then = [p for at, p in priorities[clock.ticket_id] if at <= clock.fulfilled_at][-1]
        used.append(clock.used_seconds * 100 // (targets[clock.policy_id, then, clock.metric] * 60))
    elapsed = figures["overall"]["elapsed_of_target"]
    assert elapsed == {"median": _nearest_rank(used, 50), "p90": _nearest_rank(used, 90)}
    assert elapsed["median"]["percent"] is not None


def _shape(value):
    """Keys and types, not values."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return type(value).__name__


def test_the_history_is_what_the_refresh_and_the_sweeper_write(generated):
    """One "policy applied" per ticket under a policy, when it was created; one outcome per
    ended clock, at its end, with the data ``clock_events`` writes for that clock (the same
    values where the priority never changed after; the same keys and types everywhere)."""
    clocks = list(SlaClock.objects.select_related("ticket", "policy"))
    applied = TicketEvent.objects.filter(kind=EventKind.SLA_POLICY_APPLIED).select_related("ticket")
    assert sorted(e.ticket_id for e in applied) == sorted({c.ticket_id for c in clocks})
    policies = {c.ticket_id: c.policy for c in clocks}
    for event in applied:
        policy = policies[event.ticket_id]
        assert event.data == {"policy": {"id": policy.pk, "name": policy.name}}
        assert (event.created_at, event.actor_id, event.actor_name, event.public) == (
            event.ticket.created_at,
            None,
            "System",
            False,
        )

    ended = {(c.ticket_id, c.metric): c for c in clocks if c.state != ClockState.RUNNING}
    outcomes = {(e.ticket_id, e.data["metric"]): e for e in TicketEvent.objects.filter(kind__in=ENDS)}
    assert TicketEvent.objects.filter(kind__in=ENDS).count() == len(outcomes)
    assert set(outcomes) == set(ended)
    changed = set(TicketEvent.objects.filter(kind=EventKind.PRIORITY_CHANGED).values_list("ticket_id", flat=True))
    live = {}
    for state, kind in OUTCOME.items():
        same = [c for c in ended.values() if c.state == state and c.ticket_id not in changed]
        when = (lambda c: c.fulfilled_at) if state == ClockState.FULFILLED else (lambda c: c.breached_at)
        written = clock_events(same, kind, when)
        assert len(written) > 10
        live[kind] = _shape(written[0].data)
        for clock, mine in zip(same, written, strict=True):
            event = outcomes[clock.ticket_id, clock.metric]
            assert (event.kind, event.data, event.created_at) == (kind, mine.data, mine.created_at)
            assert (event.actor_id, event.actor_name, event.public) == (None, "System", False)
    assert live[EventKind.SLA_FULFILLED] != live[EventKind.SLA_BREACHED]  # elapsed_seconds
    # Where the priority changed: the target and priority of when the clock ended — met under
    # the priority of that moment; breached by the target that ran out (the clock row keeps
    # the current one).
    targets = {(t.policy_id, t.priority, t.metric): t.minutes for t in SlaTarget.objects.all()}
    priorities = _priority_at(changed)
    calendars = {p.pk: p.schedule.calendar() for p in SlaPolicy.objects.select_related("schedule")}
    moved = 0
    for key, event in outcomes.items():
        clock = ended[key]
        assert _shape(event.data) == live[event.kind]
        policy = event.data["policy"]["id"]
        assert event.data["target_minutes"] == targets[policy, event.data["priority"], clock.metric]
        if clock.ticket_id not in changed:
            continue
        moved += event.data["priority"] != clock.ticket.priority
        if event.kind == EventKind.SLA_FULFILLED:
            then = [p for at, p in priorities[clock.ticket_id] if at <= clock.fulfilled_at][-1]
            assert event.data["priority"] == then
        else:
            target = timedelta(minutes=event.data["target_minutes"])
            due = add_time(calendars[policy], clock.started_at, target, business=clock.business_hours)
            assert due == event.created_at == clock.breached_at
    assert moved > 0
    # The refresh, on a ticket filed now, records "policy applied" as the generator does.
    customer = User.objects.filter(role=Role.CUSTOMER).first()
    filed = services.ticket_create(actor=customer, subject="A live ticket", description="Twenty characters at least.")
    sla_refresh(filed)
    standard = SlaPolicy.objects.get(name=gen_sla.STANDARD)
    recorded = TicketEvent.objects.get(ticket=filed, kind=EventKind.SLA_POLICY_APPLIED)
    assert recorded.data == applied.filter(data__policy__id=standard.pk).first().data
    assert (recorded.actor_id, recorded.actor_name, recorded.public) == (None, "System", False)


def test_the_sla_history_takes_no_random_draw(db):
    """Same seed, same rows; and the SLA changes nothing else of the desk: the stories, their
    messages and their own events are those of a desk without it (event ids aside)."""
    people = gen.ensure_people(gen.scale_for(400), password=None)
    perm_ids, tag_ids = gen.ticket_permission_ids(), gen.ensure_tags()
    desk = gen_sla.ensure_sla(ANCHOR)

    def rows(sla) -> dict[str, list[tuple]]:
        made = gen.TicketGenerator(
            people, total=400, seed=11, anchor=ANCHOR, perm_ids=perm_ids, tag_ids=tag_ids, sla=sla
        )
        return made.batch(400, dict.fromkeys(gen.TABLES, 1)).rows

    with_sla, again, without = rows(desk), rows(desk), rows(None)
    assert with_sla == again
    sla_kinds = {EventKind.SLA_POLICY_APPLIED, *ENDS}
    assert {row[4] for row in with_sla["event"]} >= sla_kinds
    assert [row[1:] for row in with_sla["event"] if row[4] not in sla_kinds] == [row[1:] for row in without["event"]]
    assert [row[:-1] for row in with_sla["ticket"]] == [row[:-1] for row in without["ticket"]]
    for table in ("message", "user_perm", "group_perm", "tag", "collaborator"):
        assert with_sla[table] == without[table], table
    ids = [row[0] for row in with_sla["event"]]
    assert ids == list(range(1, len(ids) + 1))
