"""Every committed change refreshes the ticket's clocks (``tickets.sla.hook``): through the
services only — nothing here calls ``sla_refresh``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
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


def test_a_rolled_back_change_refreshes_nothing(db, customer, agent, frozen, committed):
    """A creation rolled back leaves no clock; a reply rolled back leaves the clocks as they were."""
    weekday_schedule()
    policy(targets=ALL_METRICS)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_create(actor=customer, subject="Broken login page", description="x" * 20)
        raise RuntimeError("rolled back")
    assert not SlaClock.objects.exists()
    ticket = committed(services.ticket_create, actor=customer, subject="Broken login page", description="x" * 20)
    frozen.set(T0 + H)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.message_add(actor=agent, ticket=ticket, body="Looking into it")
        raise RuntimeError("rolled back")
    assert _state(ticket, Metric.FIRST_REPLY_TIME) == ClockState.RUNNING


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


def test_a_new_tickets_clocks_start_in_its_transaction_inserted_together(
    db, customer, frozen, django_capture_on_commit_callbacks
):
    """Three clocks start with a new ticket, before its transaction commits, in one INSERT with
    the ticket's next breach: no second transaction reads the ticket, its clocks, its history
    or its messages again (``sla.refresh.sla_start``)."""
    weekday_schedule()
    policy(targets=ALL_METRICS)
    services.ticket_create(actor=customer, subject="Broken signup page", description="x" * 20)  # reads the calendar
    with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as queries:
        ticket = services.ticket_create(actor=customer, subject="Broken login page", description="x" * 20)
    found = list(SlaClock.objects.filter(ticket=ticket).order_by("metric"))
    assert [(c.metric, c.target_minutes, c.state) for c in found] == [
        (Metric.FIRST_REPLY_TIME, 120, ClockState.RUNNING),
        (Metric.REQUESTER_WAIT_TIME, 600, ClockState.RUNNING),
        (Metric.RESOLUTION_TIME, 1200, ClockState.RUNNING),
    ]
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum(q.startswith('INSERT INTO "tickets_slaclock"') for q in sql) == 1
    assert not [q for q in sql if q.startswith("SELECT") and 'FROM "tickets_slaclock"' in q]
    assert not [q for q in sql if "FOR UPDATE" in q]
    ticket.refresh_from_db()
    assert ticket.sla_breach_at == min(c.breach_at for c in found)
    applied = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_POLICY_APPLIED)
    assert applied.count() == 1
    # What a full refresh finds afterwards is what the start made: nothing to change or record.
    from tickets.sla.refresh import sla_refresh

    with CaptureQueriesContext(connection) as again:
        assert [(c.metric, c.breach_at) for c in sla_refresh(ticket)] == [(c.metric, c.breach_at) for c in found]
    assert not [q for q in again.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]


def test_an_agents_ticket_starts_as_answered_by_support(db, agent, customer, frozen, committed):
    """Filed by an agent for a customer, the opening message is support's: the start and a
    full refresh agree on the facts."""
    from tickets.sla.refresh import sla_refresh

    weekday_schedule()
    policy(targets=ALL_METRICS)
    ticket = committed(
        services.ticket_create,
        actor=agent,
        subject="Called in: printer jam",
        description="Customer called about a jam.",
        requester=customer,
    )
    started = {c.metric: (c.state, c.breach_at) for c in SlaClock.objects.filter(ticket=ticket)}
    with CaptureQueriesContext(connection) as again:
        refreshed = {c.metric: (c.state, c.breach_at) for c in sla_refresh(ticket)}
    assert refreshed == started
    assert not [q for q in again.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
