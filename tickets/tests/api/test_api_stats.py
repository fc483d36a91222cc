"""GET /api/v1/stats/agents/: the table's rows × personas, who sees which rows, the shape."""

from __future__ import annotations

import pytest

from tickets import services
from tickets.tests.api.table import case_id, cases, run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("row", "persona", "expected"), cases("stats"), ids=case_id)
def test_permission_matrix(row, persona, expected, world, as_user):
    response = run(row, persona, world, as_user)
    assert response.status_code == expected, response.content[:500]


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
