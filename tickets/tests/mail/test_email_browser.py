"""The email channel end to end over real protocols (issue 15): a customer's mail goes by SMTP to
the aiosmtpd listener and becomes a ticket; the agent signs in in Chromium and replies on the
ticket page; the notification leaves through Django's SMTP backend and is caught by a real local
SMTP server (a sink); the customer's mail client answers it — To its Reply-To, In-Reply-To its
Message-ID — by SMTP to the listener, and the answer lands on the same ticket as a public reply."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from conftest import sign_in
from tickets.mail.smtp import MailController
from tickets.models import MailThreadId, Ticket
from tickets.notifications.mailthread import reply_address

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """aiosmtpd handler keeping every message it is given (the outside world's mail server)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        with self.arrived:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[tuple[str, list[str], EmailMessage]]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} messages at the sink, got {len(self.messages)}"
                self.arrived.wait(left)
            return list(self.messages)


@pytest.fixture
def sink(settings):
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield handler
    controller.stop()


@pytest.fixture
def listener(settings):
    controller = MailController("127.0.0.1", _free_port())
    controller.start()
    yield controller
    controller.stop()


def _send(listener, message: EmailMessage) -> None:
    with smtplib.SMTP(listener.hostname, listener.port, timeout=30) as client:
        client.send_message(message)


def test_mail_in_browser_reply_out_and_the_answer_lands_on_the_same_ticket(page, agent, sink, listener):
    first = EmailMessage()
    first["From"] = "Grace Hopper <grace@navy.test>"
    first["To"] = "support@localhost"
    first["Subject"] = "Tape drive rewinds forever"
    first["Message-ID"] = "<tape-0001@navy.test>"
    first.set_content("Since this morning the tape drive keeps rewinding and never stops.")
    _send(listener, first)

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester.email) == ("email", "grace@navy.test")
    (ack,) = sink.wait_for(1)  # the acknowledgement, through the real SMTP backend
    assert ack[1] == ["grace@navy.test"] and ack[2]["In-Reply-To"] == "<tape-0001@navy.test>"

    sign_in(page, agent.email)
    page.goto(f"/agent/tickets/{ticket.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tape drive rewinds forever")
    page.get_by_label("Reply to customer").check()
    page.get_by_label("Message").fill("Please power-cycle the drive and tell me what the panel shows.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to the customer.", exact=False)).to_be_visible()

    _, recipients, reply = sink.wait_for(2)[1]
    assert recipients == ["grace@navy.test"]
    assert f"[#{ticket.pk}]" in reply["Subject"]
    assert reply["Reply-To"] == reply_address(ticket.pk)
    assert reply["Reply-To"].startswith(f"support+t{ticket.pk}.")
    assert reply["In-Reply-To"] == ack[2]["Message-ID"]  # answers the thread's newest mail
    references = reply["References"].split()
    assert "<tape-0001@navy.test>" in references and ack[2]["Message-ID"] in references
    text = reply.get_body(preferencelist=("plain",)).get_content()
    assert "Please power-cycle the drive" in text
    assert MailThreadId.objects.filter(
        ticket=ticket, message_id=reply["Message-ID"].strip("<>"), outbound=True
    ).exists()

    answer = EmailMessage()  # what her mail client makes of "Reply"
    answer["From"] = "Grace Hopper <grace@navy.test>"
    answer["To"] = reply["Reply-To"]
    answer["Subject"] = "Re: " + reply["Subject"]
    answer["Message-ID"] = "<tape-0002@navy.test>"
    answer["In-Reply-To"] = reply["Message-ID"]
    answer["References"] = f"{reply['References']} {reply['Message-ID']}"
    answer.set_content(
        "The panel shows E42 after the power cycle.\n\n"
        f"On Mon, 2 Mar 2026 at 09:00, Helpdesk <support@localhost> wrote:\n> {text.splitlines()[0]}\n"
    )
    _send(listener, answer)

    assert Ticket.objects.count() == 1
    last = ticket.messages.order_by("-created_at", "-id").first()
    assert last is not None
    assert (last.author.email, last.body, last.internal) == (
        "grace@navy.test",
        "The panel shows E42 after the power cycle.",
        False,
    )
    page.reload()
    expect(page.get_by_text("The panel shows E42 after the power cycle.")).to_be_visible()
