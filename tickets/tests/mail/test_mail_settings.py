"""Settings → Mailboxes (issue 15): admins configure mailboxes and see what arrived; each change
goes through ``tickets.mail.services`` with an audit entry; IMAP passwords are stored encrypted and
never shown back."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from accounts.settings_pages.registry import SECTIONS
from tickets.mail import credentials
from tickets.mail.models import InboundMessage, InboundState, Mailbox
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

RAW = (
    b"From: Nora New <nora@example.com>\r\nTo: sales@desk.test\r\nSubject: Quote for 40 chairs\r\n"
    b"Message-ID: <quote-1@example.com>\r\n\r\nCould you send a quote?\r\n"
)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _entries(obj) -> list[LogEntry]:
    kind = ContentType.objects.get_for_model(type(obj))
    return list(LogEntry.objects.filter(content_type=kind, object_id=str(obj.pk)).order_by("pk"))


def _values(entry: LogEntry) -> dict[str, list[str]]:
    return {v[0]: v[1:] for part in json.loads(entry.change_message) for v in part.get("values", [])}


FORM = {
    "address": "Sales@Desk.test",
    "team": "",
    "default_priority": "high",
    "default_tags": "sales, Quote",
    "allow_unknown_senders": "on",
    "add_cc_as_collaborators": "",
    "active": "on",
    "imap_host": "imap.desk.test",
    "imap_port": "993",
    "imap_security": "ssl",
    "imap_username": "sales",
    "imap_password": "s3cret-IMAP-pass",
}


def test_the_section_is_registered_by_the_tickets_app():
    slugs = [section.slug for section in SECTIONS]
    assert "mailboxes" in slugs and slugs[-1] == "audit"


def test_create_edit_and_deactivate_a_mailbox_with_audit(admin_client, admin, billing_team):
    response = admin_client.post("/settings/mailboxes/new/", {**FORM, "team": billing_team.pk})
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.address == "sales@desk.test"  # normalized
    assert (mailbox.team, mailbox.default_priority, mailbox.default_tags) == (billing_team, "high", ["sales", "quote"])
    assert mailbox.allow_unknown_senders and not mailbox.add_cc_as_collaborators and mailbox.active
    # The password is stored encrypted, readable with the key, never as written.
    assert "s3cret-IMAP-pass" not in mailbox.imap_password_encrypted
    assert credentials.reveal(mailbox.imap_password_encrypted) == "s3cret-IMAP-pass"
    [added] = _entries(mailbox)
    assert added.action_flag == ADDITION and added.user == admin
    assert _values(added)["IMAP password"] == ["", "Set"]
    assert "s3cret" not in added.change_message

    page = admin_client.get(f"/settings/mailboxes/{mailbox.pk}/").content.decode()
    assert "s3cret-IMAP-pass" not in page and mailbox.imap_password_encrypted not in page
    assert "A password is set" in page
    assert "sales@desk.test" in admin_client.get("/settings/mailboxes/").content.decode()

    # An empty password keeps the stored one; unchecking "active" deactivates.
    token = mailbox.imap_password_encrypted
    response = admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/",
        {**FORM, "team": billing_team.pk, "imap_password": "", "active": "", "default_tags": ""},
    )
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert not mailbox.active and mailbox.default_tags == [] and mailbox.imap_password_encrypted == token
    change = _entries(mailbox)[-1]
    assert change.action_flag == CHANGE
    assert _values(change) == {"Default tags": ["sales, quote", "—"], "Active": ["Yes", "No"]}

    # A new password replaces it, and the audit entry says so without saying what it is.
    admin_client.post(f"/settings/mailboxes/{mailbox.pk}/", {**FORM, "imap_password": "another-one"})
    mailbox.refresh_from_db()
    assert credentials.reveal(mailbox.imap_password_encrypted) == "another-one"
    assert "another-one" not in _entries(mailbox)[-1].change_message


def test_a_taken_address_or_bad_tags_are_form_errors(admin_client):
    Mailbox.objects.create(address="sales@desk.test")
    response = admin_client.post("/settings/mailboxes/new/", FORM)
    assert response.status_code == 400
    assert "Another mailbox already has this address." in response.content.decode()
    response = admin_client.post("/settings/mailboxes/new/", {**FORM, "address": "b@desk.test", "default_tags": "a b"})
    assert response.status_code == 400 and "is not valid" in response.content.decode()
    response = admin_client.post("/settings/mailboxes/new/", {**FORM, "address": "c@desk.test", "imap_port": "70000"})
    assert response.status_code == 400
    assert Mailbox.objects.count() == 1 and LogEntry.objects.count() == 0


def test_the_password_is_unreadable_under_another_secret_key(admin_client):
    admin_client.post("/settings/mailboxes/new/", FORM)
    token = Mailbox.objects.get().imap_password_encrypted
    with override_settings(SECRET_KEY="a-different-secret-key-" + "x" * 40):
        assert credentials.reveal(token) is None
    assert credentials.reveal(token[:-4] + "AAAA") is None
    assert credentials.reveal("") is None


def test_inbound_list_shows_state_and_reason_and_processes_a_quarantined_message_again(admin_client, admin):
    mailbox = Mailbox.objects.create(address="sales@desk.test")
    stuck = InboundMessage.objects.create(
        mailbox=mailbox,
        door="stdin",
        raw=RAW,
        size=len(RAW),
        sha256=hashlib.sha256(RAW).hexdigest(),
        message_id="quote-1@example.com",
        envelope_sender="nora@example.com",
        state=InboundState.QUARANTINED,
        reason="OperationalError: database is locked",
    )
    done = InboundMessage.objects.create(
        mailbox=mailbox, door="smtp", raw=b"x", size=1, sha256="0" * 64, state=InboundState.IGNORED, reason="Bulk."
    )
    page = admin_client.get("/settings/mailboxes/messages/").content.decode()
    assert "database is locked" in page and "Bulk." in page
    assert page.count("Process again") == 1  # only the quarantined one
    page = admin_client.get("/settings/mailboxes/messages/?state=ignored").content.decode()
    assert "Bulk." in page and "database is locked" not in page

    assert admin_client.get(f"/settings/mailboxes/messages/{stuck.pk}/process/").status_code == 405
    response = admin_client.post(f"/settings/mailboxes/messages/{stuck.pk}/process/")
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert stuck.state == InboundState.PROCESSED and stuck.ticket is not None
    assert Ticket.objects.get(pk=stuck.ticket_id).subject == "Quote for 40 chairs"
    assert _values(_entries(stuck)[-1]) == {"State": ["Quarantined", "Processed"]}

    # Done messages are not run again (nothing created, no audit entry).
    count = Ticket.objects.count()
    admin_client.post(f"/settings/mailboxes/messages/{done.pk}/process/")
    admin_client.post(f"/settings/mailboxes/messages/{stuck.pk}/process/")
    assert Ticket.objects.count() == count and _entries(done) == []


@pytest.mark.parametrize("persona", ["customer", "agent"])
def test_only_admins_see_or_change_mailboxes(client, request, persona):
    mailbox = Mailbox.objects.create(address="sales@desk.test")
    client.force_login(request.getfixturevalue(persona))
    for url in ("/settings/mailboxes/", f"/settings/mailboxes/{mailbox.pk}/", "/settings/mailboxes/messages/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/settings/mailboxes/{mailbox.pk}/", {**FORM, "active": ""}).status_code == 404
    mailbox.refresh_from_db()
    assert mailbox.active and mailbox.imap_host == ""


def test_inbound_list_shows_the_envelope_sender_or_else_the_from_header(admin_client, django_assert_max_num_queries):
    mailbox = Mailbox.objects.create(address="sales@desk.test")

    def stored(door: str, raw: bytes, envelope_sender: str = "") -> InboundMessage:
        return InboundMessage.objects.create(
            mailbox=mailbox,
            door=door,
            raw=raw,
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            envelope_sender=envelope_sender,
            state=InboundState.IGNORED,
            reason=f"Stored from {door}.",
        )

    # By SMTP: the envelope sender (a bounce address here), not the From header.
    stored("smtp", b"From: Nora <nora@example.com>\r\nSubject: a\r\n\r\nx\r\n", envelope_sender="bounces@lists.test")
    # By IMAP (no envelope): the From header, said to be one.
    stored("imap", b"From: Otto Imap <otto@imap.example>\r\nSubject: b\r\n\r\n" + b"y" * 200_000)
    stored("stdin", b"Subject: no sender at all\r\n\r\nz\r\n")
    with django_assert_max_num_queries(8):
        page = admin_client.get("/settings/mailboxes/messages/").content.decode()
    assert "bounces@lists.test" in page and "nora@example.com" not in page
    assert "otto@imap.example" in page
    assert page.count("(From header; no envelope)") == 1
