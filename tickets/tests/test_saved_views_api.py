"""/api/v1/views/ (issue 16): the permission table's rows, and what the answers hold."""

from __future__ import annotations

import pytest

from tickets import services
from tickets.models import SavedView, Ticket, TicketField
from tickets.services import saved_views as view_services
from tickets.tests.api import support
from tickets.tests.api.table import case_id, check, rows
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

# The API tests' fixtures (tickets/tests/api/conftest.py), for this module outside that folder.
_fresh_throttles, as_user, people, world = support._fresh_throttles, support.as_user, support.people, support.world


@pytest.mark.parametrize("row", rows("views"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_list_has_built_ins_then_saved_views(team_agent, as_user):
    mine = view_services.saved_view_create(actor=team_agent, name="My urgent", sort="priority")
    listed = as_user(team_agent).get("/api/v1/views/").json()
    keys = [v["key"] for v in listed]
    built_ins = ["unassigned", "mine", "my_teams", "open", "pending", "on_hold", "solved"]
    assert keys[:10] == [*built_ins, "sla_breaching", "sla_breached", "all"]
    assert keys[10:] == [mine.key]
    built_in = listed[1]
    assert built_in["builtin"] and built_in["id"] is None and not built_in["editable"]
    assert built_in["conditions"]["all"][0] == {"field": "assignee", "operator": "is", "value": "current_user"}
    assert listed[10]["editable"] and listed[10]["sort"] == "priority"


def test_a_views_tickets_and_count_are_within_what_the_caller_sees(
    customer, admin, team_agent, billing_team, tech_team, as_user
):
    ours = make_ticket(customer, subject="Billing high", priority="high")
    services.ticket_update(actor=admin, ticket=ours, team=billing_team)
    theirs = make_ticket(customer, subject="Technical high", priority="high")
    services.ticket_update(actor=admin, ticket=theirs, team=tech_team)
    make_ticket(customer, subject="Billing low")
    view = view_services.saved_view_create(
        actor=admin,
        name="High",
        scope="everyone",
        conditions={"all": [{"field": "priority", "operator": "is", "value": "high"}]},
    )
    tom = as_user(team_agent)
    page = tom.get(f"/api/v1/views/{view.pk}/tickets/").json()
    assert [t["id"] for t in page["results"]] == [ours.pk]
    assert tom.get(f"/api/v1/views/{view.pk}/count/").json() == {"count": 1, "capped": False, "cap": 1000}
    ray = as_user(admin)
    assert {t["id"] for t in ray.get(f"/api/v1/views/{view.pk}/tickets/").json()["results"]} == {ours.pk, theirs.pk}
    assert ray.get(f"/api/v1/views/{view.pk}/tickets/?ordering=nonsense").status_code == 400


def test_create_update_delete_and_validation(agent, as_user):
    TicketField.objects.create(key="plan", label="Plan", field_type="text")
    alice = as_user(agent)
    bad = alice.post(
        "/api/v1/views/",
        {"name": "Bad", "conditions": {"all": [{"field": "custom.nope", "operator": "is", "value": 1}]}},
        format="json",
    )
    assert bad.status_code == 400 and 'unknown field "custom.nope"' in str(bad.json()["conditions"])
    made = alice.post(
        "/api/v1/views/",
        {
            "name": "Gold",
            "conditions": {"all": [{"field": "custom.plan", "operator": "is", "value": "gold"}]},
            "columns": ["subject", "custom.plan"],
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert alice.patch(f"/api/v1/views/{pk}/", {"sort": "created"}, format="json").json()["sort"] == "created"
    assert alice.get(f"/api/v1/views/saved-{pk}/").status_code == 404  # ids, not queue keys
    assert alice.delete(f"/api/v1/views/{pk}/").status_code == 204
    assert not SavedView.objects.exists() and Ticket.objects.count() == 0


def test_views_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/views/",
        "/api/v1/views/{ref}/",
        "/api/v1/views/{ref}/tickets/",
        "/api/v1/views/{ref}/count/",
    ):
        assert path in schema["paths"], path
