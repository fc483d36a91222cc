"""The corpus: each ``.eml`` file in ``corpus/`` delivered to the desk, with its outcome.

| file | state | what it becomes |
|---|---|---|
| new_plain | processed | a new ticket for Ada, text as written |
| new_unknown_sender | processed | a new customer account without a password, and its ticket |
| reply_gmail | processed | a reply on Ada's ticket (In-Reply-To), Gmail's quote stripped |
| reply_outlook | processed | a reply (signed reply address), Outlook's header block stripped |
| reply_apple_mail | processed | a reply (References only), Apple Mail's quote stripped |
| reply_thunderbird | processed | a reply ([#123] in the subject), Thunderbird's quote stripped |
| html_only | processed | a new ticket, the HTML as plain text without markup or script |
| multipart_alternative | processed | a new ticket from the text/plain part |
| inline_image | processed | a new ticket with the inline image as an attachment |
| attachment_rfc2231_name | processed | a new ticket with "Rechnung März 2026.pdf" attached |
| iso_8859_1 | processed | a new ticket; subject, text and sender name decoded |
| shift_jis | processed | a new ticket; Japanese subject and text decoded |
| auto_submitted, x_autoreply, x_autorespond, precedence_bulk, precedence_junk | ignored | nothing |
| mailing_list | ignored | nothing (no account for the list either) |
| mailer_daemon | ignored | nothing |
| dsn_bounce | ignored | nothing on tickets; Ada's address marked as bouncing |
| forwarded | processed | a new ticket keeping the forwarded text |
| forwarded_as_attachment | processed | a new ticket with the forwarded message as an .eml file |
| malformed_mime | processed | a new ticket with the readable words |
| oversized | quarantined | nothing; only the headers kept, the reason says the size |
| spoof_reply_address | processed | a new ticket for Eve — never a reply on Ada's ticket |
| spoof_forged_hmac | processed | a new ticket for Ada — never a reply on Eve's ticket |
| spoof_subject_token | processed | a new ticket for Eve |
| spoof_message_id | processed | a new ticket for Eve |
| agent_reply | processed | a public reply on Ada's ticket by the agent |
| reply_to_closed | processed | a new ticket that says "Follow-up to #N." |
| cc_collaborators | processed | a new ticket shared with Bob and a new account in Cc |
| refused_attachment | processed | a new ticket with the PNG; the .exe listed as not accepted |
| own_loop | ignored | nothing (our own notification came back) |
| forwarded_with_eml_file | processed | a new ticket with "payment request.eml" (sent as a file) attached |
| reply_outlook_html_only | processed | a reply (In-Reply-To); Outlook's Word HTML as text, its reply block cut |
| reply_signature_only | processed | a reply saying the email had no text (only a signature and a quote) |
| reply_to_closed_subject_token | processed | a new ticket that says "Follow-up to #N." ([#N] of a closed ticket) |
| long_subject | processed | a new ticket; the folded subject unfolded and cut to 150 characters with "…" |
| reply_cc_colleague | processed | a reply on Ada's ticket; Carl (in Cc) becomes a collaborator |
| reply_org_colleague | processed | a new ticket for Bob: an Acme colleague may see Ada's ticket, not reply on it |
| unknown_plus_address | processed | a new ticket (support+anything@ with no ticket behind it is the mailbox) |
"""

from __future__ import annotations

import pytest
from django.core import mail as django_mail

from accounts.models import User
from tickets.models import Attachment, Message, Ticket
from tickets.tests.mail.helpers import CORPUS

NEW, REPLY, NOTHING = "new", "reply", "nothing"

OUTCOMES = {
    "new_plain.eml": ("processed", NEW),
    "new_unknown_sender.eml": ("processed", NEW),
    "reply_gmail.eml": ("processed", REPLY),
    "reply_outlook.eml": ("processed", REPLY),
    "reply_apple_mail.eml": ("processed", REPLY),
    "reply_thunderbird.eml": ("processed", REPLY),
    "html_only.eml": ("processed", NEW),
    "multipart_alternative.eml": ("processed", NEW),
    "inline_image.eml": ("processed", NEW),
    "attachment_rfc2231_name.eml": ("processed", NEW),
    "iso_8859_1.eml": ("processed", NEW),
    "shift_jis.eml": ("processed", NEW),
    "auto_submitted.eml": ("ignored", NOTHING),
    "x_autoreply.eml": ("ignored", NOTHING),
    "x_autorespond.eml": ("ignored", NOTHING),
    "precedence_bulk.eml": ("ignored", NOTHING),
    "precedence_junk.eml": ("ignored", NOTHING),
    "mailing_list.eml": ("ignored", NOTHING),
    "mailer_daemon.eml": ("ignored", NOTHING),
    "dsn_bounce.eml": ("ignored", NOTHING),
    "forwarded.eml": ("processed", NEW),
    "forwarded_as_attachment.eml": ("processed", NEW),
    "malformed_mime.eml": ("processed", NEW),
    "oversized.eml": ("quarantined", NOTHING),
    "spoof_reply_address.eml": ("processed", NEW),
    "spoof_forged_hmac.eml": ("processed", NEW),
    "spoof_subject_token.eml": ("processed", NEW),
    "spoof_message_id.eml": ("processed", NEW),
    "agent_reply.eml": ("processed", REPLY),
    "reply_to_closed.eml": ("processed", NEW),
    "cc_collaborators.eml": ("processed", NEW),
    "refused_attachment.eml": ("processed", NEW),
    "own_loop.eml": ("ignored", NOTHING),
    "forwarded_with_eml_file.eml": ("processed", NEW),
    "reply_outlook_html_only.eml": ("processed", REPLY),
    "reply_signature_only.eml": ("processed", REPLY),
    "reply_to_closed_subject_token.eml": ("processed", NEW),
    "long_subject.eml": ("processed", NEW),
    "reply_cc_colleague.eml": ("processed", REPLY),
    "reply_org_colleague.eml": ("processed", NEW),
    "unknown_plus_address.eml": ("processed", NEW),
}


def test_every_corpus_file_has_an_outcome():
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == sorted(OUTCOMES)
    assert len(OUTCOMES) >= 40


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_corpus(name, desk, deliver, settings):
    if name == "oversized.eml":
        settings.HELPDESK_INBOUND_MAX_BYTES = 4096
    state, effect = OUTCOMES[name]
    tickets_before = set(Ticket.objects.values_list("pk", flat=True))
    messages_before = set(Message.objects.values_list("pk", flat=True))
    users_before = set(User.objects.values_list("pk", flat=True))

    inbound = deliver(desk.eml(name))

    assert inbound.state == state, inbound.reason
    new_tickets = Ticket.objects.exclude(pk__in=tickets_before)
    new_messages = Message.objects.exclude(pk__in=messages_before)
    if effect == NEW:
        (ticket,) = new_tickets
        assert ticket.channel == "email"
        (message,) = new_messages
        assert message.ticket_id == ticket.pk
        assert inbound.ticket_id == ticket.pk and inbound.ticket_message_id == message.pk
    elif effect == REPLY:
        assert not new_tickets.exists()
        (message,) = new_messages
        assert message.ticket_id == desk.ticket.pk and not message.internal
        assert inbound.ticket_id == desk.ticket.pk and inbound.ticket_message_id == message.pk
    else:
        assert not new_tickets.exists() and not new_messages.exists()
        assert inbound.ticket_id is None
        assert not django_mail.outbox, "noise is never answered"
    new_users = User.objects.exclude(pk__in=users_before)
    CHECKS.get(name, lambda **kw: None)(
        inbound=inbound, desk=desk, message=locals().get("message"), new_users=new_users
    )
    if name not in (
        "new_unknown_sender.eml", "iso_8859_1.eml", "shift_jis.eml", "cc_collaborators.eml", "reply_cc_colleague.eml",
    ):  # fmt: skip
        assert not new_users.exists(), "no account is made for a known sender"


# --- what each file's text and side effects must be --------------------------------------------


def _new_plain(message, **_):
    assert message.author.email == "ada@acme.test"
    assert message.ticket.subject == "Label printer prints blank pages"
    assert message.body.startswith("Hello,\n\nsince this morning the label printer")
    assert message.body.endswith("Thanks,\nAda")


def _unknown(message, new_users, **_):
    (user,) = new_users
    assert (user.email, user.name, user.role) == ("marie@radium.test", "Marie Curie", "customer")
    assert not user.has_usable_password()
    assert message.ticket.requester == user


def _gmail(message, **_):
    assert message.body == "That worked, the download starts now. Thank you!"
    assert message.author.email == "ada@acme.test"


def _outlook(message, **_):
    assert message.body == "I still get an error page with code 502 when I click the link."


def _apple(message, **_):
    assert message.body.startswith("Sorry, one more question: can I get the invoice as a PDF as well?")
    assert "clear the browser cache" not in message.body


def _thunderbird(message, inbound, **_):
    assert message.body == "Found it: our proxy blocked the download. All good now."
    assert "subject token" in inbound.reason


def _html_only(message, **_):
    body = message.body
    assert "The monthly dashboard shows totals from last year." in body
    assert "Steps:\n1. Open reports\n2. Pick March" in body
    assert "- Chrome 130\n- Firefox 133" in body
    assert "Regards & thanks" in body
    for unsafe in ("<", "alert", "color: red", "onerror", "tracker.test"):
        assert unsafe not in body


def _alternative(message, **_):
    assert message.body.startswith("PLAIN PART: I requested a password reset")
    assert "HTML PART" not in message.body


def _attachment(filename, content_type):
    def check(message, **_):
        (attachment,) = Attachment.objects.filter(ticket=message.ticket)
        assert (attachment.filename, attachment.content_type, attachment.message_id) == (
            filename,
            content_type,
            message.pk,
        )

    return check


def _latin(message, **_):
    assert message.ticket.subject == "Lieferung für Köln unvollständig"
    assert "die Lieferung für Köln ist unvollständig: es fehlen zwei Geräte." in message.body
    assert message.body.endswith("Grüße\nJürgen")
    assert message.author.name == "Jürgen Müller"


def _shift_jis(message, **_):
    assert message.ticket.subject == "請求書の金額について"
    assert "請求書の金額が間違っているようです。" in message.body
    assert message.author.name == "山田 花子"


def _bounce(desk, inbound, **_):
    desk.customer.refresh_from_db()
    assert desk.customer.email_bouncing_since is not None
    assert "ada@acme.test" in inbound.reason


def _mailing_list(inbound, **_):
    assert "List-Id" in inbound.reason
    assert not User.objects.with_email("announce@lists.vendor.test").exists()


def _forwarded(message, **_):
    assert message.ticket.subject == "Fwd: Your shipment is delayed"
    assert "Can you tell me why this happened?" in message.body
    assert "Your shipment 99120 is delayed by five working days." in message.body


def _forwarded_attachment(message, **_):
    (attachment,) = Attachment.objects.filter(ticket=message.ticket)
    assert attachment.filename.endswith(".eml") and attachment.content_type == "text/plain"
    assert b"Balance notice" in attachment.file.read()


def _malformed(message, **_):
    assert "the export button does nothing on the reports page." in message.body


def _oversized(inbound, **_):
    assert "messages can be at most" in inbound.reason
    assert inbound.truncated and bytes(inbound.raw).startswith(b"Date:") and b"%PDF" not in bytes(inbound.raw)


def _spoofed_for_eve(message, inbound, desk, **_):
    assert message.ticket.requester == desk.other_customer
    assert desk.ticket.messages.count() == 2  # Ada's description and the agent's reply: untouched


def _spoof_reply_address(inbound, **kwargs):
    _spoofed_for_eve(inbound=inbound, **kwargs)
    assert "may not reply" in inbound.reason


def _forged_hmac(message, desk, **_):
    assert message.ticket.requester == desk.customer
    assert desk.other_ticket.messages.count() == 1


def _agent(message, desk, **_):
    assert message.author == desk.agent and message.author_role == "agent"
    assert message.body == "I have re-issued the invoice; the new link is in your portal."
    desk.ticket.refresh_from_db()
    assert desk.ticket.first_response_at is not None


def _closed(message, desk, **_):
    assert message.body.startswith(f"Follow-up to #{desk.closed_ticket.pk}.\n\nThe same problem is back")
    assert desk.closed_ticket.messages.count() == 1


def _cc(message, desk, **_):
    collaborators = set(message.ticket.collaborators.values_list("email", flat=True))
    assert collaborators == {"bob@acme.test", "newbie@acme.test"}
    assert not User.objects.with_email("support@localhost").exists()


def _refused(message, **_):
    assert "Attachment setup.exe was not accepted:" in message.body
    assert list(Attachment.objects.filter(ticket=message.ticket).values_list("filename", flat=True)) == ["progress.png"]


def _own_loop(inbound, **_):
    assert "Our own notification" in inbound.reason


def _forwarded_eml_file(message, **_):
    assert message.body == "Is this payment request really from you? The original is attached."
    (attachment,) = Attachment.objects.filter(ticket=message.ticket)
    assert attachment.filename == "payment request.eml"
    assert b"Please wire 4,470 EUR" in attachment.file.read()


def _outlook_html(message, **_):
    assert message.body == "Danke, jetzt funktioniert der Download – schön!"  # windows-1252 decoded


def _signature_only(message, **_):
    assert message.body == "(This email had no text.)"


def _closed_token(message, desk, inbound, **_):
    assert message.ticket.subject == "Old order question"
    assert message.body.startswith(f"Follow-up to #{desk.closed_ticket.pk}.\n\nSorry to bring this up again")
    assert desk.closed_ticket.messages.count() == 1
    assert f"#{desk.closed_ticket.pk} is closed" in inbound.reason


def _long_subject(message, **_):
    subject = message.ticket.subject
    assert 140 < len(subject) <= 150 and subject.endswith("INV-00014…") and "\n" not in subject
    assert subject.startswith("Invoices INV-00001 INV-00002 INV-00003 INV-00004 INV-00005 INV-00006 INV-00007")


def _cc_colleague(message, desk, new_users, **_):
    assert message.body == "Copying Carl from controlling: he needs the corrected invoice as well."
    assert list(desk.ticket.collaborators.values_list("email", flat=True)) == ["carl@acme.test"]
    assert [user.email for user in new_users] == ["carl@acme.test"]


def _org_colleague(message, desk, inbound, **_):
    assert message.ticket.requester == desk.org_member and message.ticket.pk != desk.ticket.pk
    assert "bob@acme.test may not reply there" in inbound.reason
    assert desk.ticket.messages.count() == 2  # untouched


def _plus_address(message, inbound, **_):
    assert message.ticket.subject == "Quote for twelve more licences"
    assert inbound.mailbox.address == "support@localhost"


CHECKS = {
    "new_plain.eml": _new_plain,
    "new_unknown_sender.eml": _unknown,
    "reply_gmail.eml": _gmail,
    "reply_outlook.eml": _outlook,
    "reply_apple_mail.eml": _apple,
    "reply_thunderbird.eml": _thunderbird,
    "html_only.eml": _html_only,
    "multipart_alternative.eml": _alternative,
    "inline_image.eml": _attachment("screenshot.png", "image/png"),
    "attachment_rfc2231_name.eml": _attachment("Rechnung März 2026.pdf", "application/pdf"),
    "iso_8859_1.eml": _latin,
    "shift_jis.eml": _shift_jis,
    "dsn_bounce.eml": _bounce,
    "mailing_list.eml": _mailing_list,
    "forwarded.eml": _forwarded,
    "forwarded_as_attachment.eml": _forwarded_attachment,
    "malformed_mime.eml": _malformed,
    "oversized.eml": _oversized,
    "spoof_reply_address.eml": _spoof_reply_address,
    "spoof_forged_hmac.eml": _forged_hmac,
    "spoof_subject_token.eml": _spoofed_for_eve,
    "spoof_message_id.eml": _spoofed_for_eve,
    "agent_reply.eml": _agent,
    "reply_to_closed.eml": _closed,
    "cc_collaborators.eml": _cc,
    "refused_attachment.eml": _refused,
    "own_loop.eml": _own_loop,
    "forwarded_with_eml_file.eml": _forwarded_eml_file,
    "reply_outlook_html_only.eml": _outlook_html,
    "reply_signature_only.eml": _signature_only,
    "reply_to_closed_subject_token.eml": _closed_token,
    "long_subject.eml": _long_subject,
    "reply_cc_colleague.eml": _cc_colleague,
    "reply_org_colleague.eml": _org_colleague,
    "unknown_plus_address.eml": _plus_address,
}
