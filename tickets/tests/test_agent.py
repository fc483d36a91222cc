"""The agent workspace pages: who may use them, the ticket page, statistics. (The queue, bulk
actions and view counts: test_agent_queue.py.)"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from tickets import permissions, queue, services
from tickets.models import Attachment, Priority, Status, Ticket
from tickets.tests.workspace import file_ticket as _file
from tickets.tests.workspace import login as _login

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech_ticket(customer, admin, tech_team):
    return _file(customer, "Server room is flooded", team=tech_team, admin=admin)


# --- who may use the workspace ------------------------------------------------------------------


AGENT_GETS = ["agent:queue", "agent:stats"]


@pytest.mark.parametrize("persona", ["customer", "org_member", "other_customer"])
def test_customers_get_404_everywhere(client, request, persona, ticket):
    _login(client, request.getfixturevalue(persona))
    for name in AGENT_GETS:
        assert client.get(reverse(name)).status_code == 404
    assert client.get(reverse("agent:ticket", args=[ticket.pk])).status_code == 404
    for name in ("agent:message", "agent:fields", "agent:claim", "agent:collaborator_add"):
        assert client.post(reverse(name, args=[ticket.pk]), {"body": "x", "mode": "reply"}).status_code == 404
    assert client.post(reverse("agent:bulk"), {"ids": [ticket.pk], "priority": "high"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert ticket.messages.count() == 1


def test_signed_out_is_sent_to_sign_in(client, ticket):
    response = client.get(reverse("agent:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["agent", "admin"])
def test_home_sends_agents_to_the_queue(client, request, persona):
    _login(client, request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("agent:queue")


@pytest.mark.parametrize("persona", ["agent", "team_agent", "admin"])
def test_agents_use_every_page(client, request, persona, ticket):
    _login(client, request.getfixturevalue(persona))
    for name in AGENT_GETS:
        assert client.get(reverse(name)).status_code == 200
    page = client.get(reverse("agent:ticket", args=[ticket.pk]))
    assert page.status_code == 200
    assert b"Cannot download invoice" in page.content


def test_team_scoped_agents_never_see_other_teams(client, team_agent, other_team_agent, agent, ticket, tech_ticket):
    """Tom (Billing) sees Ada's billing ticket, never the Technical one: not in any view, count,
    search, filter or URL. Tina (Technical) the other way round."""
    for me, mine, theirs in ((team_agent, ticket, tech_ticket), (other_team_agent, tech_ticket, ticket)):
        client.logout()
        _login(client, me)
        counts = queue.view_counts(me)
        assert counts["all"] == 1 and counts["unassigned"] == 1 and counts["my_teams"] == 1
        for view in queue.VIEW_KEYS:
            page = client.get(reverse("agent:queue"), {"view": view})
            assert page.status_code == 200
            assert theirs.subject.encode() not in page.content
        # Search for their subject, their id, their body text: nothing.
        for text in (theirs.subject, f"#{theirs.pk}", theirs.subject.split()[-1], "help with it"):
            page = client.get(reverse("agent:queue"), {"view": "all", "q": text})
            assert theirs.pk not in [t.pk for t in page.context["page"].tickets]
            assert f'href="/agent/tickets/{theirs.pk}/"'.encode() not in page.content
        page = client.get(reverse("agent:queue"), {"view": "all", "team": str(theirs.team_id)})
        assert page.status_code == 200 and theirs.subject.encode() not in page.content
        page = client.get(reverse("agent:queue"), {"view": "all"})
        assert mine.subject.encode() in page.content
        # Every URL of their ticket is a 404, and nothing changes.
        assert client.get(reverse("agent:ticket", args=[theirs.pk])).status_code == 404
        for name, data in (
            ("agent:message", {"mode": "note", "body": "peek"}),
            ("agent:fields", {"status": "open", "priority": "urgent"}),
            ("agent:claim", {}),
            ("agent:collaborator_add", {"email": "spy@example.com"}),
        ):
            assert client.post(reverse(name, args=[theirs.pk]), data).status_code == 404
        response = client.post(reverse("agent:bulk"), {"ids": [theirs.pk], "priority": "urgent"}, follow=True)
        assert b"no such ticket" in response.content
        theirs.refresh_from_db()
        assert theirs.priority == Priority.NORMAL and theirs.assignee_id is None
        assert not theirs.messages.filter(internal=True).exists()
        # Their own ticket's page does not list the other ticket as "other tickets" either.
        page = client.get(reverse("agent:ticket", args=[mine.pk]))
        assert theirs.subject.encode() not in page.content
    # An all-tickets agent sees both.
    client.logout()
    _login(client, agent)
    assert queue.view_counts(agent)["all"] == 2


# --- the ticket page ------------------------------------------------------------------------------


def test_timeline_merges_messages_notes_and_events(client, agent, customer, ticket):
    services.message_add(actor=agent, ticket=ticket, body="Note: **customer** is on the legacy plan.", internal=True)
    services.message_add(actor=agent, ticket=ticket, body="Could you send a screenshot?", status=Status.PENDING)
    services.ticket_update(actor=agent, ticket=ticket, priority=Priority.HIGH, add_tags=["invoice"])
    _login(client, agent)
    response = client.get(reverse("agent:ticket", args=[ticket.pk]))
    html = response.content.decode()
    kinds = [e.kind for e in response.context["entries"]]
    assert kinds[0] == "message"  # the description
    assert "note" in kinds and kinds.count("event") >= 4  # team move, note/reply status, priority, tags
    assert "Internal note" in html and "tl-note" in html
    assert "<strong>customer</strong>" in html  # markdown rendered
    assert "changed the status from Open to Pending" in html
    assert "changed the priority from Normal to High" in html
    assert "added tags invoice" in html
    times = [e.at for e in response.context["entries"]]
    assert times == sorted(times)


def test_reply_with_submit_as_pending_and_note(client, agent, customer, ticket):
    _login(client, agent)
    url = reverse("agent:message", args=[ticket.pk])
    response = client.post(url, {"mode": "note", "body": "Internal: check the ledger."})
    assert response.status_code == 302
    response = client.post(url, {"mode": "reply", "body": "Please try again now.", "status": "pending"}, follow=True)
    assert "Reply sent to the customer. Status: Pending." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING and ticket.first_response_at is not None
    assert list(ticket.messages.values_list("internal", flat=True)) == [False, True, False]


def test_reply_with_attachment(client, agent, ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, agent)
    upload = SimpleUploadedFile("notes.txt", b"plain text notes\n", content_type="text/plain")
    response = client.post(
        reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "See attached.", "attachments": upload}
    )
    assert response.status_code == 302
    assert list(Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True)) == ["notes.txt"]
    page = client.get(reverse("agent:ticket", args=[ticket.pk]))
    assert b"notes.txt" in page.content


def test_composer_errors_keep_the_text(client, agent, ticket):
    _login(client, agent)
    response = client.post(
        reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "Hi", "status": "closed"}
    )
    assert response.status_code == 400
    assert b"Hi</textarea>" in response.content
    response = client.post(reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "   "})
    assert response.status_code == 400
    assert ticket.messages.count() == 1


def test_side_panel_changes_fields(client, agent, team_agent, ticket, billing_team, tech_team):
    _login(client, agent)
    url = reverse("agent:fields", args=[ticket.pk])
    data = {
        "status": "in_progress",
        "priority": "urgent",
        "assignee": str(team_agent.pk),
        "team": str(billing_team.pk),
        "category": "billing",
        "tags": "refund, Invoice",
    }
    response = client.post(url, data, follow=True)
    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id, ticket.category) == (
        Status.IN_PROGRESS,
        Priority.URGENT,
        team_agent.pk,
        "billing",
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["invoice", "refund"]
    response = client.post(url, data, follow=True)
    assert "Nothing to change." in response.content.decode()
    # Moving to Technical unassigns Tom, who cannot work Technical (the history says why).
    response = client.post(url, {**data, "team": str(tech_team.pk)}, follow=True)
    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (tech_team.pk, None)
    assert "unassigned Tom Billing (cannot work the new team)" in response.content.decode()
    # Tom is no choice for a Technical ticket; nor is an unknown id. Nothing changes.
    for assignee in (str(team_agent.pk), "999999"):
        response = client.post(url, {**data, "team": str(tech_team.pk), "assignee": assignee, "priority": "low"})
        assert response.status_code == 400
        assert b"Select a valid choice" in response.content
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.priority) == (None, Priority.URGENT)


def test_moving_a_ticket_out_of_ones_teams(client, team_agent, ticket, tech_team, billing_team):
    _login(client, team_agent)
    data = {
        "status": "open",
        "priority": "normal",
        "assignee": "",
        "team": str(tech_team.pk),
        "category": "",
        "tags": "",
    }
    response = client.post(reverse("agent:fields", args=[ticket.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("agent:queue")
    assert "you no longer work it" in response.content.decode()
    assert client.get(reverse("agent:ticket", args=[ticket.pk])).status_code == 404


def test_claim_and_conflict(client, agent, team_agent, admin, ticket):
    _login(client, team_agent)
    response = client.post(reverse("agent:claim", args=[ticket.pk]), follow=True)
    assert "You now hold this ticket." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.status) == (team_agent.pk, Status.IN_PROGRESS)
    client.logout()
    _login(client, agent)
    response = client.post(reverse("agent:claim", args=[ticket.pk]), follow=True)
    assert "Tom Billing already holds this ticket." in response.content.decode()
    client.logout()
    _login(client, admin)
    client.post(reverse("agent:claim", args=[ticket.pk]), {"force": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee_id == admin.pk


def test_collaborators(client, agent, ticket, org_member):
    _login(client, agent)
    url = reverse("agent:collaborator_add", args=[ticket.pk])
    response = client.post(url, {"email": org_member.email}, follow=True)
    assert "Bob Colleague can now read and reply" in response.content.decode()
    assert permissions.can(org_member, permissions.Action.REPLY, Ticket.objects.get(pk=ticket.pk))
    response = client.post(url, {"email": agent.email})
    assert response.status_code == 400 and b"is an agent" in response.content
    response = client.post(url, {"email": "not an email"})
    assert response.status_code == 400
    client.post(reverse("agent:collaborator_remove", args=[ticket.pk, org_member.pk]))
    assert not Ticket.objects.get(pk=ticket.pk).collaborators.exists()
    assert client.post(reverse("agent:collaborator_remove", args=[ticket.pk, org_member.pk])).status_code == 404


def test_requester_panel_lists_only_visible_other_tickets(client, team_agent, customer, admin, billing_team, tech_team):
    one = _file(customer, "Billing ticket one", team=billing_team, admin=admin)
    _file(customer, "Billing ticket two", team=billing_team, admin=admin)
    _file(customer, "Technical ticket hidden", team=tech_team, admin=admin)
    _login(client, team_agent)
    html = client.get(reverse("agent:ticket", args=[one.pk])).content.decode()
    assert "Billing ticket two" in html and "Technical ticket hidden" not in html
    assert "Acme Corp" in html


def test_closed_ticket_is_read_only(client, agent, ticket):
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.CLOSED)
    _login(client, agent)
    html = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert "This ticket is closed" in html and 'id="composer"' not in html
    response = client.post(reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "Hello?"}, follow=True)
    assert "closed" in response.content.decode()
    assert ticket.messages.count() == 1


# --- stats page ---------------------------------------------------------------------------------


def test_stats_page_rows_and_periods(client, agent, team_agent, other_team_agent, customer, ticket, billing_team):
    services.message_add(actor=team_agent, ticket=ticket, body="Reply from Tom", status=Status.SOLVED)
    _login(client, team_agent)
    response = client.get(reverse("agent:stats"))
    names = [r["agent"]["name"] for r in response.context["rows"]]
    assert names == ["Tom Billing"]
    tom = response.context["rows"][0]
    assert (tom["solved"], tom["replies"]) == (1, 1)
    assert [r["team"]["name"] for r in response.context["team_rows"]] == ["Billing"]
    assert b"<svg" in response.content
    today = timezone.localdate()
    response = client.get(reverse("agent:stats"), {"period": "custom", "since": str(today), "until": str(today)})
    assert response.context["rows"][0]["solved"] == 1
    response = client.get(reverse("agent:stats"), {"period": "custom", "since": str(today)})
    assert response.status_code == 200 and b"Give both dates" in response.content
    response = client.get(reverse("agent:stats"), {"team": str(account_services.team_create(name="Other").pk)})
    assert response.status_code == 200  # a team Tom is not in: ignored with an error, not a 500
