"""The sweeper: due clocks breached, recorded and notified exactly once — by two workers racing
on PostgreSQL (SKIP LOCKED), one after the other on SQLite — and warnings ahead of the breach,
once. (10,000 clocks: ``test_sweeper_concurrency``; recipients and actions: ``test_escalation``.)"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from accounts import services as account_services
from accounts.models import Role
from tickets.models import EventKind, Notification, NotificationKind, Ticket, TicketEvent
from tickets.sla.models import ClockState, Metric, SlaClock
from tickets.sla.sweeper import sweep_sla
from tickets.tests.sla.support import policy

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
METRICS = list(Metric.values)


def _due_clocks(requester, tickets: int, *, breach_at=NOW - timedelta(minutes=1)) -> list[int]:
    standard = policy("Standard")
    made = Ticket.objects.bulk_create(
        [
            Ticket(subject=f"Due ticket {i}", requester=requester, created_at=NOW - timedelta(days=1))
            for i in range(tickets)
        ]
    )
    clocks = SlaClock.objects.bulk_create(
        [
            SlaClock(
                ticket=t,
                policy=standard,
                metric=m,
                target_minutes=60,
                started_at=NOW - timedelta(hours=2),
                resumed_at=NOW - timedelta(hours=2),
                breach_at=breach_at,
            )
            for t in made
            for m in METRICS
        ]
    )
    return [c.pk for c in clocks]


def _admins(count=2):
    return [
        account_services.user_create(
            email=f"boss{i}@desk.test",
            name=f"Boss {i}",
            password="x",
            role=Role.ADMIN,
            validate_password_strength=False,
        )
        for i in range(count)
    ]


def _assert_exactly_once(clock_ids, admins):
    assert set(SlaClock.objects.filter(pk__in=clock_ids).values_list("state", flat=True)) == {ClockState.BREACHED}
    events = Counter((e.ticket_id, e.data["metric"]) for e in TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED))
    assert len(events) == len(clock_ids)
    assert set(events.values()) == {1}
    notes = Notification.objects.filter(kind=NotificationKind.SLA_BREACHED)
    assert notes.count() == len(clock_ids) * len(admins)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_process_a_clock_twice(customer):
    admins = _admins()
    # 500 due clocks in batches of 25: twenty claims for the two workers to race over (2,000 in
    # batches of 50 took three minutes of `make test`; the 10,000-clock race is
    # test_sweeper_concurrency's)
    clock_ids = _due_clocks(customer, 100)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(index):
        try:
            barrier.wait()
            results[index] = sweep_sla(now=NOW, batch=25)
        except Exception as exc:  # asserted on below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(isinstance(r, Exception) for r in results), results
    assert results[0].breached + results[1].breached == len(clock_ids)
    assert results[0].breached and results[1].breached, "both workers took a share"
    _assert_exactly_once(clock_ids, admins)


@pytest.mark.django_db
def test_sequential_sweeps_process_each_clock_once(customer):
    admins = _admins()
    clock_ids = _due_clocks(customer, 7)
    assert sweep_sla(now=NOW, batch=4).breached == len(clock_ids)
    assert sweep_sla(now=NOW, batch=4).breached == 0
    _assert_exactly_once(clock_ids, admins)


@pytest.mark.django_db
def test_not_yet_due_clocks_are_left_and_warned_once(customer, agent):
    _admins(1)
    ticket = Ticket.objects.create(subject="Soon due ticket", requester=customer, assignee=agent)
    standard = policy("Standard")
    clock = SlaClock.objects.create(
        ticket=ticket,
        policy=standard,
        metric=Metric.RESOLUTION_TIME,
        target_minutes=60,
        started_at=NOW - timedelta(minutes=40),
        resumed_at=NOW - timedelta(minutes=40),
        breach_at=NOW + timedelta(minutes=20),
    )
    paused = SlaClock.objects.create(
        ticket=ticket,
        policy=standard,
        metric=Metric.REQUESTER_WAIT_TIME,
        target_minutes=60,
        state=ClockState.PAUSED,
        started_at=NOW - timedelta(days=2),
        used_seconds=7200,
    )
    assert (sweep_sla(now=NOW).breached, sweep_sla(now=NOW).warned) == (0, 0)
    clock.refresh_from_db()
    assert clock.state == ClockState.RUNNING and clock.warned_at == NOW
    # Only the assignee hears about it, once.
    assert list(Notification.objects.values_list("recipient", "kind")) == [(agent.pk, NotificationKind.SLA_WARNING)]
    assert sweep_sla(now=NOW + timedelta(minutes=25)).breached == 1
    paused.refresh_from_db()
    assert paused.state == ClockState.PAUSED


@pytest.mark.django_db
def test_the_cron_command_sweeps(customer, capsys):
    _admins(1)
    clock_ids = _due_clocks(customer, 1, breach_at=datetime(2020, 1, 1, tzinfo=UTC))
    call_command("sla_sweep")
    assert f"{len(clock_ids)} breached" in capsys.readouterr().out
    assert not SlaClock.objects.filter(state=ClockState.RUNNING).exists()


def test_beat_runs_the_sweeper_every_minute(settings):
    from helpdesk.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["sla-sweep"]
    assert entry["schedule"] <= 60
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
