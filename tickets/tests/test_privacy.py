"""Data protection (README, "Data protection"): a person's export, erasure, the retention policy,
their screens, commands, permissions and audit entries. Real storage, real database."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import services as account_services
from accounts.models import Invite, Role, User
from accounts.privacy import services as privacy
from tickets import permissions, services
from tickets.models import (
    Attachment,
    EventKind,
    InboundMessage,
    Mailbox,
    Message,
    Notification,
    SatisfactionRating,
    Status,
    Ticket,
    TicketEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from tickets.privacy.retention import ANONYMIZED_BODY, apply_retention
from tickets.tests.factories import make_ticket, pdf, png

pytestmark = pytest.mark.django_db

SECRET_WORDS = "the secret internal remark"


def _zip(archive) -> tuple[dict, dict[str, bytes]]:
    data = archive.read()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        document = json.loads(z.read("person.json"))
        files = {name: z.read(name) for name in z.namelist() if name != "person.json"}
    return document, files


@pytest.fixture
def desk(customer, org_member, other_customer, agent, admin):
    """Ada's ticket with a file, a public reply and an internal note; Bob's (her colleague's)
    ticket in the same organization; Eve's ticket elsewhere."""
    ada = make_ticket(
        customer,
        subject="Ada cannot log in",
        description="Ada Customer here, ada@acme.test",
        attachments=[png("ada-passport.png")],
    )
    services.message_add(actor=agent, ticket=ada, body="Hello Ada Customer, looking into it.")
    services.message_add(actor=agent, ticket=ada, body=SECRET_WORDS, internal=True)
    services.message_add(actor=customer, ticket=ada, body="Thanks!", attachments=[pdf("ada-invoice.pdf")])
    services.ticket_assign(actor=admin, ticket=ada, assignee=agent)
    bob = make_ticket(org_member, subject="Bob's printer broke")
    eve = make_ticket(other_customer, subject="Eve's other ticket")
    return {"ada": ada, "bob": bob, "eve": eve}


# --- export --------------------------------------------------------------------------------------


def test_a_customer_export_holds_their_data_and_nothing_else(desk, customer, admin):
    Token.objects.create(user=customer)
    document, files = _zip(privacy.export_person(actor=admin, person=customer))
    assert document["profile"]["email"] == "ada@acme.test"
    assert document["organization"]["name"] == "Acme Corp"
    assert [t["id"] for t in document["tickets"]] == [desk["ada"].pk]  # not Bob's, though Acme shares
    ticket = document["tickets"][0]
    assert ticket["your_roles"] == ["requester"]
    bodies = [m["body"] for m in ticket["messages"]]
    assert "Hello Ada Customer, looking into it." in bodies and "Thanks!" in bodies
    assert SECRET_WORDS not in json.dumps(document)  # no internal notes
    assert "tags" not in ticket and "custom_fields" not in ticket
    assert document["api_tokens"] and "key" not in document["api_tokens"][0]
    assert Token.objects.get(user=customer).key not in json.dumps(document)
    assert sorted(name.rsplit("-", 1)[-1] for name in files) == ["invoice.pdf", "passport.png"]
    stored = {a.filename: a.file.read() for a in Attachment.objects.filter(ticket=desk["ada"])}
    assert sorted(files.values()) == sorted(stored.values())
    assert any(e["what"] == "opened the ticket" for e in ticket["history_you_made"])


def test_an_agent_export_holds_their_own_notes(desk, agent, admin):
    document, _files = _zip(privacy.export_person(actor=admin, person=agent))
    ticket = next(t for t in document["tickets"] if t["id"] == desk["ada"].pk)
    assert ticket["your_roles"] == ["assignee"]
    assert SECRET_WORDS in [m["body"] for m in ticket["messages"]]
    assert {t["id"] for t in document["tickets"]} == {desk["ada"].pk}


def test_export_queries_do_not_grow_with_tickets(customer, admin, agent):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            privacy.write_zip(privacy.collect(customer), io.BytesIO())
        return len(queries)

    for n in range(2):
        ticket = make_ticket(customer, subject=f"Ticket number {n}")
        services.message_add(actor=agent, ticket=ticket, body="A reply")
    few = count()
    for n in range(8):
        ticket = make_ticket(customer, subject=f"Another ticket {n}", attachments=[png()])
        services.message_add(actor=agent, ticket=ticket, body="A reply")
    assert count() == few


def test_export_is_written_batch_by_batch_not_held_in_memory(customer, admin, agent, monkeypatch, tmp_path):
    """The JSON of a long history is written while it is read: the memory the export takes at its
    peak stays well under the size of the person's conversation (here 60 tickets of ~38 KB, read 5
    at a time); building the whole document first takes several times that size."""
    import random
    import tracemalloc

    from tickets.privacy import export as ticket_export

    words = random.Random(19).choices(["printer", "invoice", "login", "refund", "broken", "again", "please"], k=6000)
    text = " ".join(words)[:19_000]
    for n in range(60):
        ticket = make_ticket(customer, subject=f"Long conversation {n}", description=f"{n} {text}")
        services.message_add(actor=agent, ticket=ticket, body=f"{text} {n}")
    monkeypatch.setattr(ticket_export, "BATCH", 5)
    privacy.write_zip(privacy.collect(customer), io.BytesIO())  # once first: lazy imports and caches
    bundle = privacy.collect(customer)
    out = tmp_path / "export.zip"
    tracemalloc.start()
    try:
        with out.open("wb") as handle:
            privacy.write_zip(bundle, handle)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with zipfile.ZipFile(out) as archive:
        written = archive.read("person.json")
    document = json.loads(written)
    assert len(document["tickets"]) == 60
    assert all(len(t["messages"]) == 2 for t in document["tickets"])
    assert len(written) > 2_200_000
    # A batch is ~190 KB of text; the zip's compressor and the first queries take ~600 KB whatever the size.
    assert peak < len(written) / 2, f"peak {peak} bytes for a {len(written)}-byte document"
    assert bundle.counts["Tickets"] == 60 and bundle.counts["Messages"] == 120


def test_the_streamed_json_reads_as_one_indented_document(desk, customer, admin):
    """Written in pieces, ``person.json`` is the very text ``json.dumps(indent=2)`` gives for the
    whole document, empty sections included."""
    archive = io.BytesIO()
    privacy.write_zip(privacy.collect(customer), archive)
    with zipfile.ZipFile(archive) as opened:
        written = opened.read("person.json").decode()
    document = json.loads(written)
    assert written == json.dumps(document, indent=2, ensure_ascii=False)
    assert document["satisfaction_ratings"] == [] and document["tickets"]
    assert list(document)[:3] == ["format", "version", "exported_at"]


def test_export_writes_an_audit_entry(desk, customer, admin, client):
    client.force_login(admin)
    response = client.post(reverse("settings:person_export", args=[customer.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    document, _files = _zip(io.BytesIO(b"".join(response.streaming_content)))
    assert document["profile"]["id"] == customer.pk
    entry = LogEntry.objects.get(object_id=str(customer.pk), change_message__contains="Personal data exported")
    assert entry.user_id == admin.pk
    page = client.get(reverse("settings:audit"))
    assert "Personal data exported" in page.content.decode()


def test_export_command_writes_the_zip(desk, customer, tmp_path):
    out = tmp_path / "ada.zip"
    call_command("export_person", "ADA@acme.test", "--out", str(out))
    document, files = _zip(out.open("rb"))
    assert document["profile"]["email"] == "ada@acme.test" and len(files) == 2
    entry = LogEntry.objects.get(object_id=str(customer.pk), change_message__contains="exported")
    assert entry.user.email == privacy.DESK_ACCOUNT_EMAIL


def test_export_command_refuses_an_unknown_address(db, tmp_path):
    with pytest.raises(CommandError, match="Nobody has the address"):
        call_command("export_person", "nobody@nowhere.test", "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_a_customer_downloads_their_own_export_agents_do_not(desk, customer, agent, client):
    client.force_login(customer)
    assert "Download my data" in client.get(reverse("accounts:profile")).content.decode()
    response = client.post(reverse("accounts:profile_export"))
    assert response.status_code == 200
    document, _files = _zip(io.BytesIO(b"".join(response.streaming_content)))
    assert document["profile"]["id"] == customer.pk
    client.force_login(agent)
    assert client.post(reverse("accounts:profile_export")).status_code == 404
    assert "Download my data" not in client.get(reverse("accounts:profile")).content.decode()


# --- erasure -------------------------------------------------------------------------------------


def _traces(old: list[str]) -> list[str]:
    """Every text column of the tables an erased person touches that still holds ``old``."""
    found = []
    checks: list[tuple[Any, list[str]]] = [
        (User, ["name", "email"]),
        (Ticket, ["subject", "metadata"]),
        (Message, ["author_name", "body"]),
        (Attachment, ["filename", "uploaded_by_name"]),
        (TicketEvent, ["actor_name", "data"]),
        (SatisfactionRating, ["comment"]),
        (Invite, ["email"]),
        (InboundMessage, ["envelope_sender", "reason", "reason_parts"]),
        (WebhookDelivery, ["payload"]),
        (LogEntry, ["object_repr", "change_message"]),
    ]
    for model, fields in checks:
        for row in model.objects.values(*fields):
            for field, value in row.items():
                text = json.dumps(value) if not isinstance(value, str) else value
                found += [f"{model.__name__}.{field}: {text[:80]}" for word in old if word.lower() in text.lower()]
    for row in InboundMessage.objects.values_list("raw", flat=True):
        found += [f"InboundMessage.raw {bytes(row)[:40]!r}" for word in old if word.encode() in bytes(row)]
    return found


def test_erasing_a_customer_leaves_no_trace_of_their_name_or_address(
    desk, customer, agent, admin, client, django_capture_on_commit_callbacks
):
    ada = desk["ada"]
    # Places the person's name and address end up in besides their tickets.
    services.collaborator_add(actor=agent, ticket=desk["eve"], email="ada@acme.test")
    account_services.user_set_name(user=customer, name="Ada Customer")  # audit-free rename: same name
    Invite.objects.create(email="ada@acme.test", role=Role.AGENT, invited_by=admin)
    LogEntry.objects.log_actions(
        admin.pk, [customer], 2, "Changed name of Ada Customer <ada@acme.test>.", single_object=True
    )
    mailbox = Mailbox.objects.create(address="help@desk.test")
    InboundMessage.objects.create(
        mailbox=mailbox,
        door="smtp",
        raw=b"From: Ada Customer <ada@acme.test>\r\n\r\nhi",
        size=40,
        sha256="a" * 64,
        envelope_sender="ada@acme.test",
        ticket=ada,
        # Why it ended as it did names the sender, in English and in the parts kept for translation.
        reason="Mail from a mail system (ada@acme.test).",
        reason_parts=[{"text": "Mail from a mail system (%(address)s).", "values": {"address": "ada@acme.test"}}],
    )
    endpoint = WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.example/", events=["ticket.created"], secret="s"
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id="m1",
        event_type="ticket.created",
        ticket_id=ada.pk,
        payload={"requester": {"name": "Ada Customer", "email": "ada@acme.test"}},
    )
    rating_event = TicketEvent.objects.filter(ticket=ada).first()
    SatisfactionRating.objects.create(
        ticket=ada, solve_event=rating_event, requester=customer, comment="Ada Customer is happy"
    )
    Token.objects.create(user=customer)
    Ticket.objects.filter(pk=ada.pk).update(metadata={"crm": {"contact": "Ada Customer <ada@acme.test>"}})
    files = list(Attachment.objects.filter(uploaded_by=customer).values_list("file", flat=True))
    assert len(files) == 2 and all(default_storage.exists(name) for name in files)
    Notification.objects.create(recipient=customer, ticket=ada, event=rating_event, kind="agent_replied")
    others_before = Message.objects.exclude(author=customer).filter(body=SECRET_WORDS).count()

    with django_capture_on_commit_callbacks(execute=True):
        counts = privacy.erase_person(actor=admin, person=customer)

    assert _traces(["Ada Customer", "ada@acme.test"]) == []
    customer.refresh_from_db()
    assert customer.name == "Deleted user" and customer.email == f"deleted-user-{customer.pk}@erased.invalid"
    assert not customer.is_active and not customer.has_usable_password() and customer.organization is None
    assert not Token.objects.filter(user=customer).exists()
    assert not Notification.objects.filter(recipient=customer).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert not Attachment.objects.filter(uploaded_by=customer).exists()
    assert not desk["eve"].collaborators.filter(pk=customer.pk).exists()
    # The conversation stays (bodies kept by default), history says a file was removed and the requester erased.
    assert Message.objects.filter(ticket=ada, body="Thanks!", author_name="Deleted user").exists()
    assert Message.objects.filter(body=SECRET_WORDS).count() == others_before
    erased = TicketEvent.objects.get(ticket=ada, kind=EventKind.PERSON_ERASED)
    assert erased.data == {"roles": ["requester"]} and erased.actor == admin
    assert TicketEvent.objects.filter(ticket=desk["eve"], kind=EventKind.PERSON_ERASED, data={"roles": ["cc"]}).exists()
    assert counts["Files deleted"] == 2 and counts["Tickets"] == 2
    entry = LogEntry.objects.filter(object_id=str(customer.pk)).latest("pk")
    assert "Erased" in entry.change_message and entry.user_id == admin.pk

    client.force_login(agent)
    page = client.get(reverse("agent:ticket", args=[ada.pk])).content.decode()
    assert "Deleted user" in page and "erased the requester" in page and "attached a file (since removed)" in page
    assert "Ada Customer" not in page


@pytest.mark.postgres  # search documents are PostgreSQL's; deselected on SQLite
def test_erasure_rebuilds_the_search_documents(desk, customer, admin):
    def vector() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT public::text FROM tickets_searchdocument WHERE ticket_id = %s", [desk["ada"].pk])
            return cursor.fetchone()[0]

    assert "'custom'" in vector()  # "Ada Customer here" in the description
    privacy.erase_person(actor=admin, person=customer)
    assert "'custom'" not in vector() and "acme" not in vector()


def test_erase_messages_replaces_their_bodies(desk, customer, admin):
    privacy.erase_person(actor=admin, person=customer, erase_messages=True)
    bodies = set(Message.objects.filter(author=customer).values_list("body", flat=True))
    assert bodies == {"[This message was erased at its author's request.]"}
    assert Message.objects.filter(body=SECRET_WORDS).exists()  # others' words stay


def test_erasing_an_agent_renames_them_in_history(desk, agent, admin):
    privacy.erase_person(actor=admin, person=agent)
    assigned = TicketEvent.objects.get(ticket=desk["ada"], kind=EventKind.ASSIGNED)
    assert assigned.data["new"] == {"id": agent.pk, "name": "Deleted user"}
    assert _traces(["Alice Agent", "alice@desk.test"]) == []
    assert TicketEvent.objects.get(ticket=desk["ada"], kind=EventKind.PERSON_ERASED).public is False


def test_agents_cannot_erase_and_nobody_erases_the_last_admin(desk, customer, agent, admin):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        privacy.erase_person(actor=agent, person=customer)
    with pytest.raises(ValidationError, match="last active admin"):
        privacy.erase_person(actor=None, person=admin)
    with pytest.raises(ValidationError, match="your own account"):
        privacy.erase_person(actor=admin, person=admin)
    for user in (customer, admin):
        user.refresh_from_db()
    assert customer.name == "Ada Customer" and admin.name == "Ray Admin"
    assert not TicketEvent.objects.filter(kind=EventKind.PERSON_ERASED).exists()


def test_erase_command(desk, customer, admin, capsys):
    with pytest.raises(CommandError, match="Nobody has the address"):
        call_command("erase_person", "nobody@nowhere.test", "--yes")
    with pytest.raises(CommandError, match="last active admin"):
        call_command("erase_person", "root@desk.test", "--yes")
    assert User.objects.filter(email="root@desk.test", is_active=True).exists()
    call_command("erase_person", "ada@acme.test", "--yes", "--erase-messages", "--actor", "root@desk.test")
    assert "Erased user" in capsys.readouterr().out
    assert not User.objects.filter(email="ada@acme.test").exists()
    with pytest.raises(CommandError, match="erased already"):
        call_command("erase_person", f"deleted-user-{customer.pk}@erased.invalid", "--yes")


def test_erase_screen_asks_first_then_erases(desk, customer, admin, client):
    client.force_login(admin)
    url = reverse("settings:person_erase", args=[customer.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Yes, erase this person" in page.content.decode()
    User.objects.get(pk=customer.pk)  # asking changed nothing
    assert User.objects.get(pk=customer.pk).name == "Ada Customer"
    response = client.post(url, {"confirmed": "1", "erase_messages": "1"})
    assert response.status_code == 302
    assert User.objects.get(pk=customer.pk).name == "Deleted user"
    refusal = client.get(reverse("settings:person_erase", args=[admin.pk])).content.decode()
    assert "your own account" in refusal and "Yes, erase this person" not in refusal


def test_privacy_screens_are_admins_only(desk, customer, agent, client):
    client.force_login(agent)
    for url in (
        reverse("settings:person_erase", args=[customer.pk]),
        reverse("settings:retention"),
        reverse("settings:retention_apply"),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("settings:person_export", args=[customer.pk])).status_code == 404
    assert client.post(reverse("settings:person_erase", args=[customer.pk]), {"confirmed": "1"}).status_code == 404
    assert User.objects.get(pk=customer.pk).name == "Ada Customer"
    client.force_login(customer)
    assert client.post(reverse("settings:person_export", args=[agent.pk])).status_code == 404
    assert not LogEntry.objects.exists()


# --- retention -----------------------------------------------------------------------------------


def _closed(ticket: Ticket, days_ago: int) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED, closed_at=at, solved_at=at)


@pytest.fixture
def own_storage(settings, tmp_path):
    """A store of this test's own, so check_attachments sees only its files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def old_and_new(customer, agent, org_member):
    old = make_ticket(customer, subject="Ada's old passport problem", attachments=[png("passport.png")])
    services.message_add(actor=agent, ticket=old, body="Dear Ada, here you go")
    services.collaborator_add(actor=agent, ticket=old, email="bob@acme.test")
    services.message_add(actor=org_member, ticket=old, body="Bob here, thanks")
    _closed(old, 400)
    recent = make_ticket(customer, subject="Ada's recent ticket")
    _closed(recent, 20)
    still_open = make_ticket(customer, subject="Ada's open ticket")
    Ticket.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timedelta(days=900))
    return old, recent, still_open


def test_retention_is_off_by_default(old_and_new, settings):
    assert settings.HELPDESK_RETENTION_CLOSED_MONTHS == 0
    assert apply_retention().tickets == 0
    assert not LogEntry.objects.exists()


def test_retention_dry_run_changes_nothing(old_and_new, capsys):
    before = list(Ticket.objects.order_by("pk").values())
    call_command("apply_retention", "--dry-run", "--months", "12", "--mode", "delete")
    assert "1 closed ticket(s)" in capsys.readouterr().out
    assert list(Ticket.objects.order_by("pk").values()) == before
    assert not LogEntry.objects.exists()


def test_retention_anonymizes_old_closed_tickets_once(
    old_and_new, customer, org_member, settings, django_capture_on_commit_callbacks
):
    old, recent, still_open = old_and_new
    settings.HELPDESK_RETENTION_CLOSED_MONTHS = 12
    files = list(Attachment.objects.filter(ticket=old).values_list("file", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        result = apply_retention(batch=1)
    assert (result.tickets, result.files) == (1, 1)
    old.refresh_from_db()
    assert old.subject == "Anonymized ticket" and old.requester.email == "anonymous-requester@erased.invalid"
    assert set(Message.objects.filter(ticket=old).values_list("body", flat=True)) == {ANONYMIZED_BODY}
    assert not Message.objects.filter(ticket=old, author_name__in=["Ada Customer", "Bob Colleague"]).exists()
    history = json.dumps(list(TicketEvent.objects.filter(ticket=old).values("actor_name", "data")))
    assert "Ada" not in history and "Bob" not in history and "Alice Agent" in history
    assert not old.collaborators.exists()
    # Out of the organization: its members (Acme shares tickets) no longer see it; agents still do.
    assert old.organization is None
    assert not permissions.visible_tickets(org_member).filter(pk=old.pk).exists()
    assert not permissions.visible_tickets(customer).filter(pk=old.pk).exists()
    assert not Attachment.objects.filter(ticket=old).exists() and not any(default_storage.exists(f) for f in files)
    assert TicketEvent.objects.filter(ticket=old, kind=EventKind.TICKET_ANONYMIZED).count() == 1
    assert Ticket.objects.get(pk=recent.pk).subject == "Ada's recent ticket"
    assert Ticket.objects.get(pk=still_open.pk).requester == customer
    assert apply_retention().tickets == 0  # idempotent
    assert TicketEvent.objects.filter(ticket=old, kind=EventKind.TICKET_ANONYMIZED).count() == 1
    assert LogEntry.objects.filter(object_repr__startswith="Retention policy").count() == 2


def test_retention_deletes_old_closed_tickets_with_their_files(
    own_storage, old_and_new, settings, capsys, django_capture_on_commit_callbacks
):
    old, recent, still_open = old_and_new
    settings.HELPDESK_RETENTION_CLOSED_MONTHS = 12
    settings.HELPDESK_RETENTION_MODE = "delete"
    files = list(Attachment.objects.filter(ticket=old).values_list("file", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention")
    assert "1 closed ticket(s)" in capsys.readouterr().out
    assert not Ticket.objects.filter(pk=old.pk).exists()
    assert not any(default_storage.exists(f) for f in files)
    assert set(Ticket.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    with django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention")
    assert Ticket.objects.count() == 2
    capsys.readouterr()
    call_command("check_attachments")  # no file left behind, no row without its file
    assert "0 orphaned file(s), 0 deleted; 0 attachment row(s) without a file." in capsys.readouterr().out
    entry = LogEntry.objects.filter(object_repr__startswith="Retention policy").earliest("pk")
    assert "Retention: tickets deleted" in entry.change_message and entry.user.email == privacy.DESK_ACCOUNT_EMAIL


def test_retention_screen(old_and_new, admin, client, settings):
    settings.HELPDESK_RETENTION_CLOSED_MONTHS = 12
    client.force_login(admin)
    page = client.get(reverse("settings:retention")).content.decode()
    assert "Now: 1 ticket closed before" in page
    assert "Anonymize 1 closed ticket(s) now?" in client.get(reverse("settings:retention_apply")).content.decode()
    assert client.post(reverse("settings:retention_apply")).status_code == 302
    assert Ticket.objects.filter(subject="Anonymized ticket").count() == 1
    entry = LogEntry.objects.get(object_repr__startswith="Retention policy")
    assert entry.user_id == admin.pk


def test_beat_runs_the_retention_policy_daily_and_the_task_applies_it(old_and_new, settings):
    from helpdesk.celery import app
    from tickets.tasks import apply_retention as task

    entry = settings.CELERY_BEAT_SCHEDULE["apply-retention"]
    assert entry["schedule"] <= 24 * 3600
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert task() == {"tickets": 0, "files": 0}  # off by default
    settings.HELPDESK_RETENTION_CLOSED_MONTHS = 12
    assert task() == {"tickets": 1, "files": 1}
