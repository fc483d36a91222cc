"""Issue 16's acceptance for triggers through the email channel: "an email from a billing address
goes to Billing with a tag". A trigger written on the mailbox a message arrived at (the
``mailbox`` field) or on the subject routes the ticket a real message opens, and the history says
which trigger did it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.history import via
from tickets.mail.models import Mailbox
from tickets.models import Ticket, TicketEvent, Trigger, TriggerOn


def _mail(*, to: str, subject: str, number: int) -> bytes:
    return (
        f"From: Ada Customer <ada@acme.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <billing-{number}@acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Could you have a look at this for me, please (message {number})?\r\n"
    ).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("to", "subject", "routed"),
    [
        ("Billing <billing@localhost>", "A question about my plan", True),  # the billing mailbox, no words
        ("support@localhost", "Where is my invoice?", True),  # the words, another mailbox
        ("support@localhost", "A question about my plan", False),
    ],
)
def test_an_email_to_the_billing_mailbox_goes_to_billing_with_a_tag(
    to, subject, routed, deliver, customer, admin, billing_team, client
):
    billing = Mailbox.objects.create(address="billing@localhost")  # no team of its own: the trigger routes
    trigger = Trigger.objects.create(
        name="Billing mail → Billing",
        on=TriggerOn.CREATED,
        conditions={
            "any": [
                {"field": "subject", "operator": "contains", "value": "invoice"},
                {"field": "mailbox", "operator": "is", "value": billing.pk},
            ]
        },
        actions=[{"action": "set_team", "value": billing_team.pk}, {"action": "add_tags", "value": ["billing"]}],
        owner=admin,
    )

    inbound = deliver(_mail(to=to, subject=subject, number=len(to) + len(subject)))

    assert inbound.state == "processed", inbound.reason
    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    assert ticket.channel == "email" and ticket.requester == customer
    assert inbound.mailbox_id == (
        billing.pk if "billing" in to else Mailbox.objects.get(address="support@localhost").pk
    )
    tags = set(ticket.tags.values_list("name", flat=True))
    assert (ticket.team_id == billing_team.pk, "billing" in tags) == (routed, routed)
    trigger.refresh_from_db()
    assert trigger.fire_count == (1 if routed else 0) and not trigger.last_error
    if routed:
        event = TicketEvent.objects.get(ticket=ticket, kind="team_changed")
        assert event.actor_id == admin.pk
        assert via(event) == " (via trigger “Billing mail → Billing”)"
        client.force_login(admin)
        page = client.get(reverse("agent:ticket", args=[ticket.pk]))
        assert "(via trigger “Billing mail → Billing”)" in page.content.decode()
