"""Store first, process once: deduplication, idempotent processing, quarantine and re-runs, the
per-sender rate limit, the default mailbox, the admin, and the --stdin door."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from tickets.mail import content, processing
from tickets.mail.mailboxes import default_mailbox, mailbox_for
from tickets.mail.models import InboundMessage, Mailbox
from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[3]


def message(number: int = 1, *, sender: str = "grace@navy.test", subject: str = "Compiler crashes on startup") -> bytes:
    return (
        f"From: Grace Hopper <{sender}>\r\nTo: support@localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: <intake-{number}@navy.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"The compiler crashes as soon as I start it (report {number}).\r\n"
    ).encode()


@pytest.mark.django_db
def test_the_default_mailbox_is_made_on_first_use_and_plus_addresses_reach_it(settings):
    assert not Mailbox.objects.exists()
    mailbox = mailbox_for("Support+anything@LOCALHOST")
    assert mailbox == default_mailbox() and mailbox.address == "support@localhost"
    assert mailbox_for("sales@localhost") is None
    settings.HELPDESK_INBOUND_ADDRESS = "Help@Desk.Example"
    assert default_mailbox().address == "help@desk.example"


@pytest.mark.django_db
def test_a_duplicate_delivery_stores_nothing_new_and_makes_one_ticket(deliver):
    first = deliver(message(1))
    again = deliver(message(1))  # the same bytes: an SMTP retry
    assert again.pk == first.pk
    resent = message(1).replace(b"(report 1)", b"(report 1, sent again)")  # same Message-ID, other bytes
    assert deliver(resent).pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_processing_twice_has_the_effect_of_once(deliver):
    inbound = deliver(message(2))
    assert inbound.state == "processed"
    assert processing.process(inbound.pk) == "processed"
    assert processing.process(inbound.pk, again=True) == "processed"
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.get(pk=inbound.pk).attempts == 1


@pytest.mark.django_db
def test_a_failing_message_is_quarantined_with_the_reason_and_the_next_one_flows(deliver, monkeypatch):
    real = content.new_ticket_subject

    def poisoned(subject):
        if "poison" in subject:
            raise RuntimeError("the subject parser broke")
        return real(subject)

    monkeypatch.setattr(content, "new_ticket_subject", poisoned)
    bad = deliver(message(3, subject="A poison message"))
    good = deliver(message(4))
    assert (bad.state, bad.reason) == ("quarantined", "Processing failed: RuntimeError: the subject parser broke")
    assert bad.ticket_id is None and good.state == "processed"
    assert Ticket.objects.count() == 1  # nothing half-made by the failed one
    from accounts.models import User

    assert User.objects.with_email("grace@navy.test").count() == 1

    monkeypatch.setattr(content, "new_ticket_subject", real)  # the fix is deployed
    out = io.StringIO()
    call_command("process_mail", "--retry-quarantined", stdout=out)
    assert "1 processed" in out.getvalue()
    bad.refresh_from_db()
    assert bad.state == "processed" and bad.attempts == 2 and Ticket.objects.count() == 2


@pytest.mark.django_db
def test_process_mail_runs_messages_whose_job_never_ran(committed):
    from tickets.mail import intake

    received = intake.receive(message(5), door="stdin")  # no commit: the job never ran
    assert InboundMessage.objects.get(pk=received.inbound.pk).state == "received"
    out = io.StringIO()
    call_command("process_mail", stdout=out)
    assert "1 processed" in out.getvalue()
    call_command("process_mail", "--id", str(received.inbound.pk), stdout=out)
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_flood_from_one_sender_is_quarantined(deliver, settings):
    settings.HELPDESK_INBOUND_RATE_LIMIT = 3
    states = [deliver(message(10 + n)).state for n in range(5)]
    assert states == ["processed"] * 3 + ["quarantined"] * 2
    flooded = InboundMessage.objects.filter(state="quarantined").first()
    assert "sent more than 3 messages in 10 minutes" in flooded.reason
    assert deliver(message(20, sender="someone.else@navy.test")).state == "processed"


@pytest.mark.django_db
def test_unknown_senders_are_ignored_when_the_mailbox_takes_only_known_ones(deliver):
    mailbox = default_mailbox()
    mailbox.allow_unknown_senders = False
    mailbox.save()
    inbound = deliver(message(30))
    assert inbound.state == "ignored" and "takes mail only from known senders" in inbound.reason
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_mailbox_routes_its_tickets_to_its_team_with_its_defaults(deliver, billing_team, team_agent):
    Mailbox.objects.create(
        address="billing@localhost", team=billing_team, default_priority="high", default_tags=["invoice"]
    )
    inbound = deliver(message(31).replace(b"To: support@localhost", b"To: Billing <billing@localhost>"))
    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    assert (ticket.team, ticket.priority, list(ticket.tags.values_list("name", flat=True))) == (
        billing_team,
        "high",
        ["invoice"],
    )
    from tickets import permissions

    assert permissions.can(team_agent, permissions.Action.CHANGE, ticket)


@pytest.mark.django_db
def test_the_admin_shows_the_raw_source_as_text_and_processes_again(client, admin, deliver, password):
    inbound = deliver(message(40, subject="<script>alert(1)</script> in subject"))
    client.login(username=admin.email, password=password)
    page = client.get(reverse("admin:tickets_inboundmessage_change", args=[inbound.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; in subject" in html and "<script>alert(1)" not in html
    assert client.get(reverse("admin:tickets_inboundmessage_changelist")).status_code == 200
    assert client.get(reverse("admin:tickets_mailbox_changelist")).status_code == 200
    InboundMessage.objects.filter(pk=inbound.pk).update(state="quarantined")
    response = client.post(
        reverse("admin:tickets_inboundmessage_changelist"),
        {"action": "process_again", "_selected_action": [inbound.pk]},
        follow=True,
    )
    assert "Processed again: 1 processed" in response.content.decode()


# --- the --stdin door -------------------------------------------------------------------------


@pytest.mark.django_db
def test_receive_mail_stdin_stores_and_answers_duplicates_as_accepted():
    out = io.StringIO()
    call_command("receive_mail", "--stdin", stdin_source=io.BytesIO(message(50)), stdout=out)
    assert "Stored as message" in out.getvalue()
    call_command("receive_mail", "--stdin", stdin_source=io.BytesIO(message(50)), stdout=out)
    assert "Already stored" in out.getvalue()
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_receive_mail_stdin_quarantines_an_oversized_message(settings):
    settings.HELPDESK_INBOUND_MAX_BYTES = 2048
    raw = message(51) + b"x" * 5000
    call_command("receive_mail", "--stdin", stdin_source=io.BytesIO(raw), stdout=io.StringIO())
    inbound = InboundMessage.objects.get()
    assert inbound.state == "quarantined" and inbound.size == len(raw) and inbound.truncated
    assert "Only its headers were kept" in inbound.reason


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}/{settings['NAME']}"


def _run_stdin(raw: bytes, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test"}
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "receive_mail", "--stdin", "--recipient", "support@localhost"],
        input=raw,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_receive_mail_stdin_as_a_mail_server_pipes_it(tmp_path):
    """What a Postfix pipe transport does: exit 0 once stored (the ticket made), 75 (EX_TEMPFAIL)
    when the database cannot be reached, so the mail server keeps the message and retries."""
    done = _run_stdin(message(60), _database_url())
    assert done.returncode == 0, done.stderr.decode()
    assert b"processed" in done.stdout
    assert Ticket.objects.get().subject == "Compiler crashes on startup"
    unreachable = (
        f"sqlite:///{tmp_path}/missing-dir/none.sqlite3"
        if connection.vendor == "sqlite"
        else "postgres://postgres@127.0.0.1:1/nowhere"
    )
    failed = _run_stdin(message(61), unreachable)
    assert failed.returncode == 75, failed.stderr.decode()
    assert b"try again" in failed.stderr
