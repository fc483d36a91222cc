"""Issue 17's acceptance: 10,000 due clocks swept by two workers at once on PostgreSQL — each
breach recorded, notified and escalated exactly once (SELECT … FOR UPDATE SKIP LOCKED).

The notification job is queued, not run, as with a broker: ``notify_event.delay`` records the
event ids it is handed (the one stand-in here; jobs would otherwise run in the sweeping thread,
which production never does). A sample of the queued jobs is then run twice to show delivery
is once per recipient; the mail itself is tested in ``test_escalation``."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection

from accounts import services as account_services
from accounts.models import Role
from tickets.models import EventKind, Notification, NotificationKind, Priority, Ticket, TicketEvent
from tickets.sla.models import ClockState, Metric, SlaClock
from tickets.sla.sweeper import sweep_sla
from tickets.tests.sla.support import policy

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CLOCKS = int(os.environ.get("SLA_SWEEP_CLOCKS", "10000"))
#: One ticket in this many is under the policy with breach actions.
ESCALATE_EVERY = int(os.environ.get("SLA_ESCALATE_EVERY", "20"))


def _staff(count: int, role: str) -> list:
    return [
        account_services.user_create(
            email=f"{role}{i}@desk.test",
            name=f"{role.title()} {i}",
            password="x",
            role=role,
            validate_password_strength=False,
        )
        for i in range(count)
    ]


class Broker:
    """Stands in for the Celery broker: ``delay`` queues the job (thread-safe), nothing runs it."""

    def __init__(self) -> None:
        self.queued: list[int] = []
        self._lock = threading.Lock()

    def delay(self, event_id: int) -> None:
        with self._lock:
            self.queued.append(event_id)


def _due_tickets(customer, agents, count: int, offset: int, category: str | None = None) -> list[Ticket]:
    return Ticket.objects.bulk_create(
        [
            Ticket(
                subject=f"Due ticket {offset + i}",
                requester=customer,
                assignee=agents[i % len(agents)],
                category=category,
                created_at=NOW - timedelta(hours=3),
            )
            for i in range(count)
        ]
    )


@pytest.mark.postgres
def test_two_workers_sweep_ten_thousand_due_clocks_exactly_once(transactional_db, customer, monkeypatch):
    from tickets.notifications import tasks

    broker = Broker()
    monkeypatch.setattr(tasks.notify_event, "delay", broker.delay)
    agents = _staff(4, Role.AGENT)
    (boss,) = _staff(1, Role.ADMIN)
    targets = [(Priority.NORMAL, Metric.RESOLUTION_TIME, 60, False)]
    # VIP tickets escalate (priority raised, tagged); the rest are only notified.
    vip = policy(
        "VIP",
        position=0,
        targets=targets,
        conditions={"all": [{"field": "category", "operator": "is", "value": "billing"}]},
    )
    vip.breach_recipients, vip.acts_as = ["assignee"], boss
    vip.breach_actions = [{"action": "set_priority", "value": "urgent"}, {"action": "add_tags", "value": ["late"]}]
    vip.save()
    standard = policy("Standard", position=1, targets=targets)
    standard.breach_recipients = ["assignee"]
    standard.save()
    escalating = CLOCKS // ESCALATE_EVERY
    tickets = _due_tickets(customer, agents, escalating, 0, "billing") + _due_tickets(
        customer, agents, CLOCKS - escalating, escalating
    )
    vip_ids = {t.pk for t in tickets[:escalating]}
    SlaClock.objects.bulk_create(
        [
            SlaClock(
                ticket=t,
                policy=vip if t.pk in vip_ids else standard,
                metric=Metric.RESOLUTION_TIME,
                target_minutes=60,
                business_hours=False,
                started_at=NOW - timedelta(hours=3),
                resumed_at=NOW - timedelta(hours=3),
                breach_at=NOW - timedelta(minutes=1 + i % 90),
            )
            for i, t in enumerate(tickets)
        ]
    )
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(index: int) -> None:
        try:
            barrier.wait()
            results[index] = sweep_sla(now=NOW, batch=250)
        except Exception as exc:  # asserted on below
            results[index] = exc
        finally:
            connection.close()

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    elapsed = time.monotonic() - started
    print(f"\n{CLOCKS} due clocks ({escalating} escalating) swept by two workers in {elapsed:.1f} s")

    assert not any(isinstance(r, Exception) for r in results), results
    assert results[0].breached + results[1].breached == CLOCKS
    assert results[0].breached and results[1].breached, "both workers took a share"
    assert results[0].escalated + results[1].escalated == escalating
    assert not SlaClock.objects.exclude(state=ClockState.BREACHED).exists()
    # Each breach recorded once.
    breach_events = dict(TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).values_list("pk", "ticket_id"))
    per_ticket = Counter(breach_events.values())
    assert len(per_ticket) == CLOCKS and set(per_ticket.values()) == {1}
    # Each notified once, to the ticket's assignee only, and its mail queued once.
    notes = list(Notification.objects.values_list("event_id", "ticket_id", "recipient_id", "kind"))
    assignee_of = dict(Ticket.objects.values_list("pk", "assignee_id"))
    assert len(notes) == CLOCKS
    assert {kind for *_, kind in notes} == {NotificationKind.SLA_BREACHED}
    assert {event for event, *_ in notes} == set(breach_events)
    assert all(assignee_of[ticket] == recipient for _e, ticket, recipient, _k in notes)
    queued = Counter(broker.queued)
    assert {event: queued[event] for event in breach_events} == dict.fromkeys(breach_events, 1)
    # The actions ran once per VIP ticket, via the policy, and never on the others.
    for kind in (EventKind.PRIORITY_CHANGED, EventKind.TAGS_CHANGED):
        done = Counter(TicketEvent.objects.filter(kind=kind).values_list("ticket_id", flat=True))
        assert set(done) == vip_ids and set(done.values()) == {1}, kind
    priorities = dict(Ticket.objects.values_list("pk", "priority"))
    assert {priorities[pk] for pk in vip_ids} == {Priority.URGENT}
    assert {p for pk, p in priorities.items() if pk not in vip_ids} == {Priority.NORMAL}
    via = TicketEvent.objects.filter(kind=EventKind.PRIORITY_CHANGED).values_list("data", flat=True)
    assert {(d["via"]["kind"], d["via"]["name"]) for d in via} == {("sla_policy", "VIP")}
    # Delivery: a sample of the queued jobs, each run twice (a redelivered job), mails once.
    sample = random.Random(17).sample(sorted(breach_events), 50)
    for event_id in sample + sample:
        tasks.notify_event.run(event_id)
    assert len(mail.outbox) == len(sample)
    assert Notification.objects.filter(event_id__in=sample, emailed_at__isnull=False).count() == len(sample)
    # A second sweep finds nothing left to do.
    again = sweep_sla(now=NOW + timedelta(minutes=1))
    assert (again.breached, again.escalated) == (0, 0)
    assert TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() == CLOCKS
