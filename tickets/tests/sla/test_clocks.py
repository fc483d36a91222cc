"""Policies and clocks: which policy applies, and what each metric's clock does as the ticket
moves (frozen clock; changes made through the services, as agents and customers make them)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets import services
from tickets.models import EventKind, Priority, Status, TicketEvent
from tickets.sla import clocks
from tickets.sla.models import ClockState, Metric, SlaClock
from tickets.sla.refresh import policy_for, sla_refresh
from tickets.tests.sla.support import FrozenClock, policy, weekday_schedule

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)


def _clock(ticket, metric):
    return SlaClock.objects.get(ticket=ticket, metric=metric)


def _events(ticket, kind):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind))


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch, T0)


# --- the pure decision table ---------------------------------------------------------------------


def _facts(status=Status.OPEN, first=None, support=None, unanswered=None, finished=None):
    return clocks.Facts(status, T0, first, support, unanswered, finished)


@pytest.mark.parametrize(
    ("metric", "facts", "kind"),
    [
        (Metric.FIRST_REPLY_TIME, _facts(), clocks.RUNNING),
        (Metric.FIRST_REPLY_TIME, _facts(Status.PENDING), clocks.RUNNING),
        (Metric.FIRST_REPLY_TIME, _facts(first=T0 + H, support=T0 + H), clocks.DONE),
        (Metric.FIRST_REPLY_TIME, _facts(Status.SOLVED, finished=T0 + H), clocks.DONE),
        (Metric.NEXT_REPLY_TIME, _facts(), clocks.NONE),
        (Metric.NEXT_REPLY_TIME, _facts(first=T0 + H, support=T0 + H, unanswered=T0 + 2 * H), clocks.RUNNING),
        (Metric.NEXT_REPLY_TIME, _facts(Status.PENDING, T0 + H, T0 + H, T0 + 2 * H), clocks.RUNNING),
        (Metric.NEXT_REPLY_TIME, _facts(first=T0 + H, support=T0 + H), clocks.DONE),
        (Metric.PERIODIC_UPDATE, _facts(), clocks.NONE),
        (Metric.PERIODIC_UPDATE, _facts(first=T0 + H, support=T0 + H), clocks.RUNNING),
        (Metric.PERIODIC_UPDATE, _facts(Status.PENDING, T0 + H, T0 + H), clocks.PAUSED),
        (Metric.PERIODIC_UPDATE, _facts(Status.ON_HOLD, T0 + H, T0 + H), clocks.RUNNING),
        (Metric.REQUESTER_WAIT_TIME, _facts(Status.PENDING), clocks.PAUSED),
        (Metric.REQUESTER_WAIT_TIME, _facts(Status.ON_HOLD), clocks.RUNNING),
        (Metric.REQUESTER_WAIT_TIME, _facts(Status.SOLVED, finished=T0 + H), clocks.DONE),
        (Metric.RESOLUTION_TIME, _facts(Status.PENDING), clocks.RUNNING),
        (Metric.RESOLUTION_TIME, _facts(Status.ON_HOLD), clocks.RUNNING),
        (Metric.RESOLUTION_TIME, _facts(Status.CLOSED, finished=T0 + H), clocks.DONE),
    ],
)
def test_decision_table(metric, facts, kind):
    assert clocks.decide(metric, facts).kind == kind


# --- policies ------------------------------------------------------------------------------------


def test_the_first_active_matching_policy_by_position_applies(db, customer):
    ticket = services.ticket_create(actor=customer, subject="Broken login page", description="x" * 20)
    policy("Everything", position=30)
    policy("Urgent only", position=10, conditions={"all": [{"field": "priority", "operator": "is", "value": "urgent"}]})
    policy("Switched off", position=0, active=False)
    assert policy_for(ticket).name == "Everything"
    ticket.priority = Priority.URGENT
    assert policy_for(ticket).name == "Urgent only"


# --- clocks through the services ------------------------------------------------------------------


def test_berlin_christmas_first_reply_due_monday(db, customer, frozen):
    """Created Thursday 24 Dec 2026 16:00 in Berlin, German holidays, 4 business hours → Monday 12:00."""
    schedule = weekday_schedule("Berlin", "Europe/Berlin", country="DE")
    policy(schedule=schedule, targets=[(Priority.HIGH, Metric.FIRST_REPLY_TIME, 240, True)])
    frozen.set(datetime(2026, 12, 24, 16, tzinfo=BERLIN))
    ticket = services.ticket_create(actor=customer, subject="Invoices are wrong", description="x" * 20, priority="high")
    sla_refresh(ticket)
    clock = _clock(ticket, Metric.FIRST_REPLY_TIME)
    assert clock.state == ClockState.RUNNING
    assert clock.breach_at == datetime(2026, 12, 28, 12, tzinfo=BERLIN)
    assert [e.data["policy"]["name"] for e in _events(ticket, EventKind.SLA_POLICY_APPLIED)] == ["Standard"]


def test_pending_extends_requester_wait_and_not_resolution(db, customer, agent, frozen):
    weekday_schedule()
    policy(
        targets=[
            (Priority.NORMAL, Metric.REQUESTER_WAIT_TIME, 600, False),
            (Priority.NORMAL, Metric.RESOLUTION_TIME, 600, False),
        ]
    )
    ticket = services.ticket_create(actor=customer, subject="Printer on fire", description="x" * 20)
    sla_refresh(ticket)
    frozen.set(T0 + H)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.PENDING)
    sla_refresh(ticket)
    assert _clock(ticket, Metric.REQUESTER_WAIT_TIME).state == ClockState.PAUSED
    assert _clock(ticket, Metric.REQUESTER_WAIT_TIME).breach_at is None
    frozen.set(T0 + 3 * H)
    ticket.refresh_from_db()
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.OPEN)
    sla_refresh(ticket)
    assert _clock(ticket, Metric.REQUESTER_WAIT_TIME).breach_at == T0 + 12 * H
    assert _clock(ticket, Metric.RESOLUTION_TIME).breach_at == T0 + 10 * H


def test_replies_fulfil_first_and_next_reply_and_cycle(db, customer, agent, frozen):
    weekday_schedule()
    policy(
        targets=[
            (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 120, True),
            (Priority.NORMAL, Metric.NEXT_REPLY_TIME, 60, True),
        ]
    )
    ticket = services.ticket_create(actor=customer, subject="Cannot sign in", description="x" * 20)  # 10:00 Madrid
    sla_refresh(ticket)
    assert not SlaClock.objects.filter(metric=Metric.NEXT_REPLY_TIME).exists()  # before the first reply
    frozen.set(T0 + H)
    services.message_add(actor=agent, ticket=ticket, body="Have you tried again?")
    ticket.refresh_from_db()
    sla_refresh(ticket)
    first = _clock(ticket, Metric.FIRST_REPLY_TIME)
    assert (first.state, first.fulfilled_at, first.used_seconds) == (ClockState.FULFILLED, T0 + H, 3600)
    assert len(_events(ticket, EventKind.SLA_FULFILLED)) == 1
    frozen.set(T0 + 2 * H)
    services.message_add(actor=customer, ticket=ticket, body="Yes, still broken.")
    frozen.set(T0 + 2.5 * H)
    services.message_add(actor=customer, ticket=ticket, body="Any news?")
    ticket.refresh_from_db()
    sla_refresh(ticket)
    following = _clock(ticket, Metric.NEXT_REPLY_TIME)
    # The oldest unanswered message starts the cycle: due one business hour after it.
    assert (following.state, following.started_at, following.breach_at) == (ClockState.RUNNING, T0 + 2 * H, T0 + 3 * H)
    # A refresh at 11:00 UTC sees it due: breached once, however often it runs.
    frozen.set(T0 + 3 * H)
    sla_refresh(ticket)
    sla_refresh(ticket)
    assert _clock(ticket, Metric.NEXT_REPLY_TIME).state == ClockState.BREACHED
    assert len(_events(ticket, EventKind.SLA_BREACHED)) == 1
    frozen.set(T0 + 4 * H)
    services.message_add(actor=agent, ticket=ticket, body="Fixed now.")
    ticket.refresh_from_db()
    sla_refresh(ticket)
    answered = _clock(ticket, Metric.NEXT_REPLY_TIME)
    assert (answered.state, answered.fulfilled_at) == (ClockState.BREACHED, T0 + 4 * H)
    frozen.set(T0 + 5 * H)
    services.message_add(actor=customer, ticket=ticket, body="Broken again.")
    ticket.refresh_from_db()
    sla_refresh(ticket)
    again = _clock(ticket, Metric.NEXT_REPLY_TIME)
    assert (again.state, again.started_at, again.breach_at) == (ClockState.RUNNING, T0 + 5 * H, T0 + 6 * H)


def test_refresh_is_idempotent(db, customer, frozen):
    weekday_schedule()
    policy(targets=[(Priority.NORMAL, Metric.RESOLUTION_TIME, 600, True)])
    ticket = services.ticket_create(actor=customer, subject="Slow dashboards", description="x" * 20)
    first = [(c.metric, c.state, c.breach_at, c.used_seconds) for c in sla_refresh(ticket)]
    events = TicketEvent.objects.filter(ticket=ticket).count()
    frozen.set(T0 + 5 * H)
    assert [(c.metric, c.state, c.breach_at, c.used_seconds) for c in sla_refresh(ticket)] == first
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_priority_change_retargets_and_resolved_reopen_resumes(db, customer, agent, frozen):
    weekday_schedule(hours=(time(0), time(23, 59)))
    policy(
        targets=[
            (Priority.NORMAL, Metric.RESOLUTION_TIME, 600, False),
            (Priority.URGENT, Metric.RESOLUTION_TIME, 120, False),
        ]
    )
    ticket = services.ticket_create(actor=customer, subject="Data export fails", description="x" * 20)
    sla_refresh(ticket)
    assert _clock(ticket, Metric.RESOLUTION_TIME).breach_at == T0 + 10 * H
    ticket = services.ticket_update(actor=agent, ticket=ticket, priority=Priority.URGENT)
    sla_refresh(ticket)
    assert _clock(ticket, Metric.RESOLUTION_TIME).breach_at == T0 + 2 * H
    frozen.set(T0 + H)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    ticket.refresh_from_db()
    sla_refresh(ticket)
    solved = _clock(ticket, Metric.RESOLUTION_TIME)
    assert (solved.state, solved.used_seconds) == (ClockState.FULFILLED, 3600)
    frozen.set(T0 + 5 * H)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.OPEN)
    ticket.refresh_from_db()
    sla_refresh(ticket)
    reopened = _clock(ticket, Metric.RESOLUTION_TIME)
    assert (reopened.state, reopened.breach_at) == (ClockState.RUNNING, T0 + 6 * H)


def test_no_matching_policy_removes_running_clocks(db, customer, frozen):
    weekday_schedule()
    made = policy(targets=[(Priority.NORMAL, Metric.RESOLUTION_TIME, 600, True)])
    ticket = services.ticket_create(actor=customer, subject="Slow dashboards", description="x" * 20)
    sla_refresh(ticket)
    made.active = False
    made.save()
    sla_refresh(ticket)
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    applied = [e.data["policy"] for e in _events(ticket, EventKind.SLA_POLICY_APPLIED)]
    assert applied == [{"id": made.pk, "name": "Standard"}, None]
