"""Agents see the original of a message that came by email (issue 15): a link on the agent's
ticket page to its headers and raw source, as text; never for customers, never rendered."""

from __future__ import annotations

import pytest

from tickets import services
from tickets.mail.models import InboundState
from tickets.notifications.mailthread import reply_address

pytestmark = pytest.mark.django_db

HOSTILE_HTML = b"<script>alert('owned')</script><img src=x onerror=alert(1)>"


def _reply(ticket, body: bytes, message_id: str) -> bytes:
    return (
        b"From: Ada Customer <ada@acme.test>\r\nTo: " + reply_address(ticket.pk).encode() + b"\r\n"
        b"Subject: =?utf-8?q?Re:_Caf=C3=A9?=\r\nMessage-ID: <" + message_id.encode() + b">\r\n"
        b"X-Trace: <b>bold</b>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + b"\r\n"
    )


@pytest.fixture
def emailed(deliver, ticket):
    inbound = deliver(_reply(ticket, b"Still broken. " + HOSTILE_HTML, "reply-1@acme.test"))
    assert inbound.state == InboundState.PROCESSED, inbound.reason
    return inbound


def test_the_agent_page_links_emailed_messages_to_their_original(client, agent, ticket, emailed):
    typed = services.message_add(actor=agent, ticket=ticket, body="Typed in the browser.")
    client.force_login(agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    url = f"/agent/tickets/{ticket.pk}/messages/{emailed.ticket_message_id}/original/"
    assert page.count("View original email") == 1 and f'href="{url}"' in page
    # A message typed in the browser has no original.
    assert client.get(f"/agent/tickets/{ticket.pk}/messages/{typed.pk}/original/").status_code == 404

    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # Escaped text, never markup: the source and the headers are shown as they arrived.
    assert "<script>alert" not in html and "<b>bold</b>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # the X-Trace header, escaped
    assert "=?utf-8?q?Re:_Caf=C3=A9?=" in html  # the header block as it arrived
    assert "Message-ID" in html and "reply-1@acme.test" in html


def test_customers_and_agents_who_cannot_see_the_ticket_get_404(
    client, customer, org_member, team_agent, other_team_agent, admin, ticket, emailed
):
    url = f"/agent/tickets/{ticket.pk}/messages/{emailed.ticket_message_id}/original/"
    for person, status in (
        (customer, 404),  # the author of the mail, but a customer: agents only
        (org_member, 404),
        (other_team_agent, 404),  # works Technical only; the ticket is Billing's
        (team_agent, 200),
        (admin, 200),
    ):
        client.force_login(person)
        assert client.get(url).status_code == status, person.email
    # The customer's own portal shows the reply, but no way to the original.
    client.force_login(customer)
    portal = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Still broken." in portal and "original" not in portal.lower()


def test_a_message_of_another_ticket_is_not_found_under_this_one(client, agent, ticket, emailed, customer):
    other = services.ticket_create(actor=customer, subject="Second issue", description="Something else broke too.")
    client.force_login(agent)
    assert client.get(f"/agent/tickets/{other.pk}/messages/{emailed.ticket_message_id}/original/").status_code == 404
    assert client.post(f"/agent/tickets/{ticket.pk}/messages/{emailed.ticket_message_id}/original/").status_code == 405
