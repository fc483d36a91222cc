"""End to end over real SMTP: a customer's mail to the aiosmtpd listener becomes a ticket, the
agent's reply goes out with threading headers, and the customer's answer to that mail — built
from its headers, as a mail client does — lands on the same ticket."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import pytest
from django.core import mail as django_mail

from tickets import services
from tickets.mail.smtp import MailController
from tickets.models import MailThreadId, Ticket
from tickets.notifications.mailthread import reply_address


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def listener(transactional_db, settings):
    settings.HELPDESK_INBOUND_MAX_BYTES = 64 * 1024
    controller = MailController("127.0.0.1", _free_port())
    controller.start()
    yield controller
    controller.stop()


def _send(listener, mail: EmailMessage) -> None:
    with smtplib.SMTP(listener.hostname, listener.port, timeout=30) as client:
        client.send_message(mail)


def test_a_conversation_by_email_stays_one_ticket(listener, agent):
    first = EmailMessage()
    first["From"] = "Grace Hopper <grace@navy.test>"
    first["To"] = "support@localhost"
    first["Subject"] = "Compiler crashes on startup"
    first["Message-ID"] = "<first-0001@navy.test>"
    first.set_content("The compiler crashes as soon as I start it. What can I do?")
    _send(listener, first)

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester.email, ticket.subject) == ("email", "grace@navy.test", first["Subject"])
    (ack,) = django_mail.outbox
    assert ack.extra_headers["In-Reply-To"] == "<first-0001@navy.test>"  # threads under her own mail
    django_mail.outbox.clear()

    services.message_add(actor=agent, ticket=ticket, body="Please start it with --safe-mode and tell me.")
    (reply,) = django_mail.outbox
    headers = reply.extra_headers
    assert reply.to == ["grace@navy.test"]
    assert reply.reply_to == [reply_address(ticket.pk)]
    assert f"[#{ticket.pk}]" in reply.subject
    assert headers["In-Reply-To"] == ack.extra_headers["Message-ID"]  # the thread's newest mail
    assert headers["References"].split()[1:] == ["<first-0001@navy.test>", ack.extra_headers["Message-ID"]]
    sent_id = headers["Message-ID"].strip("<>")
    assert MailThreadId.objects.filter(ticket=ticket, message_id=sent_id, outbound=True).exists()
    message = reply.message()
    assert message["Reply-To"] == reply_address(ticket.pk) and message["Message-ID"] == headers["Message-ID"]
    django_mail.outbox.clear()

    answer = EmailMessage()  # what her mail client makes of "Reply"
    answer["From"] = "Grace Hopper <grace@navy.test>"
    answer["To"] = message["Reply-To"]
    answer["Subject"] = "Re: " + message["Subject"]
    answer["Message-ID"] = "<answer-0002@navy.test>"
    answer["In-Reply-To"] = message["Message-ID"]
    answer["References"] = f"{message['References']} {message['Message-ID']}"
    answer.set_content(
        "Safe mode works.\n\nOn Tue, 3 Mar 2026 at 10:00, Helpdesk <support@localhost> wrote:\n"
        "> Please start it with --safe-mode and tell me.\n"
    )
    _send(listener, answer)

    assert Ticket.objects.count() == 1
    bodies = list(ticket.messages.order_by("created_at", "id").values_list("author__email", "body"))
    assert bodies[-1] == ("grace@navy.test", "Safe mode works.")
    assert len(bodies) == 3


def test_the_listener_refuses_strangers_and_oversized_mail(listener):
    with smtplib.SMTP(listener.hostname, listener.port, timeout=30) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("a@b.test", ["nobody@elsewhere.test"], b"Subject: hi\r\n\r\nhello\r\n")
        assert refused.value.recipients["nobody@elsewhere.test"][0] == 550
        big = b"Subject: big\r\nFrom: a@b.test\r\n\r\n" + b"x" * (70 * 1024) + b"\r\n"
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)) as large:
            client.sendmail("a@b.test", ["support+whatever@localhost"], big)
        if hasattr(large.value, "smtp_code"):
            assert large.value.smtp_code == 552
    assert not Ticket.objects.exists()
