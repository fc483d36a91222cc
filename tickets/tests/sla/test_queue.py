"""The queue's SLA side: ``Ticket.sla_breach_at`` kept by the refresh, the "Next breach" column
worded and coloured, its sort (NULLS LAST, keyset pages both ways) and the two SLA views with
their counts in the one counting query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk import keyset
from tickets import queue, services
from tickets.models import Priority, Status, Ticket
from tickets.selectors import listing
from tickets.sla import display
from tickets.sla.models import ClockState, Metric, SlaClock
from tickets.sla.refresh import sla_refresh
from tickets.sla.sweeper import sweep_sla
from tickets.tests.sla.support import FrozenClock, policy

T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
TARGETS = [
    (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 60, False),
    (Priority.NORMAL, Metric.RESOLUTION_TIME, 600, False),
    (Priority.URGENT, Metric.FIRST_REPLY_TIME, 25, False),
]


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch, T0)


def _ticket(customer, subject, **extra):
    ticket = services.ticket_create(actor=customer, subject=subject, description="x" * 20, **extra)
    sla_refresh(ticket)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize(
    ("left", "text", "tone"),
    [
        (25 * MIN, "in 25 min", "soon"),
        (3 * H + 5 * MIN, "in 3 h", "ok"),
        (3 * 24 * H, "in 3 d", "ok"),
        (-2 * H, "2 h overdue", "overdue"),
        (-30 * MIN, "30 min overdue", "overdue"),
        (timedelta(0), "1 min overdue", "overdue"),
    ],
)
def test_due_times_are_worded_and_toned(left, text, tone):
    found = display.due(T0 + left, T0)
    assert (found.text, found.tone) == (text, tone)
    assert display.due(None, T0) is None


def test_the_refresh_keeps_the_earliest_open_breach_on_the_ticket(db, customer, agent, frozen):
    policy(targets=TARGETS)
    ticket = _ticket(customer, "Broken login page")
    assert ticket.sla_breach_at == T0 + H  # first reply, before resolution
    frozen.set(T0 + 10 * MIN)
    services.message_add(actor=agent, ticket=ticket, body="Looking into it")
    sla_refresh(ticket)
    ticket.refresh_from_db()
    assert ticket.sla_breach_at == T0 + 10 * H  # only resolution still runs
    # The sweeper breaches it: still open (not met), so it stays the ticket's next breach.
    assert sweep_sla(T0 + 11 * H).breached == 1
    ticket.refresh_from_db()
    assert ticket.sla_breach_at == T0 + 10 * H
    frozen.set(T0 + 12 * H)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    sla_refresh(ticket)
    ticket.refresh_from_db()
    assert ticket.sla_breach_at is None  # met, late: nothing is due any more
    assert SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION_TIME).state == ClockState.BREACHED


def test_the_queue_shows_the_next_breach_worded_and_coloured(db, client, customer, agent, frozen):
    policy(targets=TARGETS)
    soon = _ticket(customer, "Urgent printer", priority=Priority.URGENT)
    late = _ticket(customer, "Late ticket here")
    Ticket.objects.filter(pk=late.pk).update(sla_breach_at=T0 - 2 * H)
    no_policy = services.ticket_create(
        actor=customer, subject="Outside any SLA", description="x" * 20, priority=Priority.LOW
    )  # no target for low
    client.force_login(agent)
    html = client.get("/agent/", {"view": "all", "sort": "sla"}).content.decode()
    assert "Next breach" in html
    assert 'class="sla-due sla-soon"' in html and "in 25 min" in html
    assert 'class="sla-due sla-overdue"' in html and "2 h overdue" in html
    # Sorted: overdue first, then the soonest, then the ticket with nothing due.
    order = [html.index(f'id="select-{t.pk}"') for t in (late, soon, no_policy)]
    assert order == sorted(order)
    row = html[html.index(f'id="select-{no_policy.pk}"') :].split("</tr>")[0]
    assert "sla-due" not in row


def test_next_breach_pages_both_ways_with_the_tickets_without_a_due_time_last(db, customer, agent):
    tickets = [services.ticket_create(actor=customer, subject=f"Ticket {i:02}", description="x" * 20) for i in range(9)]
    for index, ticket in enumerate(tickets[:5]):
        Ticket.objects.filter(pk=ticket.pk).update(sla_breach_at=T0 + (index % 3) * H)  # ties broken by id
    qs = listing.ticket_list(agent, sort="sla")
    expected = list(qs.values_list("pk", flat=True))
    assert set(expected[5:]) == {t.pk for t in tickets[5:]}  # NULLS LAST
    seen, cursor, pages = [], None, []
    while True:
        page = listing.ticket_page(qs, sort="sla", cursor=cursor, size=2, user=agent)
        seen += [t.pk for t in page.tickets]
        pages.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    back = listing.ticket_page(qs, sort="sla", cursor=pages[-1].previous_cursor, size=2, user=agent)
    assert [t.pk for t in back.tickets] == [t.pk for t in pages[-2].tickets]
    reverse = list(listing.ticket_list(agent, sort="-sla").values_list("pk", flat=True))
    assert reverse == expected[::-1]
    with pytest.raises(keyset.BadCursor):
        listing.ticket_page(qs, sort="-updated_at", cursor=pages[0].next_cursor, size=2, user=agent)


def test_the_sla_views_and_their_counts_in_the_one_query(db, client, customer, agent, frozen):
    policy(targets=TARGETS)
    soon = _ticket(customer, "Urgent printer", priority=Priority.URGENT)  # in 25 min
    later = _ticket(customer, "Normal request")  # in 1 h: still within the hour
    Ticket.objects.filter(pk=later.pk).update(sla_breach_at=T0 + 2 * H)
    late = _ticket(customer, "Late ticket here")
    Ticket.objects.filter(pk=late.pk).update(sla_breach_at=T0 - MIN)
    services.ticket_create(
        actor=customer, subject="Outside any SLA", description="x" * 20, priority=Priority.LOW
    )  # no target for low
    with CaptureQueriesContext(connection) as counted:
        counts = queue.view_counts(agent)
    # Every view's count, the SLA views' too, in the one counting query.
    assert sum("COUNT(*)" in q["sql"] for q in counted.captured_queries) == 1
    assert (counts["sla_breaching"], counts["sla_breached"]) == (1, 1)
    client.force_login(agent)
    breaching = client.get("/agent/", {"view": "sla_breaching"}).content.decode()
    assert f'id="select-{soon.pk}"' in breaching and f'id="select-{late.pk}"' not in breaching
    breached = client.get("/agent/", {"view": "sla_breached"}).content.decode()
    assert f'id="select-{late.pk}"' in breached and f'id="select-{soon.pk}"' not in breached
    assert "Breaching within 1 h" in breached and "1 min overdue" in breached
