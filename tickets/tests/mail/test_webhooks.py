"""The provider door (django-anymail's inbound webhooks): a signed post becomes a ticket through
the same store-first intake; an unsigned or wrongly signed one is refused and stores nothing; a
door without its secret configured is closed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from tickets.mail.models import InboundMessage
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-mailgun-signing-0123456789"
SECRET = "provider:s3cret-webhook-pass"


@pytest.fixture(autouse=True)
def configured(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": [SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Post with the intake's after-commit processing run, as a real commit would."""

    def post(client: Client, path: str, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, **extra)

    return post


def _auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _raw(sender: str, subject: str, body: str, message_id: str) -> str:
    return (
        f"From: Ada Lovelace <{sender}>\r\nTo: support@localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )


def _mailgun_fields(raw: str, *, key: str = SIGNING_KEY) -> dict[str, str]:
    """A Mailgun "forward to URL" post of a raw MIME message, signed as Mailgun signs it:
    HMAC-SHA256 of timestamp + token under the webhook signing key, hex."""
    timestamp = str(int(time.time()))
    token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        "recipient": "support@localhost",
        "sender": "ada@analytical.test",
        "body-mime": raw,
    }


def test_a_signed_mailgun_post_becomes_a_ticket(run_commits):
    raw = _raw("ada@analytical.test", "Engine stops at step 7", "The engine stops at step seven.", "mg-1@a.test")
    response = run_commits(Client(), "/mail/inbound/mailgun_mime/", _mailgun_fields(raw), **_auth())
    assert response.status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.door, inbound.state, inbound.message_id) == ("webhook", "processed", "mg-1@a.test")
    assert (inbound.envelope_sender, inbound.envelope_recipients) == ("ada@analytical.test", ["support@localhost"])
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester.email, ticket.subject) == (
        "email",
        "ada@analytical.test",
        "Engine stops at step 7",
    )
    assert "The engine stops at step seven." in ticket.messages.get().body
    # The provider posting it again (it did not see our answer) stores nothing new.
    response = run_commits(Client(), "/mail/inbound/mailgun_mime/", _mailgun_fields(raw), **_auth())
    assert response.status_code == 200
    assert (InboundMessage.objects.count(), Ticket.objects.count()) == (1, 1)


def test_a_mailgun_post_with_a_wrong_signature_is_refused_and_stores_nothing(run_commits, settings):
    raw = _raw("eve@forger.test", "Hello", "Forged.", "mg-forged@a.test")
    forged = _mailgun_fields(raw, key="not-the-signing-key")
    assert run_commits(Client(), "/mail/inbound/mailgun_mime/", forged, **_auth()).status_code == 400
    unsigned = {k: v for k, v in _mailgun_fields(raw).items() if k != "signature"}
    assert run_commits(Client(), "/mail/inbound/mailgun/", unsigned, **_auth()).status_code == 400
    # Rightly signed, but without the basic auth the desk also asks for.
    assert run_commits(Client(), "/mail/inbound/mailgun_mime/", _mailgun_fields(raw)).status_code == 400
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}  # signatures are enough for Mailgun
    tampered = {**_mailgun_fields(raw), "timestamp": "1"}
    assert run_commits(Client(), "/mail/inbound/mailgun_mime/", tampered).status_code == 400
    assert not InboundMessage.objects.exists() and not Ticket.objects.exists()


def test_postmark_json_without_basic_auth_is_refused_and_with_it_lands(run_commits):
    payload = {
        "FromFull": {"Email": "grace@navy.test", "Name": "Grace Hopper"},
        "ToFull": [{"Email": "support@localhost", "Name": ""}],
        "OriginalRecipient": "support@localhost",
        "Subject": "Compiler manual missing",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "TextBody": "Where can I find the compiler manual?",
        "HtmlBody": "",
        "Headers": [
            {"Name": "Return-Path", "Value": "<grace@navy.test>"},
            {"Name": "Message-ID", "Value": "<pm-1@navy.test>"},
        ],
        "Attachments": [
            {
                "Name": "notes.txt",
                "Content": base64.b64encode(b"Page 3 is blank.\n").decode(),
                "ContentType": "text/plain",
            }
        ],
    }
    body = json.dumps(payload)
    for headers in ({}, _auth("provider:wrong")):
        response = run_commits(Client(), "/mail/inbound/postmark/", body, content_type="application/json", **headers)
        assert response.status_code == 400
    assert not InboundMessage.objects.exists()

    response = run_commits(Client(), "/mail/inbound/postmark/", body, content_type="application/json", **_auth())
    assert response.status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.door, inbound.state, inbound.envelope_sender) == ("webhook", "processed", "grace@navy.test")
    ticket = Ticket.objects.get()
    assert (ticket.requester.email, ticket.subject) == ("grace@navy.test", "Compiler manual missing")
    assert "Where can I find the compiler manual?" in ticket.messages.get().body
    assert list(ticket.messages.get().attachments.values_list("filename", flat=True)) == ["notes.txt"]


def test_a_sendgrid_raw_mime_post_lands(run_commits):
    raw = _raw("linus@kernel.test", "Build fails on ARM", "make fails with an assembler error.", "sg-1@kernel.test")
    fields = {
        "email": raw,
        "envelope": json.dumps({"from": "linus@kernel.test", "to": ["support@localhost"]}),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
        "spam_score": "0.1",
    }
    assert run_commits(Client(), "/mail/inbound/sendgrid/", fields).status_code == 400  # no basic auth
    assert not InboundMessage.objects.exists()
    assert run_commits(Client(), "/mail/inbound/sendgrid/", fields, **_auth()).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.door, inbound.state, inbound.message_id) == ("webhook", "processed", "sg-1@kernel.test")
    assert Ticket.objects.get().subject == "Build fails on ARM"


def test_amazon_ses_sns_notification_lands(run_commits, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False}
    raw = _raw("ken@bell.test", "Terminal garbled", "The terminal shows garbage after login.", "ses-1@bell.test")
    ses_event = {
        "notificationType": "Received",
        "mail": {"source": "ken@bell.test", "messageId": "ses-abc", "timestamp": "2026-03-01T10:00:00.000Z"},
        "receipt": {
            "recipients": ["support@localhost"],
            "action": {"type": "SNS", "encoding": "BASE64"},
            "spamVerdict": {"status": "PASS"},
        },
        "content": base64.b64encode(raw.encode()).decode(),
    }
    sns = {"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:eu-west-1:1:inbound"}
    sns["Message"] = json.dumps(ses_event)
    headers = {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification", "HTTP_X_AMZ_SNS_MESSAGE_ID": "sns-1"}
    post = run_commits(
        Client(), "/mail/inbound/amazon_ses/", json.dumps(sns), content_type="application/json", **headers
    )
    assert post.status_code == 401  # SNS sends basic auth only after a 401
    response = run_commits(
        Client(), "/mail/inbound/amazon_ses/", json.dumps(sns), content_type="application/json", **headers, **_auth()
    )
    assert response.status_code == 200
    assert InboundMessage.objects.get().state == "processed"
    assert Ticket.objects.get().requester.email == "ken@bell.test"


def test_a_door_without_its_secret_is_closed(run_commits, settings):
    settings.ANYMAIL = {}
    raw = _raw("ada@analytical.test", "Hello", "Anyone there?", "closed-1@a.test")
    for path, data in (
        ("/mail/inbound/mailgun_mime/", _mailgun_fields(raw)),
        ("/mail/inbound/sendgrid/", {"email": raw}),
        ("/mail/inbound/postmark/", {"RawEmail": raw}),
    ):
        assert run_commits(Client(), path, data).status_code == 404
    assert Client().get("/mail/inbound/postmark/").status_code in (404, 405)
    assert not InboundMessage.objects.exists()


def test_only_the_webhooks_skip_the_csrf_check():
    from django.urls import URLPattern, URLResolver, get_resolver

    def exempt(patterns, ns=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from exempt(entry.url_patterns, entry.namespace or ns)
            elif isinstance(entry, URLPattern) and getattr(entry.callback, "csrf_exempt", False):
                yield f"{ns}:{entry.name}"

    # The REST API (DRF: token or session with its own CSRF check) and the admin aside.
    pages = {name for name in exempt(get_resolver().url_patterns) if not name.startswith(("api:", "admin:"))}
    assert pages == {
        "mail:inbound_mailgun",
        "mail:inbound_mailgun_mime",
        "mail:inbound_sendgrid",
        "mail:inbound_postmark",
        "mail:inbound_amazon_ses",
    }


def test_a_post_over_djangos_upload_limit_is_refused_and_stores_nothing(run_commits, settings):
    raw = _raw("ada@analytical.test", "Huge", "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "big-1@a.test")
    body = json.dumps({"RawEmail": raw, "OriginalRecipient": "support@localhost"})
    response = run_commits(Client(), "/mail/inbound/postmark/", body, content_type="application/json", **_auth())
    assert response.status_code == 400
    response = run_commits(Client(), "/mail/inbound/mailgun_mime/", _mailgun_fields(raw), **_auth())
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()
