"""Cached statistics (issue 6): a repeated request skips the metric queries, a figure is never
stale after a change, and one viewer's numbers are never served to another.

Changes here go through the pages and the API as a person makes them, and their transactions
"commit" (``django_capture_on_commit_callbacks``): the cache forgets on commit, as in production.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from conftest import PASSWORD
from tickets import services
from tickets.models import Status
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db

API = "/api/v1/stats/agents/"
# Every computation of the agents' and teams' figures reads the messages (replies, first
# responses); the figures over time on the same page never do (``tickets.trends`` reads tickets and
# their history, and follows every change of the desk, a customer's new ticket included).
METRIC_TABLES = ('"tickets_message"',)


def _signed_in(client, user):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def _page(client, **params):
    """The stats page's rows by agent id, and the SQL it ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("agent:stats"), params)
    assert response.status_code == 200
    rows = {row["agent"]["id"]: row for row in response.context["rows"]}
    return rows, [q["sql"] for q in captured.captured_queries]


def _api(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API, params)
    assert response.status_code == 200, response.content[:300]
    rows = {row["agent"]["id"]: row for row in response.json()["results"]}
    return rows, [q["sql"] for q in captured.captured_queries]


def _reads_metrics(sql: list[str]) -> bool:
    return any(table in query for query in sql for table in METRIC_TABLES)


@pytest.fixture
def worked(customer, team_agent, ticket, django_capture_on_commit_callbacks):
    """Ada's Billing ticket, which Tom has answered."""
    with django_capture_on_commit_callbacks(execute=True):
        services.message_add(actor=team_agent, ticket=ticket, body="Looking into it.")
    return ticket


def test_second_identical_page_request_skips_the_stats_sql(client, team_agent, worked):
    _signed_in(client, team_agent)
    first, cold = _page(client)
    again, warm = _page(client)
    assert again == first
    assert _reads_metrics(cold) and not _reads_metrics(warm)
    assert len(warm) <= len(cold) - 5  # at least the five metric queries


def test_second_identical_api_request_skips_the_stats_sql(team_agent, admin, worked):
    for person in (team_agent, admin):
        client = token_client(person)
        first, cold = _api(client, since="2020-01-01", until="2099-12-31")
        again, warm = _api(client, since="2020-01-01", until="2099-12-31")
        assert again == first
        assert _reads_metrics(cold) and not _reads_metrics(warm)
        assert len(warm) <= len(cold) - 5
        # another period is another computation
        _, other = _api(client, since="2020-01-01", until="2099-12-30")
        assert _reads_metrics(other)


def test_solving_on_the_ticket_page_shows_at_once(client, team_agent, worked, django_capture_on_commit_callbacks):
    _signed_in(client, team_agent)
    before, _ = _page(client)
    assert before[team_agent.pk]["solved"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agent:message", args=[worked.pk]),
            {"mode": "reply", "body": "Fixed: the link works again.", "status": Status.SOLVED},
        )
    assert response.status_code == 302
    after, sql = _page(client)
    assert _reads_metrics(sql)
    assert (after[team_agent.pk]["solved"], after[team_agent.pk]["replies"]) == (1, 2)
    assert after[team_agent.pk]["resolution_seconds"]["median"] is not None


def test_claiming_through_the_api_shows_at_once(team_agent, worked, django_capture_on_commit_callbacks):
    client = token_client(team_agent)
    before, _ = _api(client)
    assert before[team_agent.pk]["assigned_open"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/tickets/{worked.pk}/claim/").status_code == 200
    after, _ = _api(client)
    assert after[team_agent.pk]["assigned_open"] == 1


def test_assigning_on_the_side_panel_shows_on_the_assignees_view(
    client, agent, team_agent, billing_team, worked, django_capture_on_commit_callbacks
):
    """Alice assigns the ticket to Tom; Tom's own (cached) view counts it on his next look."""
    tom = token_client(team_agent)
    assert _api(tom)[0][team_agent.pk]["assigned_open"] == 0
    _signed_in(client, agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agent:fields", args=[worked.pk]),
            {"status": worked.status, "priority": worked.priority, "assignee": str(team_agent.pk),
             "team": str(billing_team.pk), "category": "", "tags": ""},
        )  # fmt: skip
    assert response.status_code == 302
    assert _api(tom)[0][team_agent.pk]["assigned_open"] == 1


def test_one_viewers_numbers_are_never_served_to_another(
    admin, team_agent, tech_team, worked, django_capture_on_commit_callbacks
):
    """Tom's reply sits on a ticket that moved to Technical: the admin counts it, Tom may no
    longer see it. Whoever asks first, each gets their own numbers for the same period."""
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=admin, ticket=worked, team=tech_team)
    tom, ray = token_client(team_agent), token_client(admin)
    assert _api(tom)[0][team_agent.pk]["replies"] == 0
    assert _api(ray)[0][team_agent.pk]["replies"] == 1
    assert _api(tom)[0][team_agent.pk]["replies"] == 0
    assert set(_api(tom)[0]) == {team_agent.pk}  # and still only the rows Tom may see


def test_losing_a_team_takes_its_tickets_out_of_ones_numbers(
    client, team_agent, billing_team, worked, django_capture_on_commit_callbacks
):
    _signed_in(client, team_agent)
    assert _page(client)[0][team_agent.pk]["replies"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        account_services.team_remove_member(team=billing_team, user=team_agent)
    rows, _ = _page(client)
    assert rows[team_agent.pk]["replies"] == 0
    assert client.get(reverse("agent:stats")).context["team_rows"] == []


def test_a_new_agent_appears_without_waiting_for_the_cache(admin, billing_team, worked):
    """Who is listed is read afresh on every request; only the figures are cached."""
    client = token_client(admin)
    before, _ = _api(client)
    newcomer = account_services.user_create(email="nina@desk.test", name="Nina New", role="agent", teams=[billing_team])
    after, sql = _api(client)
    assert set(after) == set(before) | {newcomer.pk}
    assert after[newcomer.pk]["replies"] == 0 and not _reads_metrics(sql)


def test_customers_filing_and_writing_keep_the_statistics_cached(
    client, customer, team_agent, worked, django_capture_on_commit_callbacks
):
    _signed_in(client, team_agent)
    first, _ = _page(client)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_create(actor=customer, subject="Another question", description="Nothing urgent at all.")
        services.message_add(actor=customer, ticket=worked, body="Any news on this?")
    again, sql = _page(client)
    assert again == first and not _reads_metrics(sql)  # no figure moved: nothing recomputed
    # An agent's public reply moves "replies": the next look counts it.
    with django_capture_on_commit_callbacks(execute=True):
        services.message_add(actor=team_agent, ticket=worked, body="It is fixed now.")
    after, sql = _page(client)
    assert _reads_metrics(sql)
    assert after[team_agent.pk]["replies"] == first[team_agent.pk]["replies"] + 1


def test_queue_counts_still_follow_a_customers_new_ticket(client, customer, agent, django_capture_on_commit_callbacks):
    client.force_login(agent)
    before = client.get(reverse("agent:counts")).json()["counts"]
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_create(
            actor=customer, subject="Brand new question", description="Please have a look at this one."
        )
    after = client.get(reverse("agent:counts")).json()["counts"]
    assert after["unassigned"] == before["unassigned"] + 1


# --- a team agent's queue counts follow their teams, their assignments and access ---------------


def _counted(client):
    """The counts endpoint's figures, and whether it counted (or read the cache)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("agent:counts"))
    assert response.status_code == 200
    return response.json()["counts"], any("AS v0)" in q["sql"] for q in captured.captured_queries)


@pytest.fixture
def tom(client, team_agent):
    client.force_login(team_agent)
    return client


def test_a_team_agent_is_not_recounted_for_other_teams_tickets(
    tom, customer, admin, tech_team, billing_team, django_capture_on_commit_callbacks
):
    before, counted = _counted(tom)
    assert counted
    with django_capture_on_commit_callbacks(execute=True):
        unrouted = services.ticket_create(
            actor=customer, subject="A question for anyone", description="Who can help me here?"
        )
        services.ticket_update(actor=admin, ticket=unrouted, team=tech_team)
    again, counted = _counted(tom)
    assert again == before and not counted  # nothing Tom can see changed: read from the cache
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=admin, ticket=unrouted, team=billing_team)  # now it is Billing's
    after, counted = _counted(tom)
    assert counted and after["my_teams"] == before["my_teams"] + 1 and after["unassigned"] == before["unassigned"] + 1
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=admin, ticket=unrouted, team=tech_team)  # and away again
    assert _counted(tom)[0] == before


def test_assigning_a_ticket_to_a_team_agent_moves_mine(
    tom, team_agent, ticket, admin, django_capture_on_commit_callbacks
):
    before, _ = _counted(tom)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=admin, ticket=ticket, assignee=team_agent)
    after, counted = _counted(tom)
    assert counted and after["mine"] == before["mine"] + 1 and after["unassigned"] == before["unassigned"] - 1


def test_joining_a_team_recounts(tom, team_agent, customer, admin, tech_team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        theirs = services.ticket_create(
            actor=customer, subject="Technical trouble", description="The app crashes on start."
        )
        services.ticket_update(actor=admin, ticket=theirs, team=tech_team)
    before, _ = _counted(tom)
    with django_capture_on_commit_callbacks(execute=True):
        account_services.team_add_member(team=tech_team, user=team_agent)
    after, counted = _counted(tom)
    assert counted and after["all"] == before["all"] + 1


def test_a_team_agent_with_a_request_of_their_own_follows_the_whole_desk(
    tom, team_agent, agent, admin, tech_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        own = services.ticket_create(
            actor=team_agent, subject="My laptop is broken", description="The screen stays black."
        )
        services.ticket_update(actor=admin, ticket=own, team=tech_team)  # not Billing's, still Tom's to see
    before, _ = _counted(tom)
    assert before["all"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(actor=agent, ticket=own, status=Status.PENDING)
    after, counted = _counted(tom)
    assert counted and after["pending"] == before["pending"] + 1
