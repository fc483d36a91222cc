"""manage.py import_zendesk, proven desk to desk (issue 18 §2): desk A is this test's live server
serving /api/v2/; desk B is a separate database (an empty copy of desk A's, made before desk A is
filled) that the command imports into, run as a subprocess with DATABASE_URL pointing at it.
Both desks are compared through ``zendesk_desk.dump`` (desk B's read by a subprocess too).

Proven: every person, team, organization, ticket, reply, internal note, file (bytes by sha256),
tag, custom field value, CC, every step of the history (the audits: status, priority, assignee,
team, tag, subject and field changes with their time and author) and the satisfaction ratings
arrive; a re-run imports nothing new
and brings a changed subject across (and reads only the changed ticket); an import stopped
half-way (``--fail-after``) is taken up with no duplicates; nobody is emailed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from accounts import services as account_services
from tickets import services
from tickets.tests.importers import zendesk_desk

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)


def table(output: str) -> dict[str, list[int]]:
    """The report's rows: kind → [created, updated, unchanged, skipped, failed]."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) == 6 and all(cell.isdigit() for cell in cells[1:]):
            rows[cells[0]] = [int(cell) for cell in cells[1:]]
    return rows


def _admin_url() -> tuple[str, str]:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}", db["NAME"]


class DeskB:
    """A database of its own, its media folder, and the commands run against it."""

    def __init__(self, url: str, root: Path):
        self.url = url
        self.media = root / "media"
        self.var = root / "var"
        self.media.mkdir(parents=True)
        self.var.mkdir()

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "desk-b-test-only",
            "DJANGO_HTTPS": "0",
            "HELPDESK_VAR_DIR": str(self.var),
            "HELPDESK_MEDIA_ROOT": str(self.media),
            "HELPDESK_DEBUG_TOOLBAR": "0",
            "EMAIL_URL": "consolemail://",  # any mail would show on the command's output
            "DJANGO_LOG_LEVEL": "WARNING",
        }

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
        return done

    def dump(self) -> dict[str, Any]:
        code = "from tickets.tests.importers.zendesk_desk import print_dump; print_dump()"
        return json.loads(self.manage("shell", "-c", code).stdout.strip().splitlines()[-1])


@pytest.fixture
def empty_copy(tmp_path):
    """Makes desk B databases: copies of this test's database as it is now (migrated, empty)."""
    made: list[str] = []

    def copy(name: str) -> DeskB:
        if connection.vendor == "sqlite":
            target = tmp_path / f"{name}.sqlite3"
            source = sqlite3.connect(connection.settings_dict["NAME"])
            with contextlib.closing(source), contextlib.closing(sqlite3.connect(target)) as copied:
                source.backup(copied)
            return DeskB(f"sqlite:///{target}", tmp_path / name)
        base, template = _admin_url()
        database = f"{template}_{name}"[-63:]
        for alias in connections:  # CREATE DATABASE … TEMPLATE wants no one else connected
            connections[alias].close()
            close_pool = getattr(connections[alias], "close_pool", None)  # PostgreSQL's psycopg pool
            if close_pool is not None:
                close_pool()
        with psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
            _create_from_template(admin, database, template)
        made.append(database)
        return DeskB(f"{base}/{database}", tmp_path / name)

    yield copy
    if made:
        base, _template = _admin_url()
        with psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
            for database in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _create_from_template(admin: psycopg.Connection, database: str, template: str) -> None:
    """CREATE DATABASE … TEMPLATE, which refuses while anyone is connected to the template. This
    thread closed its connections; in a long run other threads of this process may still hold one
    (the live-updates listener lingers for seconds after a browser test; a live server's request
    thread ends a moment later): those are ended, and they reconnect when next needed."""
    for _attempt in range(20):
        try:
            admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
            return
        except psycopg.errors.ObjectInUse:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [template],
            )
            time.sleep(0.25)
    admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')


def test_desk_a_to_desk_b(live_server, empty_copy):
    started = time.monotonic()
    zendesk_desk.fields_before_copy()
    desk_b = empty_copy("zd_b")
    desk_c = empty_copy("zd_c")  # for the interrupted import
    desk = zendesk_desk.fill()
    token = account_services.api_token_get_or_create(user=desk["admin"]).key
    login = ["--url", live_server.url, "--email", desk["admin"].email, "--token", token, "--no-progress"]

    # --- the first import: everything arrives --------------------------------------------------
    first = desk_b.manage("import_zendesk", *login).stdout
    report = table(first)
    assert report["ticket"] == [8, 0, 0, 0, 0], first
    assert report["user"][0] == 7 and report["team"][0] == 2 and report["organization"][0] == 1, first
    assert report["attachment"] == [3, 0, 0, 0, 0], first
    assert report["membership"][0] == 3, first  # Alice in Billing, Bob in Billing and Technical
    assert report["field"] == [3, 0, 0, 1, 0], first  # desk B has no "Region" field
    assert "no field “Region” here" in first
    assert "Subject:" not in first  # nobody was emailed
    expected = zendesk_desk.dump()
    got = desk_b.dump()
    assert got["users"] == expected["users"]
    assert got["teams"] == expected["teams"] and got["organizations"] == expected["organizations"]
    assert len(got["tickets"]) == len(expected["tickets"]) == 8
    for mine, theirs in zip(got["tickets"], expected["tickets"], strict=True):
        extra = [entry for entry in mine["history"] if entry not in theirs["history"]]
        missing = [entry for entry in theirs["history"] if entry not in mine["history"]]
        assert mine == theirs, (mine["subject"], extra, missing)
    # Every step, from the audits: who changed what, when (the tickets' "history" above), e.g.
    # ticket 2 moved by Alice to Bob in Technical, pending and back, then back to Billing.
    steps = {(entry[1], entry[2], json.dumps(entry[4:])) for entry in got["tickets"][1]["history"]}
    assert {
        ("priority_changed", "bob@desk-a.test", '["high", "urgent"]'),
        ("team_changed", "alice@desk-a.test", '["Billing", "Technical"]'),
        ("assigned", "alice@desk-a.test", '["Alice Agent", "Bob Agent"]'),
        ("status_changed", "bob@desk-a.test", '["pending", "open"]'),
        ("tags_changed", "root@desk-a.test", '[[], ["vip"], ["invoice", "vat"]]'),
        ("custom_field_changed", "root@desk-a.test", '["plan", "gold", "silver"]'),
        ("team_changed", "bob@desk-a.test", '["Technical", "Billing"]'),
    } <= steps, steps
    assert ["Invoice total wrong, case 7", "status_changed", "open", "solved"] in got["changes"]
    assert ["Invoice total wrong, case 7", "status_changed", "solved", "closed"] in got["changes"]
    ratings = {t["subject"]: t["ratings"] for t in got["tickets"] if t["ratings"]}
    assert ratings == {t["subject"]: t["ratings"] for t in expected["tickets"] if t["ratings"]}
    assert [r[0][:2] for r in ratings.values()] == [["good", "Quick and kind."], ["bad", "Took three days."]]
    assert report["satisfaction"] == [2, 0, 0, 0, 0], first

    # --- a re-run: nothing new; a changed subject comes across, and only that ticket is read ----
    changed = desk["tickets"][1]
    services.ticket_update(actor=desk["agent"], ticket=changed, subject="Invoice total wrong, VAT doubled")
    again = desk_b.manage("import_zendesk", *login).stdout
    report = table(again)
    assert report["ticket"] == [0, 1, 0, 0, 0], again
    assert report["user"] == [0, 0, 7, 0, 0] and report["team"] == [0, 0, 2, 0, 0], again
    # Only the changed ticket was read again (its reply, note and file are unchanged); the
    # others were not even asked for: people, groups, memberships, the export page, its comments.
    assert report["message"] == [0, 0, 3, 0, 0] and report["attachment"] == [0, 0, 1, 0, 0], again
    assert "8 requests to the Zendesk API." in again  # with the changed ticket's audits
    expected = zendesk_desk.dump()
    got = desk_b.dump()
    # Equal again, history included: the changed ticket's earlier audits were not written twice.
    assert got["tickets"] == expected["tickets"]
    assert [t["subject"] for t in got["tickets"]].count("Invoice total wrong, VAT doubled") == 1
    subject_change = ["Invoice total wrong, VAT doubled", "subject_changed", "Invoice total wrong, case 2"]
    assert subject_change + ["Invoice total wrong, VAT doubled"] in got["changes"]

    # --- a dry run reports and keeps nothing ------------------------------------------------------
    dry = desk_c.manage("import_zendesk", *login, "--dry-run").stdout
    assert "nothing was kept" in dry and table(dry)["ticket"] == [8, 0, 0, 0, 0], dry
    assert not [path for path in desk_c.media.rglob("*") if path.is_file()]  # its files went too

    # --- an import stopped half-way is taken up where it stopped, with no duplicates ------------
    stopped = desk_c.manage("import_zendesk", *login, "--fail-after", "3", check=False)
    assert stopped.returncode != 0 and "--fail-after" in stopped.stderr, stopped.stderr[-2000:]
    assert table(stopped.stdout)["ticket"][0] == 3
    resumed = desk_c.manage("import_zendesk", *login).stdout
    assert "Taking up the unfinished import" in resumed
    assert table(resumed)["ticket"] == [8, 0, 0, 0, 0], resumed  # the run's total: 3 before, 5 now
    assert desk_c.dump()["tickets"] == expected["tickets"]
    assert len([path for path in desk_c.media.rglob("*") if path.is_file()]) == 3
    assert time.monotonic() - started < 120


@pytest.mark.django_db
def test_the_next_run_starts_where_the_last_finished_unless_tickets_failed():
    from django.utils import timezone

    from tickets.importers.framework import ImportSession
    from tickets.importers.models import ImportRun
    from tickets.importers.zendesk.client import ZendeskClient
    from tickets.importers.zendesk.importer import SOURCE, ZendeskImporter

    def next_start() -> str | None:
        session = ImportSession(source=SOURCE, instance="acme.zendesk.com", progress=False)
        return ZendeskImporter(ZendeskClient("https://acme.zendesk.com", email="e", token="t"), session)._last_stream()

    assert next_start() is None  # never ran: from the start
    done = {"finished_at": timezone.now(), "checkpoints": {"stream": "CURSOR-1"}}
    ImportRun.objects.create(source=SOURCE, instance="acme.zendesk.com", **done)
    ImportRun.objects.create(source=SOURCE, instance="other.zendesk.com", finished_at=timezone.now())
    assert next_start() == "CURSOR-1"
    failed = {"counts": {"ticket": {"created": 4, "failed": 1}}, "reasons": []}
    ImportRun.objects.create(source=SOURCE, instance="acme.zendesk.com", report=failed, **done)
    assert next_start() is None  # a ticket failed last time: from the start, to try it again


def test_bad_addresses_and_tokens_are_clear_errors(live_server):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from tickets.importers.models import ImportRun

    quiet = {"stdout": StringIO(), "stderr": StringIO()}
    with pytest.raises(CommandError, match="not an http"):
        call_command("import_zendesk", "--url", "ftp://acme.example", "--email", "a@b.test", "--token", "x", **quiet)
    with pytest.raises(CommandError, match="HTTP 401"):
        call_command(
            "import_zendesk",
            "--url",
            live_server.url,
            "--email",
            "a@b.test",
            "--token",
            "wrong",
            "--no-progress",
            **quiet,
        )
    assert ImportRun.objects.get().finished_at is None  # taken up by the next run, with the right token
