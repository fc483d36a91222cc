"""The search interface (tickets.search): the backend named by HELPDESK_SEARCH_BACKEND is the one
the API, the queue, the Zendesk-compatible search, the services and reindex_search use; an
engine's answers never widen access; and the PostgreSQL backend's documented bounds (the ranking
window found in id slices, the phrase candidate window)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from tickets import queue, search, services
from tickets.search import postgres
from tickets.tests.factories import make_ticket
from tickets.tests.search_backend import MemoryBackend

pytestmark = pytest.mark.django_db

MEMORY = "tickets.tests.search_backend.MemoryBackend"


def found(user, text: str, **params) -> list[int]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/tickets/", {"q": text, **params})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def engine():
    with override_settings(HELPDESK_SEARCH_BACKEND=MEMORY):
        backend = search.backend()
        assert isinstance(backend, MemoryBackend)
        backend.documents.clear()
        backend.searches.clear()
        yield backend


@pytest.fixture
def desk(customer, other_customer, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mine = make_ticket(
            customer, subject="Kumquat crate arrived broken", description="The kumquat box is crushed flat."
        )
        theirs = make_ticket(
            other_customer, subject="Kumquat order missing", description="No kumquat arrived at all today."
        )
        noted = make_ticket(customer, subject="Login trouble", description="Cannot sign in since this morning.")
        services.message_add(actor=agent, ticket=noted, body="Vendor says kumquat outage.", internal=True)
    return {"mine": mine, "theirs": theirs, "noted": noted}


def test_the_default_backend_is_postgres():
    assert isinstance(search.backend(), postgres.PostgresBackend)


def test_the_api_searches_through_the_configured_backend(engine, customer, agent, desk):
    # The engine was fed by the services after commit; the API's answer is the engine's.
    assert set(engine.documents) == {desk["mine"].pk, desk["theirs"].pk, desk["noted"].pk}
    assert set(found(agent, "kumquat")) == {desk["mine"].pk, desk["theirs"].pk, desk["noted"].pk}
    assert engine.searches[-1] == "kumquat"
    # Ranked by the engine's rule (subject matches first), then newest id first among equals.
    assert found(agent, "kumquat")[-1] == desk["noted"].pk
    # A word only the engine holds is found: nothing else answered.
    engine.documents[desk["noted"].pk][0].add("zanzibar")
    assert found(agent, "zanzibar") == [desk["noted"].pk]


def test_engine_candidates_never_widen_access(engine, customer, agent, desk):
    # The engine matches Eve's ticket and an internal note for Ada's search; she gets neither.
    assert found(customer, "kumquat") == [desk["mine"].pk]
    assert found(customer, "outage") == []
    assert found(agent, "outage") == [desk["noted"].pk]


def test_the_queue_and_zendesk_search_use_the_backend_too(engine, client, agent, desk):
    tickets = queue.filtered(agent, "all", {"q": "outage", "sort": "relevance"})
    assert [t.pk for t in tickets] == [desk["noted"].pk]
    api = APIClient()
    api.force_authenticate(agent)
    response = api.get("/api/v2/search.json", {"query": "type:ticket -outage"})
    assert response.status_code == 200, response.content
    ids = {row["id"] for row in response.json()["results"]}
    assert desk["noted"].pk not in ids and desk["mine"].pk in ids
    assert "outage" in engine.searches


def test_uncommitted_changes_do_not_reach_the_engine(engine, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                make_ticket(customer, subject="Rolled back quince", description="This ticket is never committed.")
                raise RuntimeError
        except RuntimeError:
            pass
    assert engine.documents == {}


def test_deleting_a_ticket_removes_it_from_the_engine(engine, admin, desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_delete(actor=admin, ticket=desk["theirs"])
    assert desk["theirs"].pk not in engine.documents


def test_reindex_feeds_the_configured_backend(engine, desk, capsys, django_capture_on_commit_callbacks):
    engine.documents.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reindex_search")
    assert set(engine.documents) == {desk["mine"].pk, desk["theirs"].pk, desk["noted"].pk}
    assert "3 tickets" in capsys.readouterr().out


def test_a_setting_that_names_no_backend_is_a_clear_error():
    not_one = override_settings(HELPDESK_SEARCH_BACKEND="collections.OrderedDict")
    with not_one, pytest.raises(ImproperlyConfigured, match="not a SearchBackend"):
        search.backend()
    missing = override_settings(HELPDESK_SEARCH_BACKEND="tickets.nowhere.Backend")
    with missing, pytest.raises(ImproperlyConfigured, match="cannot be imported"):
        search.backend()


# --- the PostgreSQL backend's bounds ----------------------------------------------------------------


@pytest.fixture
def refunds(customer):
    """Five tickets about refunds, oldest first."""
    return [
        make_ticket(customer, subject=f"Refund request {n}", description="Please refund me for this order.")
        for n in range(5)
    ]


def test_the_rank_window_is_the_newest_matches_across_slices(customer, refunds, monkeypatch):
    # Slices of one id, then two, four…: the newest three are found however the id space is cut.
    monkeypatch.setattr(postgres, "FIRST_SLICE", 1)
    monkeypatch.setattr(postgres, "SLICE_GROWTH", 2)
    monkeypatch.setattr(postgres, "RANK_WINDOW", 3)
    assert sorted(found(customer, "refund")) == sorted(t.pk for t in refunds[-3:])
    # Listing in another order is not windowed: every match.
    assert len(found(customer, "refund", ordering="-created_at")) == 5


def test_a_typed_ticket_number_is_ranked_even_outside_the_window(customer, refunds, monkeypatch):
    monkeypatch.setattr(postgres, "RANK_WINDOW", 1)
    oldest = refunds[0]
    assert found(customer, str(oldest.pk))[0] == oldest.pk


@pytest.mark.postgres  # phrases are PostgreSQL's (SQLite matches the words)
def test_a_phrase_is_checked_among_the_newest_candidates_holding_its_words(customer, monkeypatch):
    phrase = make_ticket(customer, subject="Invoice shows the wrong amount", description="See the attached copy of it.")
    make_ticket(customer, subject="Amount is right", description="But the date on it is wrong.")  # words, no phrase
    assert found(customer, '"wrong amount"') == [phrase.pk]
    # With a candidate window of one, only the newest ticket holding both words is re-read: it
    # lacks the phrase, so the older one that has it is out of the window.
    monkeypatch.setattr(postgres, "PHRASE_WINDOW", 1)
    assert found(customer, '"wrong amount"') == []
    # Unranked listings and negated phrases are not windowed.
    assert found(customer, '"wrong amount"', ordering="-created_at") == [phrase.pk]
    assert phrase.pk not in found(customer, 'amount -"wrong amount"')


@pytest.mark.postgres  # planner statistics are PostgreSQL's
def test_search_documents_keep_more_word_statistics():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'tickets_searchdocument'::regclass "
            "AND attname IN ('public', 'internal') ORDER BY attname"
        )
        assert cursor.fetchall() == [("internal", 1000), ("public", 1000)]
