"""My tickets is read in parts (``permissions.visible_parts``): a page's worth of the customer's
own requests and of everything else they may see, merged in order. These tests check that the
pages hold exactly what the one ``visible_tickets`` condition holds, in the same order, forward
and back, with filters and searches; that a requester's missing permission row still hides the
ticket; and that the queries do not grow with the customer's history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets import permissions, selectors, services
from tickets.models import Status, Ticket, TicketUserPermission

pytestmark = pytest.mark.django_db


def _file(actor, requester, subject: str, **fields) -> Ticket:
    return services.ticket_create(
        actor=actor, requester=requester, subject=subject, description="Something needs looking at, please.", **fields
    )


@pytest.fixture
def desk(admin, customer, org_member, other_customer):
    """The customer's own tickets, an organization colleague's (Acme shares tickets), another
    customer's (one shared with the customer as collaborator), with activity times interleaved."""
    tickets = []
    for i in range(7):
        tickets.append(_file(admin, customer, f"Own {i}"))
        tickets.append(_file(admin, org_member, f"Colleague {i}"))
        tickets.append(_file(admin, other_customer, f"Stranger {i}"))
    services.collaborator_add(actor=admin, ticket=tickets[2], email=customer.email)
    now = timezone.now()
    for i, ticket in enumerate(reversed(tickets)):
        Ticket.objects.filter(pk=ticket.pk).update(public_activity_at=now - timedelta(minutes=i // 2))  # ties too
    services.ticket_change_status(actor=admin, ticket=tickets[0], status=Status.SOLVED)
    return tickets


def _expected(user, **filters) -> list[int]:
    return list(selectors.ticket_list_for_portal(user, **filters).values_list("pk", flat=True))


def _walk(user, size: int, **filters) -> tuple[list[int], list[int]]:
    """Every page forward, then every page back from the last; the ids in reading order."""
    forward, pages = [], []
    page = selectors.my_tickets_page(user, cursor=None, size=size, **filters)
    while True:
        pages.append(page)
        forward += [t.pk for t in page.tickets]
        if not page.next_cursor:
            break
        page = selectors.my_tickets_page(user, cursor=page.next_cursor, size=size, **filters)
    backward = [t.pk for t in pages[-1].tickets]
    while page.previous_cursor:
        page = selectors.my_tickets_page(user, cursor=page.previous_cursor, size=size, **filters)
        backward = [t.pk for t in page.tickets] + backward
    return forward, backward


@pytest.mark.parametrize("size", [1, 3, 4, 50])
def test_pages_hold_exactly_the_visible_tickets_in_order(desk, customer, size):
    expected = _expected(customer)
    assert len(expected) == 15  # 7 own + 7 shared by the organization + 1 collaboration
    forward, backward = _walk(customer, size)
    assert forward == expected
    assert backward == expected


@pytest.mark.parametrize("filters", [{"status": "open"}, {"status": "solved"}, {"q": "Colleague"}, {"q": "Own 3"}])
def test_filters_and_searches_give_the_same_pages(desk, customer, filters):
    expected = _expected(customer, **filters)
    assert expected
    assert _walk(customer, 2, **filters)[0] == expected


def test_each_customer_sees_only_their_own(desk, customer, org_member, other_customer):
    for person in (customer, org_member, other_customer):
        shown = _walk(person, 4)[0]
        assert shown == _expected(person)
        assert set(shown) == set(permissions.visible_tickets(person).values_list("pk", flat=True))


def test_the_permission_rows_decide_even_for_ones_own_requests(desk, customer, org_member):
    # Without their own row, the customer still sees their request through Acme's sharing…
    own = next(t for t in desk if t.requester_id == customer.pk)
    TicketUserPermission.objects.filter(user=customer, content_object=own).delete()
    shown = _walk(customer, 3)[0]
    assert own.pk in shown
    assert shown == _expected(customer)
    # …and a colleague outside the organization's sharing no longer sees it at all.
    colleague_own = next(t for t in desk if t.requester_id == org_member.pk)
    TicketUserPermission.objects.filter(user=org_member, content_object=colleague_own).delete()
    org_member.groups.clear()
    shown = _walk(org_member, 3)[0]
    assert colleague_own.pk not in shown
    assert shown == _expected(org_member)


def test_agents_have_no_parts(agent, team_agent):
    assert permissions.visible_parts(agent) == []
    assert permissions.visible_parts(team_agent) == []


def test_the_queries_do_not_grow_with_the_customers_history(admin, customer, client, password):
    client.force_login(customer)

    def queries_for_my_tickets() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/portal/").status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    _file(admin, customer, "The first one")
    few = queries_for_my_tickets()
    for i in range(30):
        _file(admin, customer, f"Another {i}")
    many = queries_for_my_tickets()
    assert len(many) == len(few)
    # The customer's own requests are read a page at a time, by requester, never all of them.
    own_part = next(sql for sql in many if '"public_activity_at" DESC' in sql and '"requester_id" = ' in sql)
    assert "LIMIT 26" in own_part


@pytest.mark.parametrize("ordering", ["-updated_at", "updated_at", "created_at", "-priority", "status"])
def test_the_api_list_pages_a_customer_the_same_way(desk, customer, ordering):
    from tickets.tests.api.support import token_client

    api = token_client(customer)
    expected = [
        t.pk
        for t in selectors.ticket_list(customer, sort=ordering, tickets=selectors.ticket_list_for_requester(customer))
    ]
    shown, url = [], f"/api/v1/tickets/?ordering={ordering}&page_size=4"
    while url:
        answer = api.get(url)
        assert answer.status_code == 200
        shown += [row["id"] for row in answer.json()["results"]]
        url = answer.json()["next"]
    assert shown == expected
    assert len(shown) == 15
