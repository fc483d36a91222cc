"""Live updates and presence (issue 8): every live message respects permissions."""

from __future__ import annotations

import pytest

from tickets import live, services
from tickets.tests.factories import make_ticket


@pytest.mark.django_db
def test_changes_are_filtered_by_permission(
    ticket, customer, org_member, other_customer, agent, team_agent, other_team_agent, tech_team, admin
):
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
def test_event_stream_sends_only_visible_changes(client, ticket, agent, customer, other_customer, settings):
    settings.HELPDESK_LIVE_WSGI_STREAM_SECONDS = 0.5
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


# --- agent collision: a reply on a ticket that changed since the page was loaded -----------------


@pytest.mark.django_db
def test_stale_reply_warns_and_keeps_the_text(client, ticket, agent, team_agent):
    import re

    from tickets.models import Message

    client.force_login(agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    seen = re.search(r'name="seen_event_id" value="(\d+)"', page).group(1)
    services.message_add(actor=team_agent, ticket=ticket, body="I already answered this one.")
    before = Message.objects.count()
    data = {"mode": "reply", "body": "My late answer.", "status": "", "seen_event_id": seen}
    response = client.post(f"/agent/tickets/{ticket.pk}/messages/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This ticket changed while you were writing" in html and "Tom Billing replied." in html
    assert "My late answer." in html  # the text is kept
    assert Message.objects.count() == before
    fresh_seen = re.search(r'name="seen_event_id" value="(\d+)"', html).group(1)
    assert int(fresh_seen) > int(seen)
    sent = client.post(f"/agent/tickets/{ticket.pk}/messages/", {**data, "seen_event_id": fresh_seen})
    assert sent.status_code == 302
    assert Message.objects.count() == before + 1


@pytest.mark.django_db
def test_own_changes_do_not_count_as_stale(client, ticket, agent):
    import re

    client.force_login(agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    seen = re.search(r'name="seen_event_id" value="(\d+)"', page).group(1)
    services.ticket_update(actor=agent, ticket=ticket, priority="high")
    response = client.post(
        f"/agent/tickets/{ticket.pk}/messages/", {"mode": "note", "body": "Noted.", "status": "", "seen_event_id": seen}
    )
    assert response.status_code == 302


# --- in a real browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_queue_shows_a_new_ticket_without_reload(chromium, live_server, agent, customer):
    """Two browsers: the agent watches the queue while the customer files a ticket in the portal."""
    from conftest import sign_in

    contexts = [chromium.new_context(base_url=live_server.url) for _ in range(2)]
    try:
        alice, ada = (context.new_page() for context in contexts)
        sign_in(alice, agent.email)
        alice.goto("/agent/?view=all")
        alice.wait_for_selector("body[data-live]")
        sign_in(ada, customer.email)
        ada.goto("/portal/tickets/new/")
        ada.get_by_label("Subject").fill("Live ticket appears by itself")
        ada.get_by_label("Describe the problem").fill("Filed in one browser, seen in the other without reloading.")
        ada.get_by_role("button", name="Send ticket").click()
        ada.wait_for_load_state()
        alice.wait_for_selector("text=Live ticket appears by itself", timeout=4000)
        assert alice.url.endswith("/agent/?view=all")  # no navigation happened
    finally:
        for context in contexts:
            context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_two_agents_see_each_other_on_a_ticket(chromium, live_server, ticket, agent, team_agent):
    from conftest import sign_in

    contexts = [chromium.new_context(base_url=live_server.url) for _ in range(2)]
    try:
        alice, tom = (context.new_page() for context in contexts)
        sign_in(alice, agent.email)
        sign_in(tom, team_agent.email)
        alice.goto(f"/agent/tickets/{ticket.pk}/")
        tom.goto(f"/agent/tickets/{ticket.pk}/")
        tom.wait_for_selector("text=Alice Agent is viewing", timeout=8000)
        alice.wait_for_selector("text=Tom Billing is viewing", timeout=8000)
        tom.locator("#composer textarea").type("Looking into it")
        alice.wait_for_selector("text=Tom Billing is replying…", timeout=8000)
        alice.screenshot(path="/tmp/presence.png")
    finally:
        for context in contexts:
            context.close()
