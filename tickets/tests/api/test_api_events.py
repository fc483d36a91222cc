"""History endpoint: the table's rows × personas, then what customers may see."""

from __future__ import annotations

import pytest

from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("events"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_customers_see_only_public_events(world, as_user, people):
    url = f"/api/v1/tickets/{world['ticket'].pk}/events/"
    customer_kinds = [e["kind"] for e in as_user(people["customer"]).get(url).json()["results"]]
    agent_kinds = [e["kind"] for e in as_user(people["agent"]).get(url).json()["results"]]
    assert customer_kinds[0] == "created"
    assert "team_changed" not in customer_kinds and "note_added" not in customer_kinds
    assert "team_changed" in agent_kinds and "note_added" in agent_kinds
    first = as_user(people["customer"]).get(url).json()["results"][0]
    assert first["actor"] == {"id": people["customer"].pk, "name": "Ada Customer"}
    assert set(first) == {"id", "kind", "actor", "data", "created_at"}
