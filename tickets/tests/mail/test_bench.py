"""The throughput run of ``manage.py bench_mail`` at a small size: every generated message flows
through the SMTP listener — new tickets, replies on their threads, auto-replies ignored — and the
poisoned one is quarantined with its reason without holding up the ones behind it."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command

from tickets.mail import bench
from tickets.mail.models import InboundMessage
from tickets.mail.smtp import MailController
from tickets.models import Message, Ticket


@pytest.fixture
def listener(transactional_db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    controller = MailController("127.0.0.1", bench.free_port())
    controller.start()
    yield controller
    controller.stop()


def test_fifty_messages_flow_and_the_poisoned_one_is_quarantined(listener):
    messages = bench.generate(50, 10, seed=3)
    kinds = Counter(item.kind for item in messages)
    assert kinds["poison"] == 1 and kinds["reply"] > 20 and kinds["new"] >= 10
    result = bench.run(messages, host=listener.hostname, port=listener.port)

    assert result.sent == 50 and sum(result.states.values()) == 50
    assert result.states == Counter(processed=kinds["new"] + kinds["reply"], ignored=kinds["auto-reply"], quarantined=1)
    (poisoned,) = result.poisoned
    assert (poisoned.state, poisoned.reason) == ("quarantined", bench.POISON_REASON)
    assert poisoned.ticket_id is None
    # Nothing half-made by the poisoned one; every new message a ticket, every reply on its own thread.
    assert Ticket.objects.count() == kinds["new"]
    assert Message.objects.count() == kinds["new"] + kinds["reply"]
    for inbound in InboundMessage.objects.filter(state="processed").select_related("ticket", "ticket_message"):
        assert inbound.ticket is not None and inbound.ticket_message is not None
        assert inbound.ticket_message.author.email == inbound.ticket.requester.email  # no reply strayed
    # The poisoned message runs again (the fault gone) and flows like the others.
    call_command("process_mail", "--retry-quarantined", stdout=io.StringIO())
    poisoned.refresh_from_db()
    assert poisoned.state == "processed" and Ticket.objects.count() == kinds["new"] + 1


def test_the_bench_command_reports_and_checks_its_run(transactional_db):
    from django.conf import settings

    backend = settings.EMAIL_BACKEND
    out = io.StringIO()
    call_command("bench_mail", "--count", "30", "--senders", "6", stdout=out)
    text = out.getvalue()
    assert "Sent 30 messages by SMTP" in text and "messages/s" in text
    assert "1 quarantined" in text and bench.POISON_REASON in text
    # The dummy backend was the run's only: later tests in this process still see their mail.
    assert backend == settings.EMAIL_BACKEND
