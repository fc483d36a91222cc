"""/api/v1/macros/ (issue 16): the same rules as the pages; the preview writes nothing."""

from __future__ import annotations

import pytest

from tickets.models import Macro, MacroScope, Message, Status, Ticket, TicketEvent
from tickets.services import macros as macro_services
from tickets.tests.api.support import token_client
from tickets.tests.api.table import case_id, check, rows
from tickets.tests.test_macros import REPLY_AND_PEND

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_macro(admin, billing_team):
    return macro_services.macro_create(
        actor=admin, name="Ask for order number", actions=REPLY_AND_PEND, scope=MacroScope.TEAM, team=billing_team
    )


@pytest.mark.parametrize("row", rows("macros"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_agents_create_and_list_their_own_macros(team_agent, agent, team_macro):
    client = token_client(team_agent)
    response = client.post(
        "/api/v1/macros/",
        {"name": "Thanks", "actions": [{"action": "add_reply", "value": "Thanks, {{requester.first_name}}!"}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["scope"] == "personal" and created["owner"] == team_agent.pk and created["can_manage"]
    names = [m["name"] for m in client.get("/api/v1/macros/").json()["results"]]
    assert sorted(names) == ["Ask for order number", "Thanks"]
    # Alice (no team) sees neither Tom's personal macro nor Billing's.
    other = token_client(agent)
    assert other.get("/api/v1/macros/").json()["results"] == []
    assert other.get(f"/api/v1/macros/{created['id']}/").status_code == 404
    assert other.delete(f"/api/v1/macros/{created['id']}/").status_code == 404
    assert Macro.objects.filter(pk=created["id"]).exists()


def test_only_desk_managers_share_and_change_shared_macros(team_agent, admin, team_macro):
    client = token_client(team_agent)
    response = client.post(
        "/api/v1/macros/", {"name": "Everyone", "actions": REPLY_AND_PEND, "scope": "everyone"}, format="json"
    )
    assert response.status_code == 400 and "scope" in response.json()
    assert client.get(f"/api/v1/macros/{team_macro.pk}/").json()["can_manage"] is False
    assert client.patch(f"/api/v1/macros/{team_macro.pk}/", {"name": "Mine now"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/macros/{team_macro.pk}/").status_code == 403
    boss = token_client(admin)
    response = boss.patch(f"/api/v1/macros/{team_macro.pk}/", {"name": "Order number, please"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Order number, please"
    assert response.json()["actions"] == Macro.objects.get(pk=team_macro.pk).actions


def test_bad_actions_are_a_400_naming_each_mistake(admin):
    response = token_client(admin).post(
        "/api/v1/macros/",
        {"name": "Broken", "actions": [{"action": "set_status", "value": "done"}, {"action": "fly"}]},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["actions"]
    assert any(e.startswith("Action 1:") for e in errors) and any(e.startswith("Action 2:") for e in errors)
    assert not Macro.objects.exists()


def test_customers_get_403(customer, team_macro, ticket):
    client = token_client(customer)
    assert client.get("/api/v1/macros/").status_code == 403
    assert (
        client.post(f"/api/v1/macros/{team_macro.pk}/apply/", {"ticket": ticket.pk}, format="json").status_code == 403
    )


def test_preview_writes_nothing_and_apply_returns_the_ticket(team_agent, team_macro, ticket):
    client = token_client(team_agent)
    events, messages = TicketEvent.objects.count(), Message.objects.count()
    response = client.post(
        f"/api/v1/macros/{team_macro.pk}/apply/", {"ticket": ticket.pk, "preview": True}, format="json"
    )
    assert response.status_code == 200
    preview = response.json()
    assert preview["reply"] == "Hi Ada, what is your order number?"
    assert {"field": "status", "old": "Open", "new": "Pending"} in preview["changes"]
    assert (TicketEvent.objects.count(), Message.objects.count()) == (events, messages)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    assert Macro.objects.get(pk=team_macro.pk).usage_count == 0

    response = client.post(f"/api/v1/macros/{team_macro.pk}/apply/", {"ticket": ticket.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk and response.json()["status"] == "pending"
    assert "order-number" in response.json()["tags"]
    assert Macro.objects.get(pk=team_macro.pk).usage_count == 1


def test_apply_to_a_ticket_one_may_not_see_is_404(other_team_agent, admin, tech_team, ticket):
    macro = macro_services.macro_create(
        actor=admin, name="Technical", actions=REPLY_AND_PEND, scope=MacroScope.TEAM, team=tech_team
    )
    client = token_client(other_team_agent)
    response = client.post(f"/api/v1/macros/{macro.pk}/apply/", {"ticket": ticket.pk}, format="json")
    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
