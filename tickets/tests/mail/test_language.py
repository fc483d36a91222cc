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
