"""The agent's ticket page: the SLA card (each target's state, time left, why paused, when met or
breached) and the SLA history in words — agents only; one query, none without SLA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import history, services
from tickets.models import EventKind, Priority, Status, TicketEvent
from tickets.sla.models import Metric
from tickets.sla.refresh import sla_refresh
from tickets.sla.sweeper import sweep_sla
from tickets.tests.sla.support import FrozenClock, policy

T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)
H = timedelta(hours=1)
TARGETS = [
    (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 60, False),
    (Priority.NORMAL, Metric.REQUESTER_WAIT_TIME, 240, False),
    (Priority.NORMAL, Metric.RESOLUTION_TIME, 600, False),
]


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch, T0)


def _reads_clocks(sql):
    """A query of the clocks themselves (the ticket's own query asks only EXISTS)."""
    return sql.startswith('SELECT "tickets_slaclock".')


def _page(client, user, ticket):
    client.force_login(user)
    response = client.get(f"/agent/tickets/{ticket.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_card_lists_each_target_with_its_state(db, client, customer, agent, frozen):
    policy("Standard support", targets=TARGETS)
    ticket = services.ticket_create(actor=customer, subject="Printer on fire", description="x" * 20)
    sla_refresh(ticket)
    frozen.set(T0 + 2 * H)
    sweep_sla(T0 + 2 * H)  # first reply breached at T0 + 1 h
    ticket = services.ticket_change_status(actor=agent, ticket=ticket, status=Status.PENDING)
    sla_refresh(ticket)
    html = _page(client, agent, ticket)
    card = html[html.index('id="sla-heading"') :].split("</section>")[0]
    assert "Policy: Standard support" in card
    assert "First reply time" in card and "1 h overdue" in card and "Breached" in card
    assert "Requester wait time" in card and "paused while pending" in card
    assert "Resolution time" in card and "in 8 h" in card
    # The history says it too, in words.
    assert "applied SLA policy “Standard support”" in html
    assert "recorded the first reply time target as breached" in html


def test_met_targets_say_when(db, client, customer, agent, frozen):
    policy(targets=TARGETS)
    ticket = services.ticket_create(actor=customer, subject="Printer on fire", description="x" * 20)
    sla_refresh(ticket)
    frozen.set(T0 + H / 2)
    services.message_add(actor=agent, ticket=ticket, body="On it")
    sla_refresh(ticket)
    card = _page(client, agent, ticket).split('id="sla-heading"')[1].split("</section>")[0]
    assert "Fulfilled · met" in card and "Met " in card
    assert "recorded the first reply time target as met" in history.describe(
        TicketEvent.objects.get(ticket=ticket, kind=EventKind.SLA_FULFILLED)
    )


def test_customers_see_neither_card_nor_sla_history(db, client, customer, agent, frozen):
    policy("Standard support", targets=TARGETS)
    ticket = services.ticket_create(actor=customer, subject="Printer on fire", description="x" * 20)
    sla_refresh(ticket)
    client.force_login(customer)
    response = client.get(f"/portal/tickets/{ticket.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Standard support" not in html and "SLA" not in html
    assert client.get(f"/agent/tickets/{ticket.pk}/").status_code in (302, 403, 404)


def test_the_card_costs_one_query_and_none_without_sla(db, client, customer, agent, frozen):
    plain = services.ticket_create(actor=customer, subject="Printer on fire", description="x" * 20)
    client.force_login(agent)
    client.get(f"/agent/tickets/{plain.pk}/")
    with CaptureQueriesContext(connection) as without:
        html = client.get(f"/agent/tickets/{plain.pk}/").content.decode()
    assert 'id="sla-heading"' not in html
    assert not any(_reads_clocks(q["sql"]) for q in without.captured_queries)
    policy(targets=TARGETS)
    sla_refresh(plain)
    client.get(f"/agent/tickets/{plain.pk}/")
    with CaptureQueriesContext(connection) as with_sla:
        html = client.get(f"/agent/tickets/{plain.pk}/").content.decode()
    assert 'id="sla-heading"' in html
    assert sum(_reads_clocks(q["sql"]) for q in with_sla.captured_queries) == 1
    assert len(with_sla) == len(without) + 1
