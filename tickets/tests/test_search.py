"""Full-text search (tickets.search): who finds what, ranking, pagination, and the documents
kept in step with the conversation. Runs on PostgreSQL (tsvector + GIN) and SQLite (LIKE)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from tickets import search, services
from tickets.models import SearchDocument
from tickets.search import postgres
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def found(user, text: str, **params) -> list[int]:
    response = api(user).get("/api/v1/tickets/", {"q": text, **params})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def desk(customer, other_customer, agent):
    """Three tickets of Ada's, one of another customer, and an internal note with a secret word."""
    gateway = make_ticket(customer, subject="Payment gateway rejects cards", description="Every card is declined.")
    invoice = make_ticket(customer, subject="Cannot download invoice", description="The gateway page spins.")
    printer = make_ticket(customer, subject="Printer offline", description="Nothing prints on floor two.")
    services.message_add(actor=agent, ticket=printer, body="Escalated to vendor Zyxwarp support.", internal=True)
    theirs = make_ticket(other_customer, subject="Gateway timeout on checkout", description="The gateway is slow.")
    return {"gateway": gateway, "invoice": invoice, "printer": printer, "theirs": theirs}


def test_customer_finds_own_tickets_by_subject_and_reply(customer, desk):
    assert set(found(customer, "gateway")) == {desk["gateway"].pk, desk["invoice"].pk}


def test_customer_never_matches_internal_notes(customer, agent, desk):
    assert found(customer, "Zyxwarp") == []
    assert found(agent, "Zyxwarp") == [desk["printer"].pk]


def test_portal_search_leaves_out_internal_notes(client, customer, agent, desk):
    client.force_login(customer)
    page = client.get("/portal/", {"q": "Zyxwarp"})
    assert page.status_code == 200
    assert "Printer offline" not in page.content.decode()
    page = client.get("/portal/", {"q": "floor"})
    assert "Printer offline" in page.content.decode()


def test_agent_queue_search_matches_notes_and_ticket_numbers(client, agent, desk):
    client.force_login(agent)
    body = client.get("/agent/", {"view": "all", "q": "Zyxwarp"}).content.decode()
    assert "Printer offline" in body and "Cannot download invoice" not in body
    body = client.get("/agent/", {"view": "all", "q": f"#{desk['invoice'].pk}"}).content.decode()
    assert "Cannot download invoice" in body and "Printer offline" not in body


def test_ticket_number_finds_only_visible_tickets(customer, desk):
    assert found(customer, f"#{desk['invoice'].pk}")[0] == desk["invoice"].pk
    assert found(customer, f"#{desk['theirs'].pk}") == []


def test_subject_match_ranks_above_body_match(customer, desk):
    # "gateway" is in the first ticket's subject and only in the second one's description.
    assert found(customer, "gateway") == [desk["gateway"].pk, desk["invoice"].pk]


def test_results_page_by_cursor_in_rank_order(customer, desk):
    client = api(customer)
    seen = []
    url = "/api/v1/tickets/?q=gateway&page_size=1"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
    assert seen == [desk["gateway"].pk, desk["invoice"].pk]


def test_other_orderings_still_apply_to_a_search(customer, desk):
    assert found(customer, "gateway", ordering="-created_at") == [desk["invoice"].pk, desk["gateway"].pk]


def test_relevance_without_a_search_is_a_clear_400(customer, desk):
    response = api(customer).get("/api/v1/tickets/", {"ordering": "relevance"})
    assert response.status_code == 400
    assert "q" in response.json()["ordering"][0]


def test_words_are_all_required(customer, desk):
    assert found(customer, "gateway cards") == [desk["gateway"].pk]
    assert found(customer, "gateway nonexistentword") == []


def test_a_search_of_only_common_words_finds_nothing_and_does_not_fail(customer, desk):
    assert api(customer).get("/api/v1/tickets/", {"q": "the"}).status_code == 200


def test_replies_and_subject_changes_are_searchable_at_once(customer, agent, desk):
    ticket = desk["printer"]
    services.message_add(actor=customer, ticket=ticket, body="Tried the Quuxberry driver too.")
    assert found(customer, "Quuxberry") == [ticket.pk]
    services.ticket_update(actor=agent, ticket=ticket, subject="Plotter offline since Monday")
    assert found(customer, "plotter") == [ticket.pk]
    assert found(customer, "printer") == []


@pytest.mark.postgres  # search documents are PostgreSQL's; deselected on SQLite
def test_documents_follow_the_services_and_hold_notes_apart(customer, agent, desk):
    document = SearchDocument.objects.get(ticket=desk["printer"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT public::text, internal::text FROM tickets_searchdocument WHERE ticket_id = %s",
            [document.ticket_id],
        )
        public, internal = cursor.fetchone()
    assert "'printer':1a" in public.lower() or "'printer':1A" in public
    assert "zyxwarp" in internal and "zyxwarp" not in public


@pytest.mark.postgres  # search documents are PostgreSQL's; deselected on SQLite
def test_reindex_rebuilds_lost_documents(customer, agent, desk):
    SearchDocument.objects.all().delete()
    assert found(agent, "Zyxwarp") == []
    call_command("reindex_search", verbosity=0)
    assert SearchDocument.objects.count() == 4
    assert found(agent, "Zyxwarp") == [desk["printer"].pk]


def test_reindex_reports_what_it_did(capsys, desk):
    call_command("reindex_search")
    out = capsys.readouterr().out
    if search.enabled():
        assert "Rebuilt the search documents of 4 tickets." in out
    else:
        assert "nothing to do" in out
        assert SearchDocument.objects.count() == 0


def test_rank_window_keeps_the_most_recent_matches(customer, desk, monkeypatch):
    monkeypatch.setattr(postgres, "RANK_WINDOW", 1)
    # Both match; only the more recently created one is ranked and listed.
    assert found(customer, "gateway") == [desk["invoice"].pk]


def test_agent_queue_lists_best_matches_first_and_pages_by_rank(client, agent, desk):
    from tickets import queue

    client.force_login(agent)
    response = client.get("/agent/", {"view": "all", "q": "gateway"})
    assert response.context["sort"] == "relevance"
    # Ada's ticket with "gateway" in the subject, then the other two by their message text.
    ids = [t.pk for t in response.context["page"].tickets]
    assert ids[0] in (desk["gateway"].pk, desk["theirs"].pk) and set(ids) == {
        desk["gateway"].pk,
        desk["invoice"].pk,
        desk["theirs"].pk,
    }
    assert ids[-1] == desk["invoice"].pk  # the only one without "gateway" in its subject
    tickets = queue.filtered(agent, "all", {"q": "gateway", "sort": "relevance"})
    seen, cursor = [], None
    while True:
        page = queue.paginate(tickets, "relevance", cursor, size=1)
        seen += [t.pk for t in page.tickets]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == ids
    # "Best match" without a search is the usual order, not an error.
    response = client.get("/agent/", {"view": "all", "sort": "relevance"})
    assert response.status_code == 200 and response.context["sort"] == "-updated"
    # A search sorted another way lists every match in that order.
    response = client.get("/agent/", {"view": "all", "q": "gateway", "sort": "-created"})
    assert [t.pk for t in response.context["page"].tickets] == sorted(ids, reverse=True)


def test_notes_are_searched_only_where_the_searcher_may_read_them(
    client, customer, team_agent, agent, admin, tech_team, billing_team
):
    # Tom (Billing only) files a ticket of his own; it goes to Technical, where Alice adds a note.
    own = make_ticket(team_agent, subject="Laptop will not boot", description="Black screen since Monday.")
    services.ticket_update(actor=admin, ticket=own, team=tech_team)
    services.message_add(actor=agent, ticket=own, body="Vendor case Qwertzuiop opened.", internal=True)
    # And a Billing ticket, whose notes Tom works with.
    billing = make_ticket(customer, subject="Invoice question", description="What is this charge for?")
    services.ticket_update(actor=admin, ticket=billing, team=billing_team)
    services.message_add(actor=agent, ticket=billing, body="Refund code Asdfghjkl approved.", internal=True)

    assert found(team_agent, "Laptop") == [own.pk]  # he sees his own ticket…
    assert found(team_agent, "Qwertzuiop") == []  # …but not its internal notes
    assert found(team_agent, "Asdfghjkl") == [billing.pk]  # notes of his team's tickets are searched
    assert found(agent, "Qwertzuiop") == [own.pk]
    client.force_login(team_agent)
    body = client.get("/agent/", {"view": "all", "q": "Qwertzuiop"}).content.decode()
    assert "Laptop will not boot" not in body
