"""A team move that unassigns the agent: the requester sees that nobody handles the ticket now,
never why (the move and its reason are internal history; issue 13 §2). Agents read the reason."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client

from conftest import PASSWORD
from tickets import live, services
from tickets.models import EventKind, Ticket, TicketEvent
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db

REASON = "cannot work the new team"


@pytest.fixture
def moved(ticket, admin, team_agent, tech_team):
    """Ada's Billing ticket, claimed by Tom (Billing), then moved to Technical by an admin."""
    services.ticket_claim(actor=team_agent, ticket=ticket)
    services.ticket_update(actor=admin, ticket=Ticket.objects.get(pk=ticket.pk), team=tech_team)
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.assignee_id is None
    return moved


def _page(user, url: str) -> str:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _events(user, ticket) -> list[dict]:
    response = token_client(user).get(f"/api/v1/tickets/{ticket.pk}/events/?page_size=100")
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("who", ["customer", "org_member"])
def test_the_requester_side_sees_the_unassignment_but_not_its_reason(request, who, moved, team_agent):
    person = request.getfixturevalue(who)
    html = _page(person, f"/portal/tickets/{moved.pk}/")
    assert "unassigned Tom Billing" in html
    assert REASON not in html and "Technical" not in html
    events = _events(person, moved)
    unassigned = [e for e in events if e["kind"] == EventKind.ASSIGNED and e["data"]["new"] is None]
    assert [e["data"] for e in unassigned] == [{"old": {"id": team_agent.pk, "name": "Tom Billing"}, "new": None}]
    assert REASON not in str(events)
    assert EventKind.TEAM_CHANGED not in {e["kind"] for e in events}
    # Live updates and the "while you were writing" warning say no more.
    assert EventKind.TEAM_CHANGED not in {e["kind"] for e in live.changes_since(person, 0)}
    assert not any(REASON in line for line in live.changed_since_seen(person, moved, 0))


@pytest.mark.parametrize("who", ["agent", "other_team_agent", "admin"])
def test_agents_who_work_the_ticket_read_the_reason(request, who, moved):
    person = request.getfixturevalue(who)
    assert "unassigned Tom Billing (cannot work the new team)" in _page(person, f"/agent/tickets/{moved.pk}/")
    move = [e for e in _events(person, moved) if e["kind"] == EventKind.TEAM_CHANGED][-1]
    assert move["data"]["unassigned"]["name"] == "Tom Billing" and move["data"]["reason"] == REASON


def test_old_public_entries_with_the_reason_become_internal(ticket, team_agent):
    old_style = TicketEvent.objects.create(
        ticket=ticket,
        actor=None,
        actor_name="System",
        kind=EventKind.ASSIGNED,
        data={"old": {"id": team_agent.pk, "name": team_agent.name}, "new": None, "reason": REASON},
        public=True,
    )
    plain = TicketEvent.objects.create(
        ticket=ticket, actor_name="System", kind=EventKind.ASSIGNED, data={"old": None, "new": None}, public=True
    )
    migration = importlib.import_module("tickets.migrations.0009_team_move_reason_internal")
    migration.hide_reasons(apps, None)
    old_style.refresh_from_db()
    plain.refresh_from_db()
    assert (old_style.public, plain.public) == (False, True)
