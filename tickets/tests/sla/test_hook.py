"""Every committed change refreshes the ticket's clocks (``tickets.sla.hook``): through the
services only — nothing here calls ``sla_refresh``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import EventKind, Priority, Status, TicketEvent, Trigger, TriggerOn
from tickets.sla import hook
from tickets.sla.models import ClockState, Metric, SlaClock
from tickets.tests.sla.support import FrozenClock, policy, weekday_schedule

T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)  # a Monday, 10:00 in Madrid
H = timedelta(hours=1)
ALL_METRICS = [
    (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 120, True),
    (Priority.NORMAL, Metric.REQUESTER_WAIT_TIME, 600, False),
    (Priority.NORMAL, Metric.RESOLUTION_TIME, 1200, False),
    (Priority.URGENT, Metric.FIRST_REPLY_TIME, 30, False),
]


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch, T0)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services register for after commit, as a real commit would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def _state(ticket, metric):
    return SlaClock.objects.get(ticket=ticket, metric=metric).state


def test_a_created_ticket_starts_its_clocks(db, customer, frozen, committed):
    weekday_schedule()
    policy(targets=ALL_METRICS)
    ticket = committed(services.ticket_create, actor=customer, subject="Broken login page", description="x" * 20)
    clocks = {c.metric: c for c in SlaClock.objects.filter(ticket=ticket)}
    assert set(clocks) == {Metric.FIRST_REPLY_TIME, Metric.REQUESTER_WAIT_TIME, Metric.RESOLUTION_TIME}
    assert all(c.state == ClockState.RUNNING for c in clocks.values())
    assert clocks[Metric.FIRST_REPLY_TIME].breach_at == T0 + 2 * H
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_POLICY_APPLIED).count() == 1


def test_the_agents_first_public_reply_fulfils_first_reply(db, customer, agent, frozen, committed):
    weekday_schedule()
    policy(targets=ALL_METRICS)
    ticket = committed(services.ticket_create, actor=customer, subject="Broken login page", description="x" * 20)
    frozen.set(T0 + H / 2)
    committed(services.message_add, actor=agent, ticket=ticket, body="Only a note.", internal=True)
    assert _state(ticket, Metric.FIRST_REPLY_TIME) == ClockState.RUNNING  # a note is no reply
    frozen.set(T0 + H)
    committed(services.message_add, actor=agent, ticket=ticket, body="Have you tried again?")
    clock = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_REPLY_TIME)
    assert (clock.state, clock.fulfilled_at) == (ClockState.FULFILLED, T0 + H)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_FULFILLED).count() == 1


def test_pending_pauses_requester_wait_and_solving_fulfils_resolution(db, customer, agent, frozen, committed):
    weekday_schedule()
    policy(targets=ALL_METRICS)
    ticket = committed(services.ticket_create, actor=customer, subject="Printer on fire", description="x" * 20)
    frozen.set(T0 + H)
    ticket = committed(services.ticket_change_status, actor=agent, ticket=ticket, status=Status.PENDING)
    assert _state(ticket, Metric.REQUESTER_WAIT_TIME) == ClockState.PAUSED
    assert _state(ticket, Metric.RESOLUTION_TIME) == ClockState.RUNNING
    frozen.set(T0 + 2 * H)
    ticket = committed(services.ticket_change_status, actor=agent, ticket=ticket, status=Status.SOLVED)
    resolution = SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION_TIME)
    assert (resolution.state, resolution.fulfilled_at) == (ClockState.FULFILLED, T0 + 2 * H)
    assert _state(ticket, Metric.REQUESTER_WAIT_TIME) == ClockState.FULFILLED


def test_the_refresh_runs_after_the_triggers_and_sees_their_changes(db, customer, admin, frozen, committed):
    """A trigger raises the priority on creation: the clocks run on the urgent target."""
    weekday_schedule()
    policy(targets=ALL_METRICS)
    Trigger.objects.create(
        name="Outage is urgent",
        on=TriggerOn.CREATED,
        conditions={"all": [{"field": "subject", "operator": "contains", "value": "outage"}]},
        actions=[{"action": "set_priority", "value": "urgent"}],
        owner=admin,
    )
    ticket = committed(services.ticket_create, actor=customer, subject="Total outage here", description="x" * 20)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    clocks = list(SlaClock.objects.filter(ticket=ticket))
    assert [(c.metric, c.target_minutes) for c in clocks] == [(Metric.FIRST_REPLY_TIME, 30)]


def test_a_rolled_back_change_refreshes_nothing(db, customer, frozen, django_capture_on_commit_callbacks):
    weekday_schedule()
    policy(targets=ALL_METRICS)
    with django_capture_on_commit_callbacks(execute=False):
        ticket = services.ticket_create(actor=customer, subject="Broken login page", description="x" * 20)
    assert not SlaClock.objects.filter(ticket=ticket).exists()


def test_without_policies_a_change_costs_no_query(db, customer, agent, committed):
    """No active policy: the hook reads the cache once and asks the database nothing."""
    policy("Off", active=False, targets=ALL_METRICS)
    ticket = committed(services.ticket_create, actor=customer, subject="Broken login page", description="x" * 20)
    assert hook.any_active() is False  # remembered for this version
    with CaptureQueriesContext(connection) as queries:
        assert hook.any_active() is False
    assert len(queries) == 0
    committed(services.message_add, actor=agent, ticket=ticket, body="Hello there")
    assert not SlaClock.objects.exists()
    # Switching the policy on is a new version: the next change starts the clocks.
    switched = policy("On", position=1, targets=ALL_METRICS)
    assert switched.active and hook.any_active() is True
    committed(services.message_add, actor=customer, ticket=ticket, body="Still broken")
    assert SlaClock.objects.filter(ticket=ticket).exists()


def test_a_new_tickets_clocks_are_inserted_together(db, customer, frozen, django_capture_on_commit_callbacks):
    """Three clocks start with a new ticket: one INSERT for them all, each with its id and target."""
    from tickets.sla.refresh import sla_refresh

    weekday_schedule()
    policy(targets=ALL_METRICS)
    with django_capture_on_commit_callbacks(execute=False):
        first = services.ticket_create(actor=customer, subject="Broken login page", description="x" * 20)
        ticket = services.ticket_create(actor=customer, subject="Broken signup page", description="x" * 20)
    sla_refresh(first)  # the schedule's calendar is read once per process
    with CaptureQueriesContext(connection) as queries:
        found = sla_refresh(ticket)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "tickets_slaclock"')]
    assert len(inserts) == 1
    assert [(c.metric, c.target_minutes, c.state) for c in found] == [
        (Metric.FIRST_REPLY_TIME, 120, ClockState.RUNNING),
        (Metric.REQUESTER_WAIT_TIME, 600, ClockState.RUNNING),
        (Metric.RESOLUTION_TIME, 1200, ClockState.RUNNING),
    ]
    assert all(c.pk is not None for c in found)
    assert sorted(SlaClock.objects.filter(ticket=ticket).values_list("pk", flat=True)) == sorted(c.pk for c in found)
    # Savepoint, ticket, clocks, last policy event, its insert, facts, clocks, ticket, release.
    assert len(queries) == 9
