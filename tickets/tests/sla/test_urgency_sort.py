"""The queue's "Most urgent first", SLA-aware (issue 17): overdue targets first, then the next
breach, then the tickets with nothing due by priority and age; its exact reverse "Least urgent
first"; keyset pages both ways; agents only; served by ``ticket_urgency_idx``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from helpdesk import keyset
from tickets import queue, services
from tickets.models import Priority, Ticket
from tickets.selectors import listing
from tickets.tests.api.support import token_client

T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def desk(db, customer):
    """Tickets whose expected "most urgent first" order is the order of the names."""

    def make(name: str, priority: str, breach_at: datetime | None) -> Ticket:
        ticket = services.ticket_create(
            actor=customer, subject=f"Ticket {name}", description="x" * 20, priority=priority
        )
        Ticket.objects.filter(pk=ticket.pk).update(sla_breach_at=breach_at)
        return ticket

    made = {}
    # Created in this order (ids ascending), listed in another.
    made["no_sla_low"] = make("no SLA, low", Priority.LOW, None)
    made["no_sla_urgent_old"] = make("no SLA, urgent, older", Priority.URGENT, None)
    made["due_later_urgent"] = make("due in 5 h, urgent", Priority.URGENT, T0 + 5 * H)
    made["overdue_low"] = make("2 h overdue, low", Priority.LOW, T0 - 2 * H)
    made["no_sla_high"] = make("no SLA, high", Priority.HIGH, None)
    made["due_soon_normal"] = make("due in 1 h, normal", Priority.NORMAL, T0 + H)
    made["due_soon_high"] = make("due in 1 h, high", Priority.HIGH, T0 + H)  # same moment: priority decides
    made["no_sla_urgent_new"] = make("no SLA, urgent, newer", Priority.URGENT, None)
    made["overdue_more_normal"] = make("5 h overdue, normal", Priority.NORMAL, T0 - 5 * H)
    return made


EXPECTED = [
    "overdue_more_normal",
    "overdue_low",
    "due_soon_high",
    "due_soon_normal",
    "due_later_urgent",
    "no_sla_urgent_old",
    "no_sla_urgent_new",
    "no_sla_high",
    "no_sla_low",
]


def test_most_urgent_first_is_overdue_then_next_breach_then_priority_and_age(desk, agent):
    listed = list(listing.ticket_list(agent, sort="urgency").values_list("pk", flat=True))
    assert listed == [desk[name].pk for name in EXPECTED]
    reverse = list(listing.ticket_list(agent, sort="-urgency").values_list("pk", flat=True))
    assert reverse == listed[::-1]
    # The queue's "Most urgent first" is this sort; its reverse "Least urgent first".
    assert queue.SORTS["priority"][1] == "urgency" and queue.SORTS["-priority"][1] == "-urgency"
    assert list(queue.apply_sort(Ticket.objects.all(), "priority").values_list("pk", flat=True)) == listed


@pytest.mark.parametrize("sort", ["urgency", "-urgency"])
def test_pages_both_ways_through_due_and_undue_tickets(desk, agent, sort):
    qs = listing.ticket_list(agent, sort=sort)
    expected = list(qs.values_list("pk", flat=True))
    seen, cursor, pages = [], None, []
    while True:
        page = listing.ticket_page(qs, sort=sort, cursor=cursor, size=2, user=agent)
        seen += [t.pk for t in page.tickets]
        pages.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected and len(pages) == 5
    for index in range(len(pages) - 1, 0, -1):  # back from the last page to the first
        back = listing.ticket_page(qs, sort=sort, cursor=pages[index].previous_cursor, size=2, user=agent)
        assert [t.pk for t in back.tickets] == [t.pk for t in pages[index - 1].tickets]
    with pytest.raises(keyset.BadCursor):
        listing.ticket_page(qs, sort="priority", cursor=pages[0].next_cursor, size=2, user=agent)


def test_the_queue_page_lists_most_urgent_first_and_pages_on(desk, client, agent):
    client.force_login(agent)
    html = client.get("/agent/", {"view": "all", "sort": "priority"}).content.decode()
    assert "Most urgent first" in html
    order = [html.index(f'id="select-{desk[name].pk}"') for name in EXPECTED]
    assert order == sorted(order)
    # Least urgent first: the tickets with nothing due, least urgent and newest, lead.
    html = client.get("/agent/", {"view": "all", "sort": "-priority"}).content.decode()
    assert html.index(f'id="select-{desk["no_sla_low"].pk}"') < html.index(f'id="select-{desk["no_sla_high"].pk}"')
    assert html.index(f'id="select-{desk["overdue_low"].pk}"') < html.index(
        f'id="select-{desk["overdue_more_normal"].pk}"'
    )


def test_only_people_who_work_tickets_sort_by_urgency(desk, customer, agent):
    assert "urgency" not in listing.sorts_for(customer) and "urgency" in listing.sorts_for(agent)
    assert token_client(customer).get("/api/v1/tickets/", {"ordering": "urgency"}).status_code == 400
    answer = token_client(agent).get("/api/v1/tickets/", {"ordering": "urgency"})
    assert answer.status_code == 200
    assert [t["id"] for t in answer.json()["results"]] == [desk[name].pk for name in EXPECTED]


def test_a_sort_of_several_columns_ends_with_the_id_in_its_direction():
    fields = {"urgency": ("sla_breach_at", "priority_rank"), "relevance": "-rank", "id": "id"}
    assert keyset.ordering_keys(fields, "urgency") == [
        ("sla_breach_at", False),
        ("priority_rank", False),
        ("id", False),
    ]
    assert keyset.ordering_keys(fields, "-urgency") == [("sla_breach_at", True), ("priority_rank", True), ("id", True)]
    assert keyset.ordering_keys(fields, "relevance") == [("rank", True), ("id", False)]
    assert keyset.ordering_keys(fields, "-id") == [("id", True)]


@pytest.mark.postgres
def test_the_urgency_index_serves_the_sort_both_ways(desk, agent):
    """With sequential scans priced out (a test desk is tiny), the planner walks
    ``ticket_urgency_idx`` for the page, forwards and backwards, without sorting."""
    for sort in ("priority", "-priority"):
        qs = queue.apply_sort(Ticket.objects.all(), sort)[: queue.PAGE_SIZE + 1]
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            # Statistics of this desk (its rows count as live in its own transaction), not of
            # whatever earlier tests' rolled-back rows the last autovacuum analyzed.
            cursor.execute("ANALYZE tickets_ticket")
            cursor.execute("SET LOCAL enable_seqscan = off")
            # On a few rows another index plus an (incremental) sort can cost the same as the walk;
            # priced out too, a plan without a sort exists only if the urgency index gives the order.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_incremental_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "ticket_urgency_idx" in plan, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan
