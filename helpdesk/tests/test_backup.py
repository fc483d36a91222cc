"""Backup and restore (issue 19 §3): a desk backed up and restored into a new database and new
storage has every row of every table — tickets, messages, internal notes, events, people — and
every stored file, byte for byte. On PostgreSQL (pg_dump/pg_restore) and on SQLite (the backup API).

The backup runs in this process against the test database; the restore runs as the real command
in a separate process pointed at a database and a media directory made for the test."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from tickets import services
from tickets.models import Attachment, Message, Ticket, TicketEvent
from tickets.tests.factories import pdf, png, text_file

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _needs_pg_tools() -> None:
    if connection.vendor == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if os.environ.get("CI") == "true":
            pytest.fail("pg_dump/pg_restore missing under CI (Debian: postgresql-client)")
        pytest.skip("pg_dump/pg_restore not installed")


@pytest.fixture
def desk(customer, org_member, agent, admin, billing_team):
    """A small desk: tickets with files on the opening message, on replies and on an internal note."""
    first = services.ticket_create(
        actor=customer,
        subject="Invoice will not download",
        description="The download link on the invoice page does nothing.",
        attachments=[pdf("invoice.pdf"), png("screen.png")],
    )
    services.ticket_update(actor=admin, ticket=first, team=billing_team)
    services.message_add(actor=agent, ticket=first, body="Could you send the browser console?")
    services.message_add(
        actor=agent,
        ticket=first,
        body="Internal: known CDN issue.",
        internal=True,
        attachments=[text_file("cdn.txt", "CDN edge 42 returns 403 for invoices.\n")],
    )
    services.message_add(
        actor=customer,
        ticket=first,
        body="Here it is.",
        attachments=[text_file("console.txt", "Uncaught TypeError: download is not a function\n")],
    )
    second = services.ticket_create(
        actor=org_member, subject="Password reset mail never arrives", description="I asked three times today."
    )
    services.ticket_claim(actor=agent, ticket=second)
    return [first, second]


@contextlib.contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the kind under test; yields its DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    settings_dict = connection.settings_dict
    name = f"helpdesk_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    try:
        yield f"postgres://{user}{password}@{host}:{settings_dict['PORT'] or 5432}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_command(*arguments: str, database_url: str, media: Path, var: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "S3_", "HELPDESK_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "restore-test-secret-key",
            "DJANGO_HTTPS": "0",
            "DATABASE_URL": database_url,
            "HELPDESK_MEDIA_ROOT": str(media),
            "HELPDESK_VAR_DIR": str(var),
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _raw_connection(database_url: str | None = None):
    """A plain driver connection (no Django) to the test database, or to ``database_url``."""
    if connection.vendor == "sqlite":
        path = database_url.removeprefix("sqlite:///") if database_url else connection.settings_dict["NAME"]
        return sqlite3.connect(path)
    import psycopg

    params = {k: v for k, v in connection.get_connection_params().items() if k not in ("context", "cursor_factory")}
    if database_url:
        params["dbname"] = database_url.rsplit("/", 1)[1]
    return psycopg.connect(**params)


def every_row(raw) -> dict[str, list[tuple]]:
    """Every row of every table, each table's rows sorted: the whole database as data."""
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    cursor = raw.cursor()
    cursor.execute(sql)
    tables = sorted(row[0] for row in cursor.fetchall())
    found = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
        found[table] = sorted(cursor.fetchall(), key=repr)
    return found


def test_a_restored_desk_has_every_row_and_every_file(desk, tmp_path):
    _needs_pg_tools()
    backup = tmp_path / "backup"
    call_command("backup", "--output", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    attachments = list(Attachment.objects.values_list("file", "sha256"))
    assert len(attachments) == 4
    assert sorted(entry["name"] for entry in manifest["files"]) == sorted(name for name, _ in attachments)
    assert {entry["name"]: entry["sha256"] for entry in manifest["files"]} == dict(attachments)
    assert manifest["missing_files"] == []

    media, var = tmp_path / "restored-media", tmp_path / "var"
    with fresh_database(tmp_path) as url:
        result = run_command("restore", "--input", str(backup), database_url=url, media=media, var=var)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Restored" in result.stdout

        with contextlib.closing(_raw_connection()) as original, contextlib.closing(_raw_connection(url)) as restored:
            before, after = every_row(original), every_row(restored)
        assert list(after) == list(before)
        for table in before:
            assert after[table] == before[table], f"{table} differs after the restore"
        for model, at_least in ((Ticket, 2), (Message, 5), (TicketEvent, 6), (Attachment, 4)):
            rows = after[model._meta.db_table]
            assert len(rows) >= at_least and len(rows) == model.objects.count(), model

    for name, _ in attachments:
        with default_storage.open(name, "rb") as handle:
            assert (media / name).read_bytes() == handle.read(), name
    assert sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) == sorted(
        n for n, _ in attachments
    )


def test_the_make_targets_run_the_commands():
    makefile = (ROOT / "Makefile").read_text()
    assert "manage.py backup --output" in makefile
    assert "manage.py restore --input $(BACKUP)" in makefile


def test_restore_refuses_a_database_that_has_tables(desk, tmp_path):
    _needs_pg_tools()
    backup = tmp_path / "backup"
    call_command("backup", "--output", str(backup))
    Ticket.objects.filter(pk=desk[1].pk).delete()
    with pytest.raises(CommandError, match="already has tables"):
        call_command("restore", "--input", str(backup))
    assert not Ticket.objects.filter(pk=desk[1].pk).exists()  # nothing was put back


def test_a_damaged_backup_is_refused_before_anything_changes(desk, tmp_path):
    _needs_pg_tools()
    backup = tmp_path / "backup"
    call_command("backup", "--output", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    damaged = backup / "files" / manifest["files"][0]["name"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")

    media, var = tmp_path / "restored-media", tmp_path / "var"
    with fresh_database(tmp_path) as url:
        result = run_command("restore", "--input", str(backup), database_url=url, media=media, var=var)
        assert result.returncode != 0
        assert "does not match the manifest" in result.stderr
        with contextlib.closing(_raw_connection(url)) as restored:
            assert every_row(restored) == {}  # no table was created
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_backup_without_its_manifest_is_not_a_backup(tmp_path):
    (tmp_path / "database.dump").write_bytes(b"half a dump")
    with pytest.raises(CommandError, match="no manifest.json"):
        call_command("restore", "--input", str(tmp_path))


def test_a_backup_goes_only_into_a_new_or_empty_directory(desk, tmp_path):
    (tmp_path / "something.txt").write_text("do not mix")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", "--output", str(tmp_path))


def test_a_file_missing_from_storage_is_reported_not_silently_skipped(desk, tmp_path, capsys):
    """A row whose file is gone (deleted while the backup ran, or already dangling) is listed in the
    manifest and warned about; every other file is still backed up."""
    _needs_pg_tools()
    gone = Attachment.objects.order_by("pk").first()
    assert gone is not None
    default_storage.delete(gone.file.name)
    call_command("backup", "--output", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert [entry["name"] for entry in manifest["missing_files"]] == [gone.file.name]
    assert len(manifest["files"]) == 3
    assert gone.file.name in capsys.readouterr().err
