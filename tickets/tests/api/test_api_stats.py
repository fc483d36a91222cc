"""GET /api/v1/stats/agents/: the table's rows × personas, who sees which rows, the shape."""

from __future__ import annotations

import pytest

from tickets import services
from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("stats"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_rows_and_shape(world, people, as_user):
    ticket = world["ticket"]
    services.ticket_claim(actor=people["team_agent"], ticket=ticket)
    services.message_add(actor=people["team_agent"], ticket=ticket, body="On it.")
    services.ticket_change_status(actor=people["team_agent"], ticket=ticket, status="solved")
    admin_rows = as_user(people["admin"]).get("/api/v1/stats/agents/").json()["results"]
    names = [row["agent"]["name"] for row in admin_rows]
    assert {"Alice Agent", "Tom Billing", "Tina Technical", "Ray Admin"} <= set(names)
    tom = next(row for row in admin_rows if row["agent"]["id"] == people["team_agent"].pk)
    assert tom["solved"] == 1 and tom["replies"] == 1
    assert set(tom) == {
        "agent", "assigned_open", "solved", "replies", "first_response_seconds", "resolution_seconds", "reopened"
    }  # fmt: skip
    assert set(tom["first_response_seconds"]) == {"avg", "median"}
    own = as_user(people["other_team_agent"]).get("/api/v1/stats/agents/").json()["results"]
    assert [row["agent"]["id"] for row in own] == [people["other_team_agent"].pk]


@pytest.mark.parametrize(
    ("query", "param"),
    [("since=x", "since"), ("until=2026-02-30", "until"), ("team=abc", "team"), ("team=999", "team"),
     ("since=2026-02-01&until=2026-01-01", "since"), ("until=9999-12-31", "until")],
)  # fmt: skip
def test_bad_parameters_are_400(agent, as_user, query, param):
    response = as_user(agent).get(f"/api/v1/stats/agents/?{query}")
    assert response.status_code == 400
    assert param in response.json()


# --- GET /api/v1/stats/trend/ ---------------------------------------------------------------------

TREND = "/api/v1/stats/trend/"


def test_trend_shape_and_figures(world, people, as_user):
    """Ada's Billing ticket created today, answered and solved by Tom: today's bucket says so."""
    ticket = world["ticket"]
    services.message_add(actor=people["team_agent"], ticket=ticket, body="Fixed it.", status="solved")
    body = as_user(people["admin"]).get(TREND, {"granularity": "day"}).json()
    assert set(body) == {"since", "until", "granularity", "team", "backlog_at_start", "next", "previous", "results"}
    assert body["granularity"] == "day" and body["team"] is None and body["next"] is None
    assert len(body["results"]) == 30  # the last 30 days by default, today included
    today = body["results"][-1]
    assert set(today) == {
        "start", "end", "created", "solved", "reopened", "backlog", "first_response_seconds", "resolution_seconds"
    }  # fmt: skip
    assert (today["created"], today["solved"], today["reopened"], today["backlog"]) == (1, 1, 0, 0)
    assert today["first_response_seconds"]["median"] is not None
    assert set(today["resolution_seconds"]) == {"avg", "median"}
    assert sum(row["created"] for row in body["results"]) == 1
    # The same numbers for Tom, through his team's filter, and weekly.
    weekly = as_user(people["team_agent"]).get(TREND, {"team": world["team"].pk, "granularity": "week"}).json()
    assert weekly["team"] == {"id": world["team"].pk, "name": "Billing"}
    assert sum(row["solved"] for row in weekly["results"]) == 1
    assert weekly["granularity"] == "week" and 5 <= len(weekly["results"]) <= 6


def test_trend_counts_only_what_the_caller_may_see(world, people, as_user):
    """Tina (Technical) sees none of Billing's tickets: nothing of Ada's ticket reaches her numbers."""
    for who, created in (("other_team_agent", 0), ("team_agent", 1), ("agent", 1)):
        body = as_user(people[who]).get(TREND).json()
        assert sum(row["created"] for row in body["results"]) == created, who
        assert body["results"][-1]["backlog"] == created, who


def test_trend_of_a_team_not_yours_is_no_such_team(world, people, as_user, tech_team):
    """Another team's id and an id that exists nowhere get the same answer: no data, no hint."""
    tom = as_user(people["team_agent"])
    other = tom.get(TREND, {"team": tech_team.pk})
    missing = tom.get(TREND, {"team": 999999})
    assert other.status_code == missing.status_code == 400
    assert other.json() == missing.json() == {"team": ["No such team."]}


@pytest.mark.parametrize(
    ("query", "param"),
    [("since=x", "since"), ("until=2026-02-30", "until"), ("team=abc", "team"), ("granularity=hour", "granularity"),
     ("since=2024-01-01&until=2025-06-01", "until"), ("since=2026-02-01&until=2026-01-01", "since")],
)  # fmt: skip
def test_trend_bad_parameters_are_400(agent, as_user, query, param):
    response = as_user(agent).get(f"{TREND}?{query}")
    assert response.status_code == 400
    assert param in response.json()


def test_trend_period_of_366_days_is_fine(agent, as_user):
    response = as_user(agent).get(TREND, {"since": "2025-01-01", "until": "2026-01-01"})
    assert response.status_code == 200
    assert response.json()["granularity"] == "week" and len(response.json()["results"]) == 53
