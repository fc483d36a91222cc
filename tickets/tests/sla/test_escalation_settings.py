"""A policy's escalation — warning time, who hears of warnings and breaches, breach actions and
the person they act as — through /api/v1/sla-policies/ and Settings → SLA policies: checked by
the rules engine as a trigger's actions are, clear errors, nothing saved on a mistake."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from accounts import services as account_services
from accounts.models import Role
from tickets.sla.models import SlaPolicy
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db

#: Queries of the policy page (session, user, policy, targets, schedules, staff, previews…).
BUDGET = 15
ACTIONS = [{"action": "set_priority", "value": "urgent"}, {"action": "add_tags", "value": ["Late"]}]


def test_api_reads_and_writes_the_escalation(admin, agent, tech_team):
    client = token_client(admin)
    body = {
        "name": "VIP",
        "warning_minutes": 60,
        "warning_recipients": ["team", "assignee"],
        "breach_recipients": ["admins"],
        "breach_actions": [*ACTIONS, {"action": "set_team", "value": tech_team.pk}],
        "acts_as": admin.pk,
    }
    created = client.post("/api/v1/sla-policies/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["warning_minutes"] == 60
    assert data["warning_recipients"] == ["assignee", "team"]  # in a fixed order
    assert data["breach_recipients"] == ["admins"]
    assert data["breach_actions"] == [
        {"action": "set_priority", "value": "urgent"},
        {"action": "add_tags", "value": ["late"]},  # cleaned by the rules engine
        {"action": "set_team", "value": tech_team.pk},
    ]
    assert data["acts_as"] == admin.pk
    # A PATCH of something else keeps the escalation; agents read it.
    changed = client.patch(f"/api/v1/sla-policies/{data['id']}/", {"position": 3}, format="json")
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in body if k != "name"} == {k: data[k] for k in body if k != "name"}
    listed = token_client(agent).get("/api/v1/sla-policies/").json()
    assert listed[0]["breach_actions"] == data["breach_actions"]
    # Clearing the actions frees the person they act as.
    cleared = client.patch(
        f"/api/v1/sla-policies/{data['id']}/", {"breach_actions": [], "acts_as": None}, format="json"
    )
    assert (cleared.json()["breach_actions"], cleared.json()["acts_as"]) == ([], None)
    assert LogEntry.objects.filter(content_type__model="slapolicy").count() == 3


def test_defaults_keep_todays_behaviour(admin):
    data = token_client(admin).post("/api/v1/sla-policies/", {"name": "Plain"}, format="json").json()
    assert (data["warning_minutes"], data["warning_recipients"], data["breach_recipients"]) == (30, [], [])
    assert (data["breach_actions"], data["acts_as"]) == ([], None)


def _customer_id():
    return account_services.user_create(email="c@acme.test", name="C", password=None).pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"warning_minutes": -1}, "warning_minutes", "greater than or equal to 0"),
        ({"warning_minutes": 20000}, "warning_minutes", "less than or equal to 10080"),
        ({"breach_recipients": ["everyone"]}, "breach_recipients", "not a valid choice"),
        ({"warning_recipients": "team"}, "warning_recipients", "list"),
        ({"breach_actions": {"action": "set_priority"}}, "breach_actions", "Actions must be a list."),
        ({"breach_actions": [{"action": "explode", "value": 1}]}, "breach_actions", "Action 1:"),
        ({"breach_actions": [{"action": "set_priority", "value": "asap"}]}, "breach_actions", "'asap' is not one of"),
        ({"breach_actions": ACTIONS}, "acts_as", "Name the person the breach actions act as."),
        ({"breach_actions": ACTIONS, "acts_as": 999999}, "acts_as", "No such agent or administrator."),
        ({"breach_actions": ACTIONS, "acts_as": "customer"}, "acts_as", "No such agent or administrator."),
        ({"acts_as": "abc"}, "acts_as", ""),
    ],
)
def test_api_refuses_a_bad_escalation_with_a_clear_error(admin, change, field, message):
    if change.get("acts_as") == "customer":
        change = {**change, "acts_as": _customer_id()}
    response = token_client(admin).post("/api/v1/sla-policies/", {"name": "Bad", **change}, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()
    assert field in errors, errors
    assert message in str(errors[field])  # a list of messages, or by position for a list field
    assert not SlaPolicy.objects.exists()


def test_actions_the_person_may_not_do_are_refused(admin, billing_team, other_team_agent):
    response = token_client(admin).post(
        "/api/v1/sla-policies/",
        {
            "name": "Move",
            "breach_actions": [{"action": "set_team", "value": billing_team.pk}],
            "acts_as": other_team_agent.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["acts_as"] == ["Tina Technical may not move tickets to Billing."]


def test_agents_cannot_change_the_escalation(admin, agent):
    pk = token_client(admin).post("/api/v1/sla-policies/", {"name": "P"}, format="json").json()["id"]
    refused = token_client(agent).patch(f"/api/v1/sla-policies/{pk}/", {"warning_minutes": 5}, format="json")
    assert refused.status_code == 403
    assert SlaPolicy.objects.get().warning_minutes == 30


# --- the settings form -----------------------------------------------------------------------------


def test_admin_sets_the_escalation_on_the_policy_form(admin_client, agent):
    form = {
        "name": "Gold",
        "position": "0",
        "active": "on",
        "warning_minutes": "15",
        "warning_recipients": ["assignee"],
        "breach_recipients": ["team", "admins"],
        "breach_actions": '[{"action": "set_priority", "value": "high"}]',
        "acts_as": str(agent.pk),
    }
    created = admin_client.post("/settings/sla-policies/new/", form)
    assert created.status_code == 302, created.content.decode()[:3000]
    policy = SlaPolicy.objects.get()
    assert (policy.warning_minutes, policy.warning_recipients, policy.breach_recipients) == (
        15,
        ["assignee"],
        ["team", "admins"],
    )
    assert (policy.breach_actions, policy.acts_as_id) == ([{"action": "set_priority", "value": "high"}], agent.pk)
    page = admin_client.get(f"/settings/sla-policies/{policy.pk}/").content.decode()
    assert "Escalation" in page
    assert 'name="warning_minutes" value="15"' in page
    assert 'value="team" id="id_breach_recipients_1" checked' in page
    assert "set_priority" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"breach_actions": "[{"}, "This is not valid JSON"),
        ({"breach_actions": '[{"action": "set_priority", "value": "high"}]'}, "Name the person the breach actions"),
        ({"breach_recipients": ["nobody"]}, "Select a valid choice"),
        ({"warning_minutes": "-5"}, "greater than or equal to 0"),
    ],
)
def test_escalation_mistakes_are_shown_on_the_form(admin_client, change, message):
    response = admin_client.post("/settings/sla-policies/new/", {"name": "Broken", "position": "0", **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_a_new_policy_form_starts_with_thirty_minutes(admin_client):
    page = admin_client.get("/settings/sla-policies/new/").content.decode()
    assert 'name="warning_minutes" value="30"' in page


def test_an_admin_from_the_role_may_be_named(admin_client):
    boss = account_services.user_create(email="boss@desk.test", name="Boss", password=None, role=Role.ADMIN)
    response = admin_client.post(
        "/settings/sla-policies/new/",
        {
            "name": "Boss",
            "position": "0",
            "breach_actions": '[{"action": "add_tags", "value": ["x"]}]',
            "acts_as": boss.pk,
        },
    )
    assert response.status_code == 302
    assert SlaPolicy.objects.get().acts_as == boss


def test_the_policy_page_has_a_fixed_query_budget(admin_client, admin, django_assert_max_num_queries):
    from accounts.models import User

    for i in range(15):
        account_services.user_create(email=f"agent{i}@desk.test", name=f"Agent {i}", password=None, role=Role.AGENT)
    policy = SlaPolicy.objects.create(
        name="Gold", breach_actions=[{"action": "set_priority", "value": "high"}], acts_as=admin
    )
    assert User.objects.count() > 15
    with django_assert_max_num_queries(BUDGET):
        page = admin_client.get(f"/settings/sla-policies/{policy.pk}/")
    assert page.status_code == 200
    assert page.content.decode().count('name="acts_as"') == 1
