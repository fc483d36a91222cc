"""The pickers' agents and teams kept in the process (``tickets.directory``): never older than
the people and teams, whichever way they change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import update_last_login
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import Role, Team, User
from tickets import caching, directory

pytestmark = pytest.mark.django_db


def _names() -> list[str]:
    return [row.name for row in directory.staff_rows()]


def _team_names() -> list[str]:
    return [team.name for team in directory.teams()]


def test_the_lists_are_read_once_and_kept(agent, admin, billing_team, tech_team):
    assert _names() == ["Alice Agent", "Ray Admin"]
    assert _team_names() == ["Billing", "Technical"]
    with CaptureQueriesContext(connection) as queries:
        assert _names() == ["Alice Agent", "Ray Admin"]
        assert _team_names() == ["Billing", "Technical"]
    assert len(queries) == 0


def test_every_change_to_a_person_shows_at_once(agent, admin, customer):
    assert _names() == ["Alice Agent", "Ray Admin"]
    new = account_services.user_create(email="bo@desk.test", name="Bo Agent", password="x" * 12, role=Role.AGENT)
    assert _names() == ["Alice Agent", "Bo Agent", "Ray Admin"]
    account_services.user_set_name(user=new, name="Zed Agent")
    assert _names() == ["Alice Agent", "Ray Admin", "Zed Agent"]
    account_services.user_set_active(actor=admin, user=new, active=False)
    assert _names() == ["Alice Agent", "Ray Admin"]
    account_services.user_set_role(user=customer, role=Role.AGENT)
    assert "Ada Customer" in _names()
    # As Django's admin saves: the model's own save(), no service in between.
    agent.email = "alice.new@desk.test"
    agent.save()
    assert [row.email for row in directory.staff_rows() if row.pk == agent.pk] == ["alice.new@desk.test"]
    agent.delete()
    assert agent.name not in _names()


def test_a_sign_in_keeps_the_lists(agent):
    _names()
    before = caching.version(directory.DIRECTORY_KEY)
    update_last_login(None, agent)  # what every sign-in writes
    assert caching.version(directory.DIRECTORY_KEY) == before
    User.objects.get(pk=agent.pk).save(update_fields=["name"])
    assert caching.version(directory.DIRECTORY_KEY) != before


def test_every_change_to_a_team_shows_at_once(billing_team):
    assert _team_names() == ["Billing"]
    created = account_services.team_create(name="Accounts")
    assert _team_names() == ["Accounts", "Billing"]
    account_services.team_update(team=created, name="Zebra", description="")
    assert _team_names() == ["Billing", "Zebra"]
    Team.objects.filter(pk=created.pk).get().delete()
    assert _team_names() == ["Billing"]


def test_the_queue_offers_the_kept_lists(client, admin, billing_team):
    client.force_login(admin)
    assert b"Billing" in client.get("/agent/").content
    account_services.team_update(team=billing_team, name="Invoices", description="")
    account_services.user_create(email="new@desk.test", name="Newest Agent", password="x" * 12, role=Role.AGENT)
    page = client.get("/agent/").content.decode()
    assert f'<option value="{billing_team.pk}">Invoices</option>' in page, [
        line for line in page.splitlines() if "Billing" in line
    ]
    assert f'value="{billing_team.pk}">Billing<' not in page  # ("Billing" is also a category)
    assert "Newest Agent" in page


def test_the_assignee_picker_follows_team_membership(
    admin, agent, team_agent, other_team_agent, billing_team, tech_team
):
    def names(team) -> list[str]:
        return [row.name for row in directory.assignable_rows(team)]

    # Alice works every ticket, Ray is an admin; Tom is in Billing, Tina in Technical.
    assert names(billing_team) == ["Alice Agent", "Ray Admin", "Tom Billing"]
    assert names(tech_team) == ["Alice Agent", "Ray Admin", "Tina Technical"]
    assert names(None) == ["Alice Agent", "Ray Admin"]
    account_services.team_add_member(team=billing_team, user=other_team_agent)  # inside the test's transaction
    assert names(billing_team) == ["Alice Agent", "Ray Admin", "Tina Technical", "Tom Billing"]
    account_services.team_remove_member(team=billing_team, user=team_agent)
    assert names(billing_team) == ["Alice Agent", "Ray Admin", "Tina Technical"]
    account_services.user_set_active(actor=admin, user=other_team_agent, active=False)
    assert names(billing_team) == ["Alice Agent", "Ray Admin"]
    assert names(tech_team) == ["Alice Agent", "Ray Admin"]


def test_the_ticket_page_offers_the_kept_assignees(client, admin, team_agent, other_team_agent, ticket, billing_team):
    client.force_login(admin)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{team_agent.pk}"' in page
    assert f'<option value="{other_team_agent.pk}"' not in page
    account_services.team_add_member(team=billing_team, user=other_team_agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{other_team_agent.pk}"' in page
