"""A bounce marks the address; notifications skip it, the agent sees it next to the requester, and
mail from the address makes it work again."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from tickets import services


@pytest.mark.django_db
def test_a_bounce_stops_notifications_until_the_address_writes_again(desk, deliver, committed, client, password):
    assert deliver(desk.eml("dsn_bounce.eml")).state == "ignored"
    desk.customer.refresh_from_db()
    assert desk.customer.email_bouncing_since is not None

    committed(services.message_add, actor=desk.agent, ticket=desk.ticket, body="Any news on your side?")
    assert [m.to for m in django_mail.outbox] == [], "no mail to a bouncing address"

    client.login(username=desk.agent.email, password=password)
    page = client.get(reverse("agent:ticket", args=[desk.ticket.pk])).content.decode()
    assert "Email bounces" in page

    assert deliver(desk.eml("reply_gmail.eml")).state == "processed"  # she writes: the address works
    desk.customer.refresh_from_db()
    assert desk.customer.email_bouncing_since is None
    committed(services.message_add, actor=desk.agent, ticket=desk.ticket, body="Glad it works now.")
    assert [m.to for m in django_mail.outbox] == [[desk.customer.email]]
    page = client.get(reverse("agent:ticket", args=[desk.ticket.pk])).content.decode()
    assert "Email bounces" not in page
