"""Races between real transactions on separate connections (issue 7).

`make test` runs a few repetitions; `make stress` runs the numbers of the issue (50 repetitions of
20 simultaneous claims; 10 agents draining 1,000 tickets) on PostgreSQL.
"""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest
from django.db import connection

from accounts import services as account_services
from accounts.models import User
from tickets import services
from tickets.exceptions import Conflict
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.tests.factories import make_ticket

REPEATS = int(os.environ.get("HELPDESK_STRESS_REPEATS", "2"))
DRAIN_TICKETS = int(os.environ.get("HELPDESK_STRESS_TICKETS", "80"))


def _agents(n: int) -> list[int]:
    return [
        account_services.user_create(
            email=f"racer{i}@desk.test", name=f"Racer {i}", password="x", role="agent", validate_password_strength=False
        ).pk
        for i in range(n)
    ]


def _run_together(target, args_list) -> list:
    """Start one thread per args, release them at the same instant, collect what each returned."""
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)

    def run(index, args):
        try:
            barrier.wait()
            results[index] = target(*args)
        except Exception as exc:  # recorded, asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def _claim(agent_id: int, ticket_id: int) -> str:
    try:
        services.ticket_claim(actor=User.objects.get(pk=agent_id), ticket=Ticket.objects.get(pk=ticket_id))
        return "won"
    except Conflict:
        return "conflict"


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_claims_have_one_winner(customer):
    agents = _agents(20)
    for _ in range(REPEATS):
        ticket = make_ticket(customer)
        results = _run_together(_claim, [(agent, ticket.pk) for agent in agents])
        assert Counter(results) == {"won": 1, "conflict": 19}, results
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1
        ticket.refresh_from_db()
        assert ticket.status == Status.IN_PROGRESS and ticket.assignee_id in agents


def _drain(agent_id: int) -> list[int]:
    agent = User.objects.get(pk=agent_id)
    claimed = []
    while (ticket := services.claim_next(actor=agent)) is not None:
        claimed.append(ticket.pk)
    return claimed


@pytest.mark.django_db(transaction=True)
def test_ten_agents_drain_the_queue_without_losing_or_doubling_a_ticket(customer):
    agents = _agents(10)
    ids = {make_ticket(customer, subject=f"Queue ticket {i}").pk for i in range(DRAIN_TICKETS)}
    results = _run_together(_drain, [(agent,) for agent in agents])
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    claimed = [pk for batch in results for pk in batch]
    assert len(claimed) == len(set(claimed)) == DRAIN_TICKETS  # each once
    assert set(claimed) == ids  # none lost
    assert not Ticket.objects.filter(assignee__isnull=True).exists()
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED).count() == DRAIN_TICKETS
