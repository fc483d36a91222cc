"""A file the upload checks refuse is listed in the ticket and its sender is told by mail — in
their language, threaded under their message, marked as an automatic reply — and never a robot:
an auto-reply or a bounce carrying a refused file gets no notice (RFC 3834 loop safety)."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail

from accounts import services as account_services
from tickets.mail import processing
from tickets.models import MailThreadId, Message
from tickets.notifications.mailthread import reply_address

pytestmark = pytest.mark.django_db


def _notices():
    return [m for m in django_mail.outbox if m.extra_headers.get("Auto-Submitted") == "auto-replied"]


def test_the_sender_of_a_refused_file_is_told_by_mail(desk, deliver):
    inbound = deliver(desk.eml("refused_attachment.eml"))
    assert inbound.state == "processed", inbound.reason
    message = Message.objects.get(pk=inbound.ticket_message_id)
    assert "Attachment setup.exe was not accepted:" in message.body  # listed in the ticket
    assert list(message.attachments.values_list("filename", flat=True)) == ["progress.png"]  # the rest kept
    (notice,) = _notices()
    ticket_id = message.ticket_id
    assert notice.to == ["ada@acme.test"]
    assert notice.subject == f"[#{ticket_id}] Some files in your email were not accepted"
    assert "- setup.exe: " in notice.body and "progress.png" not in notice.body
    assert f"/portal/tickets/{ticket_id}/" in notice.body
    assert notice.reply_to == [reply_address(ticket_id)]
    headers = notice.extra_headers
    assert headers["In-Reply-To"] == "<refused-0001@acme.test>"
    # Our own Message-ID, remembered: the notice coming back (a bounce, a robot) is recognised.
    sent_id = headers["Message-ID"].strip("<>")
    assert MailThreadId.objects.filter(ticket_id=ticket_id, message_id=sent_id, outbound=True).exists()


def test_a_refused_file_on_a_reply_is_noticed_too(desk, deliver):
    raw = (
        desk.eml("refused_attachment.eml")
        .replace(b"To: support@localhost", f"To: {reply_address(desk.ticket.pk)}".encode())
        .replace(b"refused-0001@", b"refused-0002@")
    )
    inbound = deliver(raw)
    assert inbound.state == "processed" and inbound.ticket_id == desk.ticket.pk, inbound.reason
    (notice,) = _notices()
    assert notice.subject.startswith(f"[#{desk.ticket.pk}] ")


@pytest.mark.parametrize(
    "header",
    [b"Auto-Submitted: auto-replied", b"X-Autoreply: yes", b"Precedence: bulk", b"List-Id: <printers.acme.test>"],
)
def test_a_robot_with_a_refused_file_is_never_answered(desk, deliver, header):
    raw = desk.eml("refused_attachment.eml").replace(b"MIME-Version: 1.0\n", b"MIME-Version: 1.0\n" + header + b"\n")
    raw = raw.replace(b"MIME-Version: 1.0\r\n", b"MIME-Version: 1.0\r\n" + header + b"\r\n")
    assert header in raw
    assert deliver(raw).state == "ignored"
    assert not django_mail.outbox


def test_no_notice_to_a_bouncing_address_or_for_a_message_that_was_rolled_back(desk, deliver, monkeypatch):
    account_services.user_set_email_bouncing(user=desk.customer, bouncing=True)
    # Mail from the address clears the flag (it works again), so the notice goes out then...
    assert deliver(desk.eml("refused_attachment.eml")).state == "processed"
    assert len(_notices()) == 1
    django_mail.outbox.clear()

    def broken(*args, **kwargs):
        raise RuntimeError("the thread could not be remembered")

    # Fails at the very end of processing, after the notice was planned: the rollback drops it.
    monkeypatch.setattr(processing, "remember", broken)
    raw = desk.eml("refused_attachment.eml").replace(b"refused-0001@", b"refused-0003@")
    inbound = deliver(raw)
    assert inbound.state == "quarantined"
    assert not _notices()  # ...but a message whose processing rolled back has told nobody anything
