"""Customer satisfaction in the statistics (CSAT per agent, team and period) and in the APIs:
``satisfaction_rating`` on the v1 ticket, the ``?satisfaction=`` filter, the statistics endpoint
and the Zendesk shape for /api/v2/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets import services
from tickets.satisfaction import services as satisfaction_services
from tickets.satisfaction import stats as satisfaction_stats
from tickets.satisfaction import zendesk_shape
from tickets.satisfaction.models import SatisfactionRating, Score
from tickets.tests.api.support import token_client
from tickets.tests.factories import make_ticket
from tickets.tests.satisfaction.support import solve, survey

pytestmark = pytest.mark.django_db


def _rated(requester, assignee, team, score, admin, *, subject="Printer will not print"):
    """A ticket of ``requester`` in ``team``, assigned to ``assignee``, solved, answered ``score``
    (None: not answered)."""
    ticket = make_ticket(requester, subject=subject)
    services.ticket_update(actor=admin, ticket=ticket, team=team, assignee=assignee)
    solve(ticket, admin)
    if score is not None:
        satisfaction_services.rating_give(actor=requester, rating=survey(ticket), score=score, comment=f"{score}!")
    return ticket


@pytest.fixture
def desk(customer, other_customer, agent, team_agent, admin, billing_team, tech_team):
    """Tom (Billing): two good, one bad, one unanswered. Alice (Technical): one bad. Plus one
    good from last year that no recent period counts."""
    tickets = [
        _rated(customer, team_agent, billing_team, Score.GOOD, admin),
        _rated(customer, team_agent, billing_team, Score.GOOD, admin),
        _rated(other_customer, team_agent, billing_team, Score.BAD, admin),
        _rated(customer, team_agent, billing_team, None, admin),
        _rated(other_customer, agent, tech_team, Score.BAD, admin),
    ]
    old = _rated(customer, agent, tech_team, Score.GOOD, admin)
    SatisfactionRating.objects.filter(ticket=old).update(created_at=timezone.now() - timedelta(days=400))
    return {"tickets": tickets, "old": old}


def _period():
    today = timezone.localdate()
    return today - timedelta(days=29), today


def test_csat_math_per_agent_team_and_period(desk, admin, agent, team_agent, billing_team, tech_team):
    since, until = _period()
    people = [{"id": p.pk, "name": p.name} for p in (agent, team_agent)]
    teams = [{"id": t.pk, "name": t.name} for t in (billing_team, tech_team)]
    with CaptureQueriesContext(connection) as queries:
        result = satisfaction_stats.csat(viewer=admin, since=since, until=until, agents=people, teams=teams)
    assert len(queries) == 1  # one grouped query, whatever the number of surveys
    assert result["total"] == {"good": 2, "bad": 2, "rated": 4, "offered": 5, "percent": 50.0}
    by_agent = {row["agent"]["id"]: row for row in result["agents"]}
    assert by_agent[team_agent.pk] == {
        "agent": {"id": team_agent.pk, "name": team_agent.name},
        "good": 2,
        "bad": 1,
        "rated": 3,
        "offered": 4,
        "percent": 66.7,
    }
    assert (by_agent[agent.pk]["percent"], by_agent[agent.pk]["offered"]) == (0.0, 1)
    by_team = {row["team"]["id"]: row for row in result["teams"]}
    assert (by_team[billing_team.pk]["percent"], by_team[tech_team.pk]["percent"]) == (66.7, 0.0)
    narrowed = satisfaction_stats.csat(
        viewer=admin, since=since, until=until, agents=[], teams=[], team_id=billing_team.pk
    )
    assert narrowed["total"]["percent"] == 66.7
    year = satisfaction_stats.csat(viewer=admin, since=since - timedelta(days=500), until=until, agents=[], teams=[])
    assert (year["total"]["good"], year["total"]["offered"]) == (3, 6)


def test_no_answers_is_no_percentage(admin):
    since, until = _period()
    assert satisfaction_stats.csat(viewer=admin, since=since, until=until, agents=[], teams=[])["total"] == {
        "good": 0,
        "bad": 0,
        "rated": 0,
        "offered": 0,
        "percent": None,
    }


def test_the_assignee_at_the_solve_is_credited(desk, admin, agent, team_agent, customer):
    ticket = desk["tickets"][0]
    services.ticket_update(actor=admin, ticket=ticket, assignee=agent)  # handed over after the solve
    since, until = _period()
    result = satisfaction_stats.csat(
        viewer=admin, since=since, until=until, agents=[{"id": team_agent.pk, "name": "Tom"}], teams=[]
    )
    assert result["agents"][0]["good"] == 2


def test_a_team_agent_counts_only_tickets_they_may_see(desk, team_agent):
    since, until = _period()
    result = satisfaction_stats.csat(viewer=team_agent, since=since, until=until, agents=[], teams=[])
    assert result["total"] == {"good": 2, "bad": 1, "rated": 3, "offered": 4, "percent": 66.7}


def test_the_statistics_page_shows_csat(desk, client, admin, team_agent):
    client.force_login(admin)
    page = client.get("/agent/stats/").content.decode()
    assert "Customer satisfaction" in page
    assert "50.0%" in page and "66.7%" in page
    client.force_login(team_agent)  # their own row and their team's, over the tickets they see
    page = client.get("/agent/stats/").content.decode()
    assert "66.7%" in page and "Alice Agent" not in page.split('id="csat-heading"')[1]


def test_the_statistics_api(desk, admin, team_agent, agent, billing_team):
    response = token_client(admin).get("/api/v1/stats/satisfaction/")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == {"good": 2, "bad": 2, "rated": 4, "offered": 5, "percent": 50.0}
    assert {row["agent"]["name"]: row["percent"] for row in body["agents"]}[team_agent.name] == 66.7
    response = token_client(admin).get(f"/api/v1/stats/satisfaction/?team={billing_team.pk}")
    body = response.json()
    assert body["total"]["offered"] == 4 and [row["team"]["id"] for row in body["teams"]] == [billing_team.pk]
    assert team_agent.pk in [row["agent"]["id"] for row in body["agents"]]
    assert agent.pk not in [row["agent"]["id"] for row in body["agents"]]
    mine = token_client(team_agent).get("/api/v1/stats/satisfaction/").json()
    assert [row["agent"]["id"] for row in mine["agents"]] == [team_agent.pk]
    assert token_client(admin).get("/api/v1/stats/satisfaction/?team=x").status_code == 400
    assert token_client(admin).get("/api/v1/stats/satisfaction/?since=2026-13-01").status_code == 400


# --- the ticket in API v1 ---------------------------------------------------------------------------


def test_satisfaction_rating_on_the_ticket(desk, customer, org_member, team_agent, admin):
    good = desk["tickets"][0]
    unanswered = desk["tickets"][3]
    data = token_client(customer).get(f"/api/v1/tickets/{good.pk}/").json()
    rating = survey(good)
    assert data["satisfaction_rating"] == {
        "id": rating.pk,
        "score": "good",
        "comment": "good!",
        "created_at": rating.rated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "updated_at": rating.updated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    assert token_client(team_agent).get(f"/api/v1/tickets/{good.pk}/").json()["satisfaction_rating"]["score"] == "good"
    assert token_client(org_member).get(f"/api/v1/tickets/{good.pk}/").json()["satisfaction_rating"] is None
    assert token_client(admin).get(f"/api/v1/tickets/{unanswered.pk}/").json()["satisfaction_rating"] is None
    listed = {t["id"]: t["satisfaction_rating"] for t in token_client(admin).get("/api/v1/tickets/").json()["results"]}
    assert listed[good.pk]["score"] == "good" and listed[unanswered.pk] is None


def test_a_reopened_and_solved_again_ticket_shows_its_new_survey(desk, customer, admin):
    good = desk["tickets"][0]
    services.ticket_change_status(actor=customer, ticket=good, status="open")
    assert token_client(admin).get(f"/api/v1/tickets/{good.pk}/").json()["satisfaction_rating"]["score"] == "good"
    solve(good, admin)
    assert token_client(admin).get(f"/api/v1/tickets/{good.pk}/").json()["satisfaction_rating"] is None


@pytest.mark.parametrize(("value", "expected"), [("good", [0, 1]), ("bad", [2, 4]), ("unrated", [3])])
def test_the_satisfaction_filter(desk, admin, value, expected):
    response = token_client(admin).get(f"/api/v1/tickets/?satisfaction={value}")
    assert response.status_code == 200
    wanted = [desk["tickets"][i].pk for i in expected] + ([desk["old"].pk] if value == "good" else [])
    assert sorted(t["id"] for t in response.json()["results"]) == sorted(wanted)


def test_the_satisfaction_filter_is_for_agents_and_checked(desk, admin, customer):
    assert token_client(admin).get("/api/v1/tickets/?satisfaction=great").status_code == 400
    response = token_client(customer).get("/api/v1/tickets/?satisfaction=good")
    assert response.status_code == 400 and "satisfaction" in response.json()


# --- the Zendesk shape (/api/v2/) -------------------------------------------------------------------


def test_zendesk_shape(solved_rating, settings):
    rating = solved_rating
    rating.created_at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    rating.updated_at = datetime(2026, 11, 3, 10, 0, 5, tzinfo=UTC)
    assert zendesk_shape(rating) == {
        "id": rating.pk,
        "score": "offered",
        "comment": None,
        "created_at": "2026-11-02T09:30:00Z",
        "updated_at": "2026-11-03T10:00:05Z",
    }
    rating.score, rating.comment = Score.BAD, "Took too long."
    assert zendesk_shape(rating)["score"] == "bad" and zendesk_shape(rating)["comment"] == "Took too long."
    rating.score = Score.GOOD
    assert zendesk_shape(rating)["score"] == "good"
    assert zendesk_shape(None) == {
        "id": None,
        "score": "unoffered",
        "comment": None,
        "created_at": None,
        "updated_at": None,
    }
    settings.HELPDESK_SATISFACTION_SURVEYS = False
    assert zendesk_shape(None) is None
    assert zendesk_shape(rating)["score"] == "good"  # a given rating stays


@pytest.fixture
def solved_rating(ticket, team_agent):
    solve(ticket, team_agent)
    return survey(ticket)
