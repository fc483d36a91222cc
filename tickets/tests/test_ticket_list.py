"""The one ticket list (``tickets.selectors.listing``): the same filter gives the same tickets on
every surface that offers it — the portal (as the customer), the agent queue (as the agent) and
the API (as each of them) — and ``message_count`` counts notes only where they may be read."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import PASSWORD
from tickets import services
from tickets.models import Ticket
from tickets.search import postgres as search_postgres
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db


def _at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, minute))


@pytest.fixture
def desk(settings, customer, org_member, other_customer, agent, admin, billing_team, tech_team):
    """Five tickets with something different in every field a filter reads, in a time zone that
    is not UTC (a date filter means a day where the desk is)."""
    settings.TIME_ZONE = "America/New_York"

    def new(actor, subject, **fields):
        return services.ticket_create(actor=actor, subject=subject, description=f"{subject}: the details.", **fields)

    invoice = new(customer, "Invoice totals are wrong", priority="high", category="billing", tags=["Invoice"])
    services.ticket_update(actor=admin, ticket=invoice, team=billing_team)
    services.message_add(actor=agent, ticket=invoice, body="Could you send a screenshot of it?")
    login = new(customer, "Login fails on mobile", priority="urgent", category="technical")
    services.ticket_update(actor=admin, ticket=login, team=tech_team)
    services.ticket_claim(actor=agent, ticket=login)
    services.message_add(actor=agent, ticket=login, body="Known bug in the gateway.", internal=True)
    dark = new(org_member, "Feature idea: dark mode", priority="low", category="feature_request")
    services.ticket_change_status(actor=agent, ticket=dark, status="pending")
    refund = new(other_customer, "Refund for order 1234", tags=["refund"])
    services.ticket_change_status(actor=agent, ticket=refund, status="solved")
    phoned = new(agent, "Phone call about the invoice address", requester=customer, channel="email")
    services.ticket_update(actor=agent, ticket=phoned, status="on_hold", assignee=agent, team=billing_team)
    # Times on purpose: 23:30 on the 31st is still "before or on 2026-01-31"; 00:30 on 1 February is not.
    times = {
        invoice: (_at(15, 10), _at(20, 9)),
        login: (_at(31, 23, 30), _at(31, 23, 45)),
        dark: (_at(1, 0, 30, month=2), _at(2, 8, month=2)),
        refund: (_at(20, 12), _at(25, 12)),
        phoned: (_at(10, 8), _at(1, 0, 10, month=2)),
    }
    for ticket, (created, updated) in times.items():
        # The last change of each is public here, so agents and customers date them alike
        # (internal activity: tickets/tests/test_public_activity.py).
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created, updated_at=updated, public_activity_at=updated)
    tickets = {"invoice": invoice, "login": login, "dark": dark, "refund": refund, "phoned": phoned}
    ids = {name: t.pk for name, t in tickets.items()}
    return {"ids": ids, "agent": agent, "customer": customer, "billing": billing_team, "acme": customer.organization}


# One row per filter: (what, the API's and the queue's parameters, the portal's — None where it does
# not offer the filter —, what the agent gets, and what Ada gets when it is not simply the agent's
# tickets that she may see; REFUSED: a 400, since tags and team are internal). The queue has no
# channel filter; the portal has status groups and search.
REFUSED: set[str] = {"refused"}
FILTERS: list[tuple[str, dict, dict | None, set[str], set[str] | None]] = [
    ("no filter", {}, {}, {"invoice", "login", "dark", "refund", "phoned"}, None),
    ("one status", {"status": ["pending"]}, {"status": "waiting"}, {"dark"}, None),
    ("statuses", {"status": ["open", "in_progress", "on_hold"]}, {"status": "open"}, {"invoice", "login", "phoned"}, None),
    ("solved", {"status": ["solved"]}, {"status": "solved"}, {"refund"}, None),
    ("priorities", {"priority": ["urgent", "high"]}, None, {"invoice", "login"}, None),
    ("assignee me", {"assignee": "me"}, None, {"login", "phoned"}, set()),  # "me" is whoever asks
    ("assignee none", {"assignee": "none"}, None, {"invoice", "dark", "refund"}, None),
    ("assignee id", {"assignee": "{agent}"}, None, {"login", "phoned"}, None),
    ("team id", {"team": "{billing}"}, None, {"invoice", "phoned"}, REFUSED),
    ("no team", {"team": "none"}, None, {"dark", "refund"}, REFUSED),
    ("requester id", {"requester": "{customer}"}, None, {"invoice", "login", "phoned"}, None),
    ("organization id", {"organization": "{acme}"}, None, {"invoice", "login", "dark", "phoned"}, None),
    ("tag, any case", {"tag": "INVOICE"}, None, {"invoice"}, REFUSED),
    ("category", {"category": "technical"}, None, {"login"}, None),
    ("channel", {"channel": "email"}, None, {"phoned"}, None),
    ("search the subject", {"q": "invoice"}, {"q": "invoice"}, {"invoice", "phoned"}, None),
    ("search a public reply", {"q": "screenshot"}, {"q": "screenshot"}, {"invoice"}, None),
    ("search an internal note", {"q": "gateway"}, {"q": "gateway"}, {"login"}, set()),
    ("search a ticket number", {"q": "#{dark}"}, {"q": "#{dark}"}, {"dark"}, None),
    ("created, inclusive end day", {"created_before": "2026-01-31"}, None, {"invoice", "login", "refund", "phoned"}, None),
    ("created, a range of days", {"created_after": "2026-01-15", "created_before": "2026-01-20"}, None, {"invoice", "refund"}, None),
    ("created from a day", {"created_after": "2026-02-01"}, None, {"dark"}, None),
    ("updated, one day", {"updated_after": "2026-01-31", "updated_before": "2026-01-31"}, None, {"login"}, None),
    ("updated, instants", {"updated_after": "2026-01-31T23:40:00-05:00", "updated_before": "2026-02-01T00:10:00-05:00"}, None, {"login"}, None),
    ("together", {"status": ["open"], "priority": ["high"], "tag": "invoice", "team": "{billing}"}, None, {"invoice"}, REFUSED),
]  # fmt: skip
QUEUE_LACKS = {"channel"}


def _ids(desk, names) -> set[int]:
    return {desk["ids"][name] for name in names}


def _params(desk, params: dict) -> dict:
    values = {**desk["ids"], "agent": desk["agent"].pk, "customer": desk["customer"].pk}
    values |= {"billing": desk["billing"].pk, "acme": desk["acme"].pk}
    return {
        k: [x.format(**values) for x in v] if isinstance(v, list) else v.format(**values) for k, v in params.items()
    }


def _api(user, params: dict) -> set[int]:
    response = token_client(user).get("/api/v1/tickets/", {**params, "page_size": 100})
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["results"]}


def _page(user, path: str, params: dict) -> set[int]:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    response = client.get(path, params)
    assert response.status_code == 200
    assert not response.context.get("filter_errors"), response.context["filter_errors"]
    return {t.pk for t in response.context["page"].items}


@pytest.mark.parametrize(
    ("what", "params", "portal", "for_agent", "for_customer"), FILTERS, ids=[r[0] for r in FILTERS]
)
def test_a_filter_lists_the_same_tickets_on_every_surface(desk, what, params, portal, for_agent, for_customer):
    agent, customer = desk["agent"], desk["customer"]
    params = _params(desk, params)
    expected_agent = _ids(desk, for_agent)
    ada_sees = _ids(desk, {"invoice", "login", "dark", "phoned"})
    expected_customer = _ids(desk, for_customer) if for_customer not in (None, REFUSED) else expected_agent & ada_sees

    assert _api(agent, params) == expected_agent
    if not QUEUE_LACKS & set(params):
        assert _page(agent, "/agent/", {"view": "all", **params}) == expected_agent
    if for_customer is REFUSED:
        answer = token_client(customer).get("/api/v1/tickets/", params)
        assert answer.status_code == 400 and set(answer.json()) == {"tag", "team"} & set(params)
        return
    assert _api(customer, params) == expected_customer
    if portal is not None:
        assert _page(customer, "/portal/", _params(desk, portal)) == expected_customer


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tag": "no spaces"}, "tag"),
        ({"created_after": "2026-02-01", "created_before": "2026-01-31"}, "created_before"),
        ({"updated_before": "yesterday"}, "updated_before"),
        ({"created_before": "9999-12-31"}, "created_before"),
    ],
)
def test_a_bad_filter_is_named_on_the_api_and_shown_in_the_queue(desk, params, field):
    response = token_client(desk["agent"]).get("/api/v1/tickets/", params)
    assert response.status_code == 400 and field in response.json()
    client = Client()
    assert client.login(username=desk["agent"].email, password=PASSWORD)
    response = client.get("/agent/", {"view": "all", **params})
    assert response.status_code == 200 and response.context["filter_errors"]


def test_only_the_relevance_order_ranks_a_search(desk, monkeypatch):
    """Relevance ranks the best of the ``RANK_WINDOW`` newest matches; any other order lists
    every match — on the API as in the queue."""
    monkeypatch.setattr(search_postgres, "RANK_WINDOW", 1)
    agent, both, newest = desk["agent"], _ids(desk, {"invoice", "phoned"}), _ids(desk, {"phoned"})
    assert _api(agent, {"q": "invoice"}) == _api(agent, {"q": "invoice", "ordering": "relevance"}) == newest
    assert _page(agent, "/agent/", {"view": "all", "q": "invoice"}) == newest
    assert _api(agent, {"q": "invoice", "ordering": "-created_at"}) == both
    assert _page(agent, "/agent/", {"view": "all", "q": "invoice", "sort": "-created"}) == both


def test_message_count_counts_notes_only_where_they_may_be_read(
    team_agent, other_team_agent, admin, tech_team, billing_team, customer
):
    """Tom (Billing) files a ticket of his own that is routed to Technical: he sees it as its
    requester, so its internal notes are not counted for him; on Billing's tickets they are."""
    own = services.ticket_create(actor=team_agent, subject="My laptop is slow", description="It takes ages to boot.")
    services.ticket_update(actor=admin, ticket=own, team=tech_team)
    services.message_add(actor=other_team_agent, ticket=own, body="Probably the disk.", internal=True)
    worked = services.ticket_create(actor=customer, subject="Invoice question", description="Which VAT rate applies?")
    services.ticket_update(actor=admin, ticket=worked, team=billing_team)
    services.message_add(actor=team_agent, ticket=worked, body="Ask finance.", internal=True)

    def counts(user) -> dict[int, int]:
        results = token_client(user).get("/api/v1/tickets/").json()["results"]
        return {item["id"]: item["message_count"] for item in results}

    assert counts(team_agent) == {own.pk: 1, worked.pk: 2}
    assert counts(other_team_agent) == {own.pk: 2}
    assert counts(admin) == {own.pk: 2, worked.pk: 2}
    assert counts(customer) == {worked.pk: 1}
    detail = token_client(team_agent).get(f"/api/v1/tickets/{own.pk}/").json()
    assert detail["message_count"] == 1


def test_the_apis_kept_annotations_build_the_same_query_each_time(desk, customer, team_agent, admin):
    """The API's ``description`` and ``message_count`` expressions are built once per process and
    reused (``tickets.selectors.tickets``): each list, after the others', is the same SQL as one
    built from fresh expressions, and gives the same tickets."""
    from tickets.selectors import tickets as ticket_selectors

    def lists():
        out = []
        for user in (customer, team_agent, admin, customer):
            qs = ticket_selectors.ticket_list_for_api(user).order_by("-id")
            out.append((str(qs.query), list(qs.values_list("pk", "description", "message_count"))))
        return out

    kept = lists() + lists()
    ticket_selectors._opening_body.cache_clear()
    ticket_selectors._message_counts.cache_clear()
    fresh = lists()
    assert kept == fresh + fresh
    assert kept[0][1] and kept[0] != kept[1]  # the customer's list is not the agent's


def test_a_lists_tickets_come_with_their_tag_names(desk, admin, monkeypatch, django_assert_num_queries):
    """The lists read their tickets' tags in one plain query per batch of tickets, after the
    tickets (``tickets.selectors.tickets``): each ticket its own tags, by name, none for a ticket
    without; ``values()`` reads rows without them; ``.iterator()`` still streams."""
    from tickets.selectors import tickets as ticket_selectors

    monkeypatch.setattr(ticket_selectors, "_TAG_BATCH", 2)  # several batches from a small desk
    for number, ticket in enumerate(Ticket.objects.order_by("pk")):
        services.ticket_update(
            actor=admin, ticket=ticket, tags=[f"zeta{number}", "alpha", f"mid{number % 2}"][: number % 4]
        )
    expected = {t.pk: sorted(t.tags.values_list("name", flat=True)) for t in Ticket.objects.all()}
    assert len(expected) >= 5 and any(expected.values()) and not all(expected.values())
    listed = ticket_selectors.ticket_list_for_agent(admin)
    with django_assert_num_queries(1 + -(-len(expected) // 2)):  # the tickets, then a query per two
        tickets = list(listed)
    with django_assert_num_queries(0):
        assert {t.pk: ticket_selectors.tag_names(t) for t in tickets} == expected
    with django_assert_num_queries(1):
        assert sorted(listed.values_list("pk", flat=True)) == sorted(expected)
    stream = ticket_selectors.ticket_list_for_agent(admin).iterator(chunk_size=2)
    with django_assert_num_queries(2):  # streamed: the tickets, and the first two's tags only
        first = [next(stream), next(stream)]
    assert {t.pk: ticket_selectors.tag_names(t) for t in first} == {t.pk: expected[t.pk] for t in first}
    rest = list(stream)
    assert {t.pk: ticket_selectors.tag_names(t) for t in first + rest} == expected
    customer = Ticket.objects.order_by("pk").first().requester
    with CaptureQueriesContext(connection) as read:  # the portal shows no tags: none are read
        mine = list(ticket_selectors.ticket_list_for_requester(customer))
    assert mine and all(not hasattr(t, ticket_selectors.LISTED_TAGS) for t in mine)
    assert read.captured_queries and not [q for q in read.captured_queries if "tag" in q["sql"]]
