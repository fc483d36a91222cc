"""manage.py import_django_helpdesk against a database made by the real django-helpdesk package
(conftest.py): every record arrives with the right mapping, a repeated import updates and never
duplicates, an interrupted one is taken up where it stopped, and nobody is emailed."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role, Team, User
from tickets import permissions
from tickets.importers.models import ImportLink, ImportRun
from tickets.models import Attachment, EventKind, Message, Notification, Status, Ticket, TicketEvent
from tickets.permissions import Action

pytestmark = pytest.mark.django_db

SOURCE = "django-helpdesk"


def run_import(dh_source, *extra: str) -> str:
    out = StringIO()
    call_command(
        "import_django_helpdesk",
        "--database",
        dh_source.url,
        "--media-root",
        str(dh_source.media_root),
        "--no-progress",
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def local(kind: str, external_id) -> int:
    return ImportLink.objects.get(source=SOURCE, kind=kind, external_id=str(external_id)).local_id


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def stored_files() -> set[str]:
    root = Path(default_storage.path("attachments"))
    return {str(p.relative_to(root.parent)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def table(output: str) -> dict[str, list[int]]:
    """The report's rows: kind → [created, updated, unchanged, skipped, failed]."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) == 6 and all(cell.isdigit() for cell in cells[1:]):
            rows[cells[0]] = [int(cell) for cell in cells[1:]]
    return rows


def counts() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "events": TicketEvent.objects.count(),
        "attachments": Attachment.objects.count(),
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "links": ImportLink.objects.count(),
    }


def test_every_record_arrives_with_its_mapping(dh_source, django_capture_on_commit_callbacks):
    billing = account_services.team_create(name="Billing")  # a team the desk already has
    # What would run at commit runs here (notifications, triggers, SLA clocks, if anything asked).
    with django_capture_on_commit_callbacks(execute=True):
        output = run_import(dh_source)
    manifest = dh_source.manifest

    # Queues → teams: the existing Billing is used, not duplicated.
    assert Team.objects.count() == 2
    assert local("team", 1) == billing.pk
    assert Team.objects.get(pk=local("team", 2)).name == "Technical Support"

    # Users: roles by staff/superuser, no usable password, inactive stays inactive.
    for source_user in manifest["users"]:
        user = User.objects.get(pk=local("user", source_user["id"]))
        expected = Role.ADMIN if source_user["superuser"] else Role.AGENT if source_user["staff"] else Role.CUSTOMER
        assert user.role == expected
        assert not user.has_usable_password()
        assert user.is_active == source_user["active"]
        assert user.email == (source_user["email"].lower() or "nomail@django-helpdesk.invalid")

    # Tickets: every one, with status, priority, team, requester, assignee and timestamps.
    statuses = {1: Status.OPEN, 2: Status.OPEN, 3: Status.SOLVED, 4: Status.CLOSED, 5: Status.CLOSED}
    priorities = {1: "urgent", 2: "high", 3: "normal", 4: "low", 5: "low"}
    assert Ticket.objects.count() == len(manifest["tickets"]) == 14
    for row in manifest["tickets"]:
        ticket = Ticket.objects.get(pk=local("ticket", row["id"]))
        assert ticket.status == (Status.ON_HOLD if row["on_hold"] else statuses[row["status"]])
        assert ticket.priority == priorities[row["priority"]]
        assert ticket.team_id == local("team", row["queue"])
        assert ticket.requester.email == (row["submitter_email"].lower() or "unknown-requester@django-helpdesk.invalid")
        assert ticket.assignee_id == (local("user", row["assigned_to"]) if row["assigned_to"] else None)
        assert ticket.created_at == when(row["created"])
        assert ticket.updated_at == when(row["modified"])
        assert ticket.metadata["django_helpdesk_id"] == row["id"]
        if len(row["title"]) <= 150 and len(row["title"]) >= 5:
            assert ticket.subject == row["title"]
    assert Ticket.objects.get(pk=local("ticket", 7)).subject == "Hi (#7)"
    long = Ticket.objects.get(pk=local("ticket", 8)).subject
    assert len(long) == 150 and long.endswith("…")
    duplicate = Ticket.objects.get(pk=local("ticket", 5))
    assert list(duplicate.tags.values_list("name", flat=True)) == ["duplicate"]
    assert duplicate.metadata["django_helpdesk_merged_to"] == 2
    closed = Ticket.objects.get(pk=local("ticket", 4))
    assert closed.closed_at == when("2023-03-05T18:36:00+00:00") and closed.solved_at is not None

    # Follow-ups with words → replies (public) and internal notes (private), by their authors.
    followups = [f for f in manifest["followups"] if (f["comment"] or "").strip()]
    for followup in followups:
        message = Message.objects.get(pk=local("message", followup["id"]))
        assert message.ticket_id == local("ticket", followup["ticket"])
        assert message.body == followup["comment"].strip()
        assert message.internal is (not followup["public"])
        assert message.created_at == when(followup["date"])
        if followup["user"]:
            assert message.author_id == local("user", followup["user"])
        else:  # an email reply: the requester
            assert message.author_id == message.ticket.requester_id
    # The ticket without follow-ups has its description as its one message.
    only = Message.objects.get(ticket_id=local("ticket", 7))
    assert only.body == "Call me back please." and only.author.email.startswith("unknown-requester@")
    # Opening follow-ups repeat the description: one message each, not two.
    assert Message.objects.count() == len(followups) + 1
    notes = Message.objects.filter(internal=True)
    assert {m.body for m in notes} == {f["comment"] for f in followups if not f["public"]}

    # Attachments: accepted files byte for byte; refused and missing ones left out with a reason.
    for item in manifest["attachments"]:
        link = ImportLink.objects.filter(source=SOURCE, kind="attachment", external_id=str(item["id"])).first()
        if item["filename"] in ("page.html", "lost.txt"):
            assert link is None
            continue
        attachment = Attachment.objects.get(pk=link.local_id)
        with default_storage.open(attachment.file.name, "rb") as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == item["sha256"] == attachment.sha256
        assert len(data) == item["size"] == attachment.size
        assert attachment.filename == item["filename"]
        assert attachment.message_id == local("message", item["followup"])
    log = Attachment.objects.get(filename="printer.log")
    assert log.internal and log.message.internal  # on an internal note: agents only
    assert "names ending in or containing .html are not accepted" in output
    assert "the file is not in --media-root" in output

    # Ticket changes → history: every mapped field, at its time, by its user.
    expected_kinds = {
        "Owner": EventKind.ASSIGNED,
        "Status": EventKind.STATUS_CHANGED,
        "Title": EventKind.SUBJECT_CHANGED,
        "Priority": EventKind.PRIORITY_CHANGED,
        "Queue": EventKind.TEAM_CHANGED,
        "On Hold": EventKind.STATUS_CHANGED,
    }
    followup_by_id = {f["id"]: f for f in manifest["followups"]}
    for change in manifest["changes"]:
        link = ImportLink.objects.filter(source=SOURCE, kind="event", external_id=str(change["id"])).first()
        if change["field"] == "Due on":
            assert link is None
            continue
        event = TicketEvent.objects.get(pk=link.local_id)
        followup = followup_by_id[change["followup"]]
        assert event.kind == expected_kinds[change["field"]]
        assert event.created_at == when(followup["date"])
        assert event.actor_id == local("user", followup["user"])
    reopened = TicketEvent.objects.filter(ticket_id=local("ticket", 2), kind=EventKind.STATUS_CHANGED)
    assert [e.data for e in reopened.order_by("created_at")] == [
        {"old": "open", "new": "solved"},
        {"old": "solved", "new": "open"},
    ]
    renamed = TicketEvent.objects.get(ticket_id=local("ticket", 3), kind=EventKind.SUBJECT_CHANGED)
    assert renamed.data == {"old": "Password reset", "new": "Password reset link expired"}
    assigned = TicketEvent.objects.get(ticket_id=local("ticket", 3), kind=EventKind.ASSIGNED)
    assert assigned.data == {"old": None, "new": {"id": local("user", 2), "name": "Root Admin"}}
    moved = TicketEvent.objects.get(ticket_id=local("ticket", 4), kind=EventKind.TEAM_CHANGED)
    assert moved.data["new"]["id"] == billing.pk and moved.public is False
    held = TicketEvent.objects.get(ticket_id=local("ticket", 6), kind=EventKind.STATUS_CHANGED)
    assert held.data == {"old": "open", "new": "on_hold"}

    # CCs → collaborators: the address and the customer; not the agent, not the requester.
    office = Ticket.objects.get(pk=local("ticket", 10))
    assert sorted(office.collaborators.values_list("email", flat=True)) == [
        "carol@customer.example",
        "judy@customer.example",
    ]
    judy = User.objects.get(email="judy@customer.example")
    assert permissions.can(judy, Action.VIEW, office) and permissions.can(judy, Action.REPLY, office)
    assert permissions.can(office.requester, Action.VIEW, office)
    assert not permissions.can(judy, Action.VIEW, Ticket.objects.get(pk=local("ticket", 1)))
    carol = User.objects.get(email="carol@customer.example")  # a requester with a login at the source
    for number in (2, 5, 10):
        assert permissions.can(carol, Action.VIEW, Ticket.objects.get(pk=local("ticket", number)))
    assert not permissions.can(carol, Action.VIEW, Ticket.objects.get(pk=local("ticket", 1)))

    # Historical data wakes nobody: no email, no notification.
    assert mail.outbox == []
    assert Notification.objects.count() == 0
    report = table(output)
    assert report["ticket"] == [14, 0, 0, 0, 0]
    assert report["message"] == [len(followups) + 1, 0, 0, 0, 0]
    assert report["attachment"] == [3, 0, 0, 2, 0]
    assert report["event"] == [11, 0, 0, 1, 0]
    assert report["collaborator"] == [2, 0, 0, 2, 0]
    run = ImportRun.objects.get()
    assert run.finished_at is not None and run.checkpoints["ticket"] == 14


def test_imported_tickets_read_as_usual_in_the_portal_and_the_workspace(dh_source, client):
    run_import(dh_source)
    printer = Ticket.objects.get(pk=local("ticket", 1))
    client.force_login(printer.requester)  # imported accounts have no password: a reset comes first
    page = client.get(reverse("portal:ticket", args=[printer.pk])).content.decode()
    assert "Please unplug it and step away" in page and "damage.png" in page
    assert "known fan fault" not in page and "printer.log" not in page  # the internal note and its file
    client.force_login(printer.assignee)
    page = client.get(reverse("agent:ticket", args=[printer.pk])).content.decode()
    assert "known fan fault" in page and "printer.log" in page and "damage.png" in page


def test_running_again_updates_and_never_duplicates(dh_source):
    run_import(dh_source)
    before = counts()
    files = stored_files()
    again = run_import(dh_source)
    assert counts() == before
    assert stored_files() == files
    assert table(again) == {"team": [0, 0, 2, 0, 0], "user": [0, 0, 5, 0, 0], "ticket": [0, 0, 14, 0, 0]}
    assert ImportRun.objects.filter(finished_at__isnull=False).count() == 2

    eleven = Ticket.objects.get(pk=local("ticket", 11))
    eleven.metadata = {**eleven.metadata, "crm_id": "C-11"}  # added here after the import
    eleven.save(update_fields=["metadata"])
    dh_source.execute("UPDATE helpdesk_ticket SET title = %s WHERE id = 11", ("Question eleven, reworded",))
    try:
        output = run_import(dh_source)
    finally:
        dh_source.execute("UPDATE helpdesk_ticket SET title = %s WHERE id = 11", ("Question number 11",))
    eleven.refresh_from_db()
    assert eleven.subject == "Question eleven, reworded"
    assert eleven.metadata["crm_id"] == "C-11" and eleven.metadata["django_helpdesk_id"] == 11
    assert counts() == before
    assert table(output)["ticket"] == [0, 1, 13, 0, 0]  # created, updated, unchanged, skipped, failed
    assert mail.outbox == []


def test_the_same_desk_restored_elsewhere_is_not_imported_twice(dh_source):
    run_import(dh_source)
    before = counts()
    name = f"{dh_source.url.rsplit('/', 1)[-1].removesuffix('.sqlite3')}_restored"
    url = dh_source.copy(name)
    try:
        out = StringIO()
        call_command(
            "import_django_helpdesk",
            "--database",
            url,
            "--media-root",
            str(dh_source.media_root),
            "--no-progress",
            stdout=out,
        )
    finally:
        dh_source.drop_copy(name)
    assert counts() == before
    assert table(out.getvalue())["ticket"] == [0, 0, 14, 0, 0]


def test_an_interrupted_import_is_taken_up_where_it_stopped(dh_source):
    files_before = stored_files()
    with pytest.raises(CommandError, match="run the same command again"):
        run_import(dh_source, "--fail-after", "8")
    # Eight whole tickets; the ninth (with files) left nothing behind, not even its stored file.
    assert Ticket.objects.count() == 8
    assert not Ticket.objects.filter(metadata__django_helpdesk_id=9).exists()
    assert not ImportLink.objects.filter(kind="ticket", external_id="9").exists()
    assert len(stored_files() - files_before) == Attachment.objects.count() == 2
    run = ImportRun.objects.get()
    assert run.finished_at is None and run.checkpoints["ticket"] == 8

    output = run_import(dh_source)
    assert "Taking up the unfinished import" in output
    assert Ticket.objects.count() == 14
    assert ImportRun.objects.get().finished_at is not None  # the same run, now finished
    for kind in ("ticket", "message", "attachment", "event", "collaborator"):
        links = ImportLink.objects.filter(kind=kind)
        assert links.count() == links.values("external_id").distinct().count()
    assert Message.objects.filter(ticket__metadata__django_helpdesk_id=9).count() == 1
    assert Attachment.objects.count() == 3
    assert len(stored_files() - files_before) == 3
    run = ImportRun.objects.get()
    assert run.report["counts"]["ticket"]["created"] == 14


def test_a_dry_run_reports_and_keeps_nothing(dh_source):
    before, files = counts(), stored_files()
    output = run_import(dh_source, "--dry-run")
    assert "nothing was kept" in output
    assert table(output)["ticket"] == [14, 0, 0, 0, 0]
    assert counts() == before and stored_files() == files
    assert not ImportRun.objects.exists()


def test_since_imports_only_tickets_changed_from_that_day(dh_source):
    run_import(dh_source, "--since", "2023-03-14")
    assert sorted(Ticket.objects.values_list("metadata__django_helpdesk_id", flat=True)) == [13, 14]


def test_a_database_that_is_not_django_helpdesk_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No SQLite database"):
        call_command("import_django_helpdesk", "--database", f"sqlite://{tmp_path}/missing.sqlite3")
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).execute("CREATE TABLE other (id integer)").connection.commit()
    with pytest.raises(CommandError, match="no django-helpdesk tables"):
        call_command("import_django_helpdesk", "--database", f"sqlite://{empty}")
    with pytest.raises(CommandError, match="postgres://"):
        call_command("import_django_helpdesk", "--database", "mysql://db/helpdesk")
