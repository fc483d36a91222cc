"""The IMAP door against a real Dovecot (issue 15): ``receive_mail --imap`` stores each unseen
message through the store-first intake, then moves it to "Processed" (made when missing)."""

from __future__ import annotations

import imaplib
import io
from typing import Any

import pytest
from django.core.management import call_command

from tickets.mail import imap
from tickets.mail.models import Door, InboundMessage, InboundState, Mailbox
from tickets.models import Ticket
from tickets.notifications.mailthread import reply_address
from tickets.tests.mail import dovecot

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    yield from dovecot.start()


def _imap(server) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.port)
    client.login(server.user, server.password)
    return client


def _append(server, raw: bytes, *, seen: bool = False) -> None:
    client = _imap(server)
    try:
        flags: Any = r"(\Seen)" if seen else None
        answer: Any = client.append("INBOX", flags, None, raw)  # type: ignore[arg-type]  # imaplib takes None
        assert answer[0] == "OK"
    finally:
        client.logout()


def _subjects(server, folder: str) -> list[str]:
    client = _imap(server)
    try:
        status, _ = client.select(folder, readonly=True)
        if status != "OK":
            return []
        _, data = client.uid("SEARCH", "ALL")
        found = []
        for uid in data[0].split():
            _, parts = client.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            found.append(parts[0][1].decode().strip().removeprefix("Subject: "))
        return sorted(found)
    finally:
        client.logout()


def _mail(sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def _run(capture, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with capture(execute=True):
        try:
            call_command("receive_mail", "--imap", *args, stdout=out, stderr=err)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_mailbox_set_up_in_settings_is_polled_and_mail_moves_to_processed(
    server, client, admin, customer, ticket, django_capture_on_commit_callbacks
):
    # The admin sets the mailbox up on its settings page (the password is sealed there).
    client.force_login(admin)
    response = client.post(
        "/settings/mailboxes/new/",
        {
            "address": "sales@desk.test", "team": "", "default_priority": "high", "default_tags": "imap",
            "allow_unknown_senders": "on", "add_cc_as_collaborators": "on", "active": "on",
            "imap_host": server.host, "imap_port": str(server.port), "imap_security": "none",
            "imap_username": server.user, "imap_password": server.password,
        },
    )  # fmt: skip
    assert response.status_code == 302
    _append(server, _mail("Nora New <nora@example.com>", "sales@desk.test", "Forty chairs", "A quote?", "n1@ex.com"))
    _append(
        server,
        _mail("Ada Customer <ada@acme.test>", reply_address(ticket.pk), "Re: invoice", "Still broken.", "a1@acme"),
    )
    _append(server, _mail("x@example.com", "sales@desk.test", "Already read", "Seen by a person.", "s1@ex"), seen=True)

    code, out, err = _run(django_capture_on_commit_callbacks, "--once")
    assert (code, err) == (0, "")
    assert "sales@desk.test: 2 stored, 0 already stored, 2 moved." in out

    stored = {m.message_id: m for m in InboundMessage.objects.filter(door=Door.IMAP)}
    assert set(stored) == {"n1@ex.com", "a1@acme"}
    assert all(m.state == InboundState.PROCESSED for m in stored.values()), [m.reason for m in stored.values()]
    new = Ticket.objects.get(subject="Forty chairs")
    assert new.requester.email == "nora@example.com" and new.priority == "high" and new.channel == "email"
    assert [tag.name for tag in new.tags.all()] == ["imap"]
    assert stored["a1@acme"].ticket_id == ticket.pk
    assert ticket.messages.filter(body__contains="Still broken.").count() == 1
    # Processed messages moved; the one a person had already read is left where it was.
    assert _subjects(server, "INBOX") == ["Already read"]
    assert _subjects(server, "Processed") == ["Forty chairs", "Re: invoice"]

    # The next pass finds nothing; the same message delivered again is a duplicate, still moved.
    assert "0 stored, 0 already stored, 0 moved" in _run(django_capture_on_commit_callbacks, "--once")[1]
    _append(server, _mail("Nora New <nora@example.com>", "sales@desk.test", "Forty chairs", "A quote?", "n1@ex.com"))
    code, out, _ = _run(django_capture_on_commit_callbacks, "--once")
    assert code == 0 and "0 stored, 1 already stored, 1 moved." in out
    assert Ticket.objects.filter(subject="Forty chairs").count() == 1
    assert _subjects(server, "INBOX") == ["Already read"]


def test_a_refused_sign_in_is_reported_and_leaves_the_mail_on_the_server(server, django_capture_on_commit_callbacks):
    from tickets.mail import credentials

    Mailbox.objects.create(
        address="sales@desk.test", imap_host=server.host, imap_port=server.port, imap_security="none",
        imap_username=server.user, imap_password_encrypted=credentials.seal("wrong password"),
    )  # fmt: skip
    Mailbox.objects.create(address="off@desk.test", active=False, imap_host=server.host, imap_username=server.user)
    _append(server, _mail("nora@example.com", "sales@desk.test", "Hello", "Hi", "h1@ex"))
    code, out, err = _run(django_capture_on_commit_callbacks, "--once")
    assert code == 1 and "sales@desk.test:" in err and "off@desk.test" not in out + err
    assert InboundMessage.objects.count() == 0
    assert _subjects(server, "INBOX") == ["Hello"]


def test_a_password_sealed_under_another_secret_key_is_reported(server, settings):
    from tickets.mail import credentials

    mailbox = Mailbox.objects.create(
        address="sales@desk.test", imap_host=server.host, imap_port=server.port, imap_security="none",
        imap_username=server.user, imap_password_encrypted=credentials.seal(server.password),
    )  # fmt: skip
    assert imap.poll(mailbox).errors == []
    settings.SECRET_KEY = "rotated-" + "y" * 50
    [error] = imap.poll(mailbox).errors
    assert "set it again" in error


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_without_dovecot_the_tests_skip_locally_and_fail_in_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(dovecot, "_binary", lambda: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="needs Debian's dovecot-imapd"):
        next(dovecot.start())


class _Running:
    """``receive_mail --imap ARGS`` on a thread (it stops by ``--max-polls``), its output so far."""

    def __init__(self, *args: str):
        import threading

        from django.db import connection

        self.out, self.err = io.StringIO(), io.StringIO()

        def run() -> None:
            try:
                call_command("receive_mail", "--imap", *args, stdout=self.out, stderr=self.err)
            finally:
                connection.close()

        self.thread = threading.Thread(target=run, name="receive-mail-test", daemon=True)
        self.thread.start()

    def wait_for(self, text: str, timeout: float = 20.0) -> None:
        import time

        deadline = time.monotonic() + timeout
        while text not in self.out.getvalue():
            assert time.monotonic() < deadline, f"{text!r} not in {self.out.getvalue()!r} {self.err.getvalue()!r}"
            assert self.thread.is_alive() or text in self.out.getvalue(), self.out.getvalue() + self.err.getvalue()
            time.sleep(0.05)

    def finish(self, timeout: float = 20.0) -> str:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "receive_mail did not stop at --max-polls"
        return self.out.getvalue()


def _imap_mailbox(server) -> Mailbox:
    from tickets.mail import credentials

    return Mailbox.objects.create(
        address="sales@desk.test", imap_host=server.host, imap_port=server.port, imap_security="none",
        imap_username=server.user, imap_password_encrypted=credentials.seal(server.password),
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_polling_every_interval_picks_up_mail_delivered_after_it_started(server):
    _imap_mailbox(server)
    running = _Running("--interval", "1", "--max-polls", "4")
    running.wait_for("sales@desk.test: 0 stored")  # the first pass found nothing
    _append(server, _mail("Nora New <nora@example.com>", "sales@desk.test", "Late chairs", "A quote?", "late@ex.com"))
    running.wait_for("sales@desk.test: 1 stored")  # a later pass fetched it
    out = running.finish()
    assert out.startswith("Polling IMAP mailboxes, every 1 s")
    assert out.count("sales@desk.test:") == 4  # and it stopped after --max-polls passes
    inbound = InboundMessage.objects.get(message_id="late@ex.com")
    assert (inbound.door, inbound.state) == (Door.IMAP, InboundState.PROCESSED)
    assert Ticket.objects.get().subject == "Late chairs"
    assert _subjects(server, "Processed") == ["Late chairs"]


@pytest.mark.django_db(transaction=True)
def test_idle_fetches_new_mail_as_soon_as_the_server_announces_it(server):
    import time

    _imap_mailbox(server)
    running = _Running("--idle", "--interval", "60", "--max-polls", "2")
    running.wait_for("sales@desk.test: 0 stored")
    time.sleep(0.5)  # the IDLE wait has begun
    started = time.monotonic()
    _append(server, _mail("Otto <otto@example.com>", "sales@desk.test", "Idle news", "Hello!", "idle@ex.com"))
    out = running.finish(timeout=30)
    assert time.monotonic() - started < 15  # woken by the server, not after the 60 s interval
    assert out.startswith("Polling IMAP mailboxes, waiting with IDLE up to 60 s")
    assert "sales@desk.test: 1 stored" in out
    assert InboundMessage.objects.get(message_id="idle@ex.com").state == InboundState.PROCESSED


def test_max_polls_must_not_be_negative():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--max-polls"):
        call_command("receive_mail", "--imap", "--max-polls", "-1", stdout=io.StringIO())
