"""SLA achievement statistics (``tickets.sla.stats``): figures from a generated set of clock ends
with known outcomes, checked against values worked out here from the same list; who sees what;
the refresh writing what the figures read; the query budget and the cache."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from tickets import services
from tickets.models import EventKind, Priority, Status, Ticket, TicketEvent
from tickets.sla import stats as sla_stats
from tickets.sla.models import Metric, SlaClock
from tickets.sla.refresh import clock_event, sla_refresh
from tickets.tests.sla.support import FrozenClock, policy

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=10)
REPEATING = {"next_reply_time", "periodic_update"}  # every cycle counts; the others once a ticket
METRICS = ["first_reply_time", "next_reply_time", "periodic_update", "requester_wait_time", "resolution_time"]
PRIORITIES = ["urgent", "high", "normal", "low"]


@dataclass
class End:
    """One clock end as the test wrote it."""

    ticket: Ticket
    metric: str
    fulfilled: bool
    target: int  # minutes
    elapsed: int | None  # seconds (fulfilled; None: an old event without it)
    at: datetime
    priority: str
    order: int


def _file(customer, subject="Printer is on fire again"):
    return services.ticket_create(actor=customer, subject=subject, description="It really is on fire, please help us.")


def _record(end: End) -> None:
    """Write the end as the refresh and the sweeper do (``clock_event``), or, for an old
    fulfilment without an elapsed time, as they did before they recorded one."""
    kind = EventKind.SLA_FULFILLED if end.fulfilled else EventKind.SLA_BREACHED
    if end.fulfilled and end.elapsed is None:
        TicketEvent.objects.create(
            ticket=end.ticket,
            actor=None,
            actor_name="System",
            kind=kind,
            data={"metric": end.metric, "target_minutes": end.target, "business_hours": True},
            public=False,
            created_at=end.at,
        )
        return
    end.ticket.priority = end.priority
    clock = SlaClock(
        ticket=end.ticket,
        metric=end.metric,
        target_minutes=end.target,
        used_seconds=end.elapsed or 0,
        started_at=end.at,
    )
    clock_event(clock, kind, end.at)


@pytest.fixture
def desk(customer, admin, agent, team_agent, other_team_agent, billing_team, tech_team):
    """Twelve tickets over both teams and none, four assignees (or none), every priority; 60
    clock ends in and around the period, with a fixed seed."""
    shapes = [
        (billing_team, team_agent),
        (billing_team, agent),
        (billing_team, None),
        (tech_team, other_team_agent),
        (tech_team, agent),
        (tech_team, None),
        (None, agent),
        (None, None),
    ]
    tickets = []
    for i in range(12):
        team, assignee = shapes[i % len(shapes)]
        ticket = _file(customer, f"Generated ticket number {i}")
        ticket = services.ticket_update(actor=admin, ticket=ticket, team=team, priority=PRIORITIES[i % 4])
        if assignee is not None:
            ticket = services.ticket_assign(actor=admin, ticket=ticket, assignee=assignee)
        tickets.append(ticket)
    rng = random.Random(17)
    ends = []
    for n in range(60):
        ticket = rng.choice(tickets)
        target = rng.choice([30, 60, 240, 480])
        fulfilled = rng.random() < 0.7
        elapsed = rng.randrange(0, target * 60) if fulfilled else None
        if fulfilled and rng.random() < 0.1:
            elapsed = None  # an old fulfilment: achieved, but no elapsed time to rank
        elif fulfilled and elapsed is None:
            elapsed = 0
        at = START + timedelta(minutes=rng.randrange(-2 * 1440, 12 * 1440))
        ends.append(End(ticket, rng.choice(METRICS), fulfilled, target, elapsed, at, ticket.priority, n))
    # A resolution met, then (the ticket reopened) breached, both in the period: counts once, breached.
    first = tickets[0]
    ends.append(End(first, "resolution_time", True, 60, 600, START + timedelta(days=1), first.priority, 60))
    ends.append(End(first, "resolution_time", False, 60, None, START + timedelta(days=2), first.priority, 61))
    # Three next-reply cycles of one ticket: each counts.
    for k in range(3):
        ends.append(
            End(
                first, "next_reply_time", True, 60, 1800 + k, START + timedelta(days=3, hours=k), first.priority, 62 + k
            )
        )
    # At the period's bounds: the start is in, the end is out.
    ends.append(End(tickets[1], "first_reply_time", True, 30, 60, START, tickets[1].priority, 65))
    ends.append(End(tickets[2], "first_reply_time", False, 30, None, END, tickets[2].priority, 66))
    for end in ends:
        _record(end)
    return {"tickets": tickets, "ends": ends}


# --- the figures, worked out independently -------------------------------------------------------


def _counted(ends: list[End], visible=None, team=None) -> list[End]:
    inside = [
        e
        for e in ends
        if START <= e.at < END
        and (visible is None or e.ticket.pk in visible)
        and (team is None or e.ticket.team_id == team.pk)
    ]
    inside.sort(key=lambda e: (e.at, e.order))
    last: dict[tuple[int, str], End] = {}
    kept = []
    for e in inside:
        if e.metric in REPEATING:
            kept.append(e)
        else:
            last[(e.ticket.pk, e.metric)] = e
    return kept + list(last.values())


def _expected(ends: list[End]) -> dict:
    achieved = [e for e in ends if e.fulfilled]
    breached = [e for e in ends if not e.fulfilled]
    ranked: list[float] = sorted(e.elapsed * 100 // (e.target * 60) for e in achieved if e.elapsed is not None)
    ranked += [math.inf] * len(breached)

    def point(p):
        if not ranked:
            return {"percent": None, "over_target": False}
        value = ranked[math.ceil(p * len(ranked) / 100) - 1]
        return {"percent": None, "over_target": True} if value == math.inf else {"percent": value, "over_target": False}

    return {
        "ended": len(ends),
        "achieved": len(achieved),
        "breached": len(breached),
        "achievement_percent": math.floor(len(achieved) * 1000 / len(ends)) / 10 if ends else None,
        "elapsed_of_target": {"median": point(50), "p90": point(90)},
    }


def _figures(row: dict) -> dict:
    return {k: row[k] for k in ("ended", "achieved", "breached", "achievement_percent", "elapsed_of_target")}


def _check(result: dict, ends: list[End], teams, agents) -> None:
    assert _figures(result["overall"]) == _expected(ends)
    assert [r["metric"] for r in result["metrics"]] == METRICS
    for row in result["metrics"]:
        assert _figures(row) == _expected([e for e in ends if e.metric == row["metric"]]), row["metric"]
    assert [r["priority"] for r in result["priorities"]] == PRIORITIES
    for row in result["priorities"]:
        assert _figures(row) == _expected([e for e in ends if e.priority == row["priority"]]), row["priority"]
    assert [r["team"]["id"] for r in result["teams"]] == [t.pk for t in teams]
    for row in result["teams"]:
        assert _figures(row) == _expected([e for e in ends if e.ticket.team_id == row["team"]["id"]])
    assert [r["agent"]["id"] for r in result["agents"]] == [a.pk for a in agents]
    for row in result["agents"]:
        assert _figures(row) == _expected([e for e in ends if e.ticket.assignee_id == row["agent"]["id"]])


def test_generated_clocks_give_the_expected_figures(
    desk, admin, agent, team_agent, other_team_agent, billing_team, tech_team
):
    ends = _counted(desk["ends"])
    assert (
        len(ends) > 30 and any(not e.fulfilled for e in ends) and any(e.elapsed is None and e.fulfilled for e in ends)
    )
    result = sla_stats.achievement(viewer=admin, since=START, until=END)
    people = sorted([admin, agent, team_agent, other_team_agent], key=lambda u: (u.name, u.pk))
    _check(result, ends, [billing_team, tech_team], people)
    assert result["policies_active"] is False  # events of earlier policies still count


def test_a_team_agent_counts_only_their_teams_tickets_and_sees_their_own_row(desk, team_agent, billing_team):
    visible = {t.pk for t in desk["tickets"] if t.team_id == billing_team.pk}
    ends = _counted(desk["ends"], visible=visible)
    result = sla_stats.achievement(viewer=team_agent, since=START, until=END)
    _check(result, ends, [billing_team], [team_agent])


def test_an_all_tickets_agent_sees_every_ticket_and_team_but_only_their_own_row(desk, agent, billing_team, tech_team):
    result = sla_stats.achievement(viewer=agent, since=START, until=END)
    _check(result, _counted(desk["ends"]), [billing_team, tech_team], [agent])


def test_one_team(desk, admin, tech_team, other_team_agent):
    ends = _counted(desk["ends"], team=tech_team)
    result = sla_stats.achievement(viewer=admin, since=START, until=END, team=tech_team)
    _check(result, ends, [tech_team], [other_team_agent])


def test_percentiles_by_hand(customer, admin):
    """Ten resolutions: seven met at 10 … 70 % of a one-hour target, three breached."""
    tickets = [_file(customer, f"Hand made ticket {i}") for i in range(10)]
    for i, ticket in enumerate(tickets):
        fulfilled = i < 7
        _record(End(ticket, "resolution_time", fulfilled, 60, 360 * (i + 1) if fulfilled else None, START, "normal", i))
    row = sla_stats.achievement(viewer=admin, since=START, until=END)["metrics"][4]
    assert row["metric"] == "resolution_time"
    assert (row["ended"], row["achieved"], row["breached"], row["achievement_percent"]) == (10, 7, 3, 70.0)
    assert row["elapsed_of_target"] == {
        "median": {"percent": 50, "over_target": False},  # the 5th of 10
        "p90": {"percent": None, "over_target": True},  # the 9th: a breach
    }


def test_customers_get_nothing(desk, customer):
    result = sla_stats.achievement(viewer=customer, since=START, until=END)
    assert result["overall"]["ended"] == 0 and result["agents"] == [] and result["teams"] == []


def test_priority_is_the_one_when_the_clock_ended(customer, admin):
    ticket = _file(customer)
    _record(End(ticket, "first_reply_time", True, 60, 60, START, "urgent", 0))
    services.ticket_update(actor=admin, ticket=ticket, priority=Priority.LOW)
    rows = {
        r["priority"]: r["ended"] for r in sla_stats.achievement(viewer=admin, since=START, until=END)["priorities"]
    }
    assert rows == {"urgent": 1, "high": 0, "normal": 0, "low": 0}


# --- the refresh records what the figures read -----------------------------------------------------


def test_refresh_records_elapsed_time_and_priority(monkeypatch, customer, agent, admin):
    """Through the services: a 60-minute calendar-time first reply met after 20 minutes, and
    a 30-minute one breached."""
    frozen = FrozenClock(monkeypatch, START + timedelta(hours=1))
    policy(
        targets=[
            (Priority.HIGH, Metric.FIRST_REPLY_TIME, 60, False),
            (Priority.LOW, Metric.FIRST_REPLY_TIME, 30, False),
        ]
    )
    met = services.ticket_create(actor=customer, subject="Met in time", description="x" * 20, priority=Priority.HIGH)
    late = services.ticket_create(actor=customer, subject="Answered late", description="x" * 20, priority=Priority.LOW)
    sla_refresh(met)
    sla_refresh(late)
    frozen.set(START + timedelta(hours=1, minutes=20))
    services.message_add(actor=agent, ticket=met, body="Here is the answer.")
    frozen.set(START + timedelta(hours=2))
    services.message_add(actor=agent, ticket=late, body="Sorry for the wait.")
    sla_refresh(met)
    sla_refresh(late)
    fulfilled = TicketEvent.objects.get(kind=EventKind.SLA_FULFILLED)
    assert fulfilled.data["elapsed_seconds"] == 20 * 60 and fulfilled.data["priority"] == "high"
    assert TicketEvent.objects.get(kind=EventKind.SLA_BREACHED).data["priority"] == "low"
    result = sla_stats.achievement(viewer=admin, since=START, until=END)
    assert result["policies_active"] is True
    row = result["metrics"][0]
    assert (row["ended"], row["achieved"], row["breached"], row["achievement_percent"]) == (2, 1, 1, 50.0)
    assert row["elapsed_of_target"]["median"] == {"percent": 33, "over_target": False}  # 20 of 60 minutes
    assert row["elapsed_of_target"]["p90"] == {"percent": None, "over_target": True}


# --- cost ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 60])
def test_query_count_does_not_grow_with_clocks_or_people(n, customer, admin, django_assert_num_queries):
    User.objects.bulk_create([User(email=f"a{i}@desk.test", name=f"Agent {i:03}", role=Role.AGENT) for i in range(n)])
    ticket = _file(customer)
    for i in range(n):
        _record(
            End(ticket, "next_reply_time", i % 3 != 0, 60, 60 * i % 3600, START + timedelta(minutes=i), "normal", i)
        )
    with django_assert_num_queries(3):  # the ended clocks, the teams, the people
        result = sla_stats.achievement(viewer=admin, since=START, until=END)
    assert result["metrics"][1]["ended"] == n and len(result["agents"]) == n + 1


def test_a_repeated_request_is_cached_and_an_outcome_expires_it(customer, admin, django_capture_on_commit_callbacks):
    ticket = _file(customer)

    def ended_and_sql():
        with CaptureQueriesContext(connection) as captured:
            result = sla_stats.achievement(viewer=admin, since=START, until=END)
        return result["overall"]["ended"], any("tickets_ticketevent" in q["sql"] for q in captured.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        _record(End(ticket, "first_reply_time", True, 60, 60, START, "normal", 0))
    assert ended_and_sql() == (1, True)
    assert ended_and_sql() == (1, False)  # from the cache
    with django_capture_on_commit_callbacks(execute=True):  # e.g. the sweeper breaching a clock
        _record(End(ticket, "resolution_time", False, 60, None, START, "normal", 1))
    assert ended_and_sql() == (2, True)
    with django_capture_on_commit_callbacks(execute=True):  # a status change (statistics version)
        services.ticket_change_status(actor=admin, ticket=ticket, status=Status.SOLVED)
    assert ended_and_sql()[1] is True
