"""Macros on the agent pages: the ticket page's picker and preview (which writes nothing),
applying with an edited reply, and the queue's bulk bar (all or nothing)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.timezone import now

from conftest import PASSWORD
from tickets.models import Macro, MacroScope, Message, Status, Ticket, TicketEvent
from tickets.services import macros as macro_services
from tickets.tests.test_macros import REPLY_AND_PEND, _tickets


def _login(client, user):
    assert client.login(username=user.email, password=PASSWORD)


@pytest.fixture
def macro(admin, billing_team):
    return macro_services.macro_create(
        actor=admin, name="Ask for order number", actions=REPLY_AND_PEND, scope=MacroScope.TEAM, team=billing_team
    )


@pytest.mark.django_db
def test_ticket_page_lists_usable_macros_only(client, team_agent, agent, ticket, macro):
    theirs = macro_services.macro_create(actor=agent, name="Alice's own", actions=REPLY_AND_PEND)
    _login(client, team_agent)
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert 'role="combobox"' in page and "Ask for order number" in page
    assert reverse("agent:macro_preview", args=[ticket.pk, macro.pk]) in page
    assert theirs.name not in page
    # Someone else's macro cannot be previewed or applied either: it does not exist for them.
    assert client.get(reverse("agent:macro_preview", args=[ticket.pk, theirs.pk])).status_code == 404
    assert client.post(reverse("agent:macro_apply", args=[ticket.pk, theirs.pk])).status_code == 404


@pytest.mark.django_db
def test_preview_shows_reply_and_changes_and_writes_nothing(client, team_agent, ticket, macro):
    _login(client, team_agent)
    events = TicketEvent.objects.count()
    response = client.get(reverse("agent:macro_preview", args=[ticket.pk, macro.pk]), {"fragment": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hi Ada, what is your order number?" in html
    assert 'Open</span> → <span class="macro-new">Pending' in html
    assert "add order-number" in html
    assert "<html" not in html  # a fragment for the picker
    # Without JavaScript the same preview is a page of its own.
    assert "<html" in client.get(reverse("agent:macro_preview", args=[ticket.pk, macro.pk])).content.decode()
    assert TicketEvent.objects.count() == events
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


@pytest.mark.django_db
def test_apply_sends_the_edited_reply_and_says_so(client, team_agent, ticket, macro):
    _login(client, team_agent)
    response = client.post(
        reverse("agent:macro_apply", args=[ticket.pk, macro.pk]), {"reply": "Hi Ada, which order was it?"}
    )
    assert response.status_code == 302 and response.url == ticket.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Macro “Ask for order number” applied."]
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert Message.objects.filter(ticket=ticket).latest("pk").body == "Hi Ada, which order was it?"
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "(via macro “Ask for order number”)" in page


@pytest.mark.django_db
def test_apply_refused_writes_nothing_and_says_why(client, team_agent, ticket, macro):
    _login(client, team_agent)
    response = client.post(reverse("agent:macro_apply", args=[ticket.pk, macro.pk]), {"reply": "  "})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Macro “Ask for order number” was not applied: The reply is empty")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


@pytest.mark.django_db
def test_customers_get_404(client, customer, ticket, macro):
    _login(client, customer)
    assert client.get(reverse("agent:macro_preview", args=[ticket.pk, macro.pk])).status_code == 404
    assert client.post(reverse("agent:macro_apply", args=[ticket.pk, macro.pk])).status_code == 404
    assert client.post(reverse("agent:macro_bulk"), {"macro": macro.pk, "ids": [ticket.pk]}).status_code == 404


@pytest.mark.django_db
def test_queue_bulk_bar_applies_a_macro_all_or_nothing(client, admin, customer, billing_team, team_agent, macro):
    tickets = _tickets(customer, admin, billing_team, 5)
    Ticket.objects.filter(pk=tickets[2].pk).update(status=Status.CLOSED, solved_at=now(), closed_at=now())
    _login(client, team_agent)
    assert f'value="{macro.pk}"' in client.get(reverse("agent:queue")).content.decode()
    ids = [t.pk for t in tickets]
    response = client.post(reverse("agent:macro_bulk"), {"macro": macro.pk, "ids": ids})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Nothing was changed: macro “Ask for order number” could not be applied to 1 of 5")
    assert f"#{tickets[2].pk}: " in message
    assert not Ticket.objects.filter(pk__in=ids, status=Status.PENDING).exists()

    Ticket.objects.filter(pk=tickets[2].pk).update(status=Status.OPEN, solved_at=None, closed_at=None)
    response = client.post(reverse("agent:macro_bulk"), {"macro": macro.pk, "ids": ids})
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "Macro “Ask for order number” applied to 5 tickets."
    )
    assert Ticket.objects.filter(pk__in=ids, status=Status.PENDING).count() == 5
    response = client.post(reverse("agent:macro_bulk"), {"ids": ids})
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "Choose a macro to apply to the selected tickets."
    )
