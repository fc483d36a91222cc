"""Live updates and presence (issue 8): every live message respects permissions."""

from __future__ import annotations

import pytest

from tickets import live, services
from tickets.tests.factories import make_ticket
from tickets.views import live as live_views


@pytest.mark.django_db
def test_changes_are_filtered_by_permission(ticket, customer, org_member, other_customer, agent, team_agent, other_team_agent, tech_team, admin):
    start = live.latest_event_id()
    services.message_add(actor=agent, ticket=ticket, body="Public answer.")
    services.message_add(actor=agent, ticket=ticket, body="Internal note.", internal=True)
    other = make_ticket(other_customer, subject="Globex problem")
    services.ticket_update(actor=admin, ticket=other, team=tech_team)

    def kinds(user, ticket_id):
        return [c["kind"] for c in live.changes_since(user, start) if c["ticket"] == ticket_id]

    assert kinds(customer, ticket.pk) == ["message_added"]  # no note
    assert kinds(org_member, ticket.pk) == ["message_added"]
    assert kinds(agent, ticket.pk) == ["message_added", "note_added"]
    assert kinds(team_agent, ticket.pk) == ["message_added", "note_added"]
    for outsider in (other_customer, other_team_agent):
        assert kinds(outsider, ticket.pk) == []
    assert kinds(team_agent, other.pk) == []  # Technical's ticket: never reaches a Billing agent
    assert "team_changed" in kinds(other_team_agent, other.pk)
    assert kinds(customer, other.pk) == []


@pytest.mark.django_db
def test_event_stream_sends_only_visible_changes(client, ticket, agent, customer, other_customer, password, monkeypatch):
    monkeypatch.setattr(live_views, "WSGI_STREAM_SECONDS", 0.5)
    monkeypatch.setattr(live_views, "POLL_SECONDS", 0.1)
    start = live.latest_event_id()
    services.message_add(actor=agent, ticket=ticket, body="Visible to Ada.")
    services.message_add(actor=agent, ticket=ticket, body="Hidden note.", internal=True)

    def stream_for(user):
        client.force_login(user)
        response = client.get(f"/live/events/?after={start}")
        assert response["Content-Type"] == "text/event-stream"
        return b"".join(response.streaming_content).decode()

    ada = stream_for(customer)
    assert ada.count("event: ticket") == 1 and '"kind": "message_added"' in ada and "note_added" not in ada
    eve = stream_for(other_customer)
    assert "event: ticket" not in eve


@pytest.mark.django_db
def test_stream_ends_when_the_account_is_deactivated(client, customer, monkeypatch):
    monkeypatch.setattr(live_views, "WSGI_STREAM_SECONDS", 5)
    monkeypatch.setattr(live_views, "POLL_SECONDS", 0.05)
    client.force_login(customer)
    response = client.get("/live/events/")
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    body = b"".join(response.streaming_content).decode()
    assert "event: end" in body


@pytest.mark.django_db
def test_anonymous_cannot_stream(client):
    assert client.get("/live/events/").status_code == 302


@pytest.mark.django_db
def test_presence_between_agents(client, ticket, agent, team_agent, customer, other_team_agent):
    client.force_login(agent)
    assert client.post(f"/live/tickets/{ticket.pk}/presence/", {"typing": "1"}).json() == {"others": []}
    client.force_login(team_agent)
    others = client.post(f"/live/tickets/{ticket.pk}/presence/").json()["others"]
    assert others == [{"id": agent.pk, "name": "Alice Agent", "typing": True}]
    client.force_login(agent)
    client.post(f"/live/tickets/{ticket.pk}/presence/", {"leave": "1"})
    client.force_login(team_agent)
    assert client.post(f"/live/tickets/{ticket.pk}/presence/").json() == {"others": []}
    client.force_login(customer)
    assert client.post(f"/live/tickets/{ticket.pk}/presence/").status_code == 403
    client.force_login(other_team_agent)
    assert client.post(f"/live/tickets/{ticket.pk}/presence/").status_code == 404
