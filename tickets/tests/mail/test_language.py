"""The email channel speaks the sender's language: what it adds to a message's text (files it did
not accept, "Follow-up to #N.") is written for the person who sent the mail, and the mail that
answers them is in their language, whatever language the worker that processed it had active."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.utils import translation

from accounts import services as account_services
from tickets.models import Message

pytestmark = pytest.mark.django_db


def _new_message(inbound) -> Message:
    assert inbound.state == "processed", inbound.reason
    return Message.objects.get(pk=inbound.ticket_message_id)


@pytest.mark.parametrize("language", ["es", ""])
def test_a_refused_file_is_reported_in_the_senders_language(desk, deliver, language):
    account_services.user_set_locale(user=desk.customer, language=language, time_zone="Europe/Madrid")
    with translation.override("en"):  # the worker's own language is not the sender's
        message = _new_message(deliver(desk.eml("refused_attachment.eml")))
    mails = [m for m in django_mail.outbox if m.to == ["ada@acme.test"]]
    # The acknowledgement, and the notice about the refused file (tickets.mail.notices).
    assert len(mails) == 2, [m.subject for m in django_mail.outbox]
    ack, notice = sorted(mails, key=lambda m: m.extra_headers["Auto-Submitted"] == "auto-replied")
    if language == "es":
        assert "El archivo adjunto setup.exe no se aceptó:" in message.body
        assert "was not accepted" not in message.body
        assert ack.subject.startswith(f"[#{message.ticket_id}] Hemos recibido")
        assert "El archivo adjunto setup.exe no se aceptó:" in ack.body
        assert notice.subject == f"[#{message.ticket_id}] Algunos archivos de tu correo no se aceptaron"
        assert "- setup.exe: " in notice.body and "Hola, Ada:" in notice.body
    else:
        assert "Attachment setup.exe was not accepted:" in message.body
        assert ack.subject.startswith(f"[#{message.ticket_id}] We received your request")
        assert notice.subject == f"[#{message.ticket_id}] Some files in your email were not accepted"
        assert "- setup.exe: " in notice.body and "Hello Ada," in notice.body


def test_a_follow_up_says_so_in_the_senders_language(desk, deliver):
    account_services.user_set_locale(user=desk.customer, language="es", time_zone="")
    with translation.override("en"):
        message = _new_message(deliver(desk.eml("reply_to_closed.eml")))
        assert translation.get_language() == "en"  # the sender's language did not leak out of processing
    assert message.body.startswith(f"Seguimiento del #{desk.closed_ticket.pk}.\n\nThe same problem is back")


BULK = (
    b"From: Newsletter <news@shop.example>\r\nTo: support@desk.test\r\nSubject: Our spring sale\r\n"
    b"Precedence: bulk\r\nMessage-ID: <sale-1@shop.example>\r\n\r\nEverything must go.\r\n"
)


def test_why_a_message_ended_as_it_did_is_read_in_the_readers_language(desk, deliver, client, admin):
    with translation.override("en"):  # processed with nobody to read it: English is kept as well
        ignored = deliver(BULK)
        processed = deliver(desk.eml("refused_attachment.eml"))
    assert ignored.state == "ignored" and ignored.reason == "Bulk mail (Precedence: bulk)."
    assert processed.reason == f"New ticket #{processed.ticket_id}."
    assert ignored.reason_parts == [{"text": "Bulk mail (Precedence: %(value)s).", "values": {"value": "bulk"}}]
    with translation.override("es"):
        assert ignored.shown_reason == "Correo masivo (Precedence: bulk)."
        assert processed.shown_reason == f"Ticket nuevo #{processed.ticket_id}."
    # A message stored before the parts were kept shows its English reason as it is.
    processed.reason_parts = []
    with translation.override("es"):
        assert processed.shown_reason == f"New ticket #{processed.ticket_id}."

    account_services.user_set_locale(user=admin, language="es", time_zone="")
    client.force_login(admin)
    page = client.get("/settings/mailboxes/messages/").content.decode()
    assert "Correo masivo (Precedence: bulk)." in page and f"Ticket nuevo #{processed.ticket_id}." in page
    assert "Bulk mail" not in page and "New ticket #" not in page
    assert "Correo masivo (Precedence: bulk)." in client.get("/admin/tickets/inboundmessage/").content.decode()
