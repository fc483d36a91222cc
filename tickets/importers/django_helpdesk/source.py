"""Reading a django-helpdesk database directly, over a connection of its own (read-only).

``postgres://`` / ``postgresql://`` URLs are opened with psycopg, ``sqlite:///path`` URLs (or a
plain path to a file) with sqlite3. The tables are django-helpdesk's own (``helpdesk_queue``,
``helpdesk_ticket``, ``helpdesk_followup``, ``helpdesk_ticketchange``,
``helpdesk_followupattachment``, ``helpdesk_ticketcc``) and Django's default ``auth_user``; the
columns used are those of django-helpdesk 2.x. Queries are written once with ``%s`` placeholders
and adapted for sqlite3's ``?``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from django.utils.translation import gettext as _

PAGE = 100

QUEUES = "SELECT id, title, slug FROM helpdesk_queue ORDER BY id"
USERS = """
SELECT id, username, email, first_name, last_name, is_staff, is_superuser, is_active
FROM auth_user WHERE id > %s ORDER BY id
"""
TICKET_COLUMNS = """
id, title, queue_id, created, modified, submitter_email, assigned_to_id, status, on_hold,
description, priority, due_date, merged_to_id
"""
FOLLOWUPS = """
SELECT id, ticket_id, date, title, comment, public, user_id, new_status, message_id
FROM helpdesk_followup WHERE ticket_id IN ({ids}) ORDER BY date, id
"""
CHANGES = """
SELECT c.id, c.followup_id, c.field, c.old_value, c.new_value
FROM helpdesk_ticketchange c JOIN helpdesk_followup f ON f.id = c.followup_id
WHERE f.ticket_id IN ({ids}) ORDER BY c.id
"""
ATTACHMENTS = """
SELECT a.id, a.followup_id, a.file, a.filename, a.mime_type, a.size
FROM helpdesk_followupattachment a JOIN helpdesk_followup f ON f.id = a.followup_id
WHERE f.ticket_id IN ({ids}) ORDER BY a.id
"""
CCS = "SELECT id, ticket_id, user_id, email FROM helpdesk_ticketcc WHERE ticket_id IN ({ids}) ORDER BY id"


@dataclass
class Bundle:
    """One source ticket with everything that hangs off it."""

    ticket: dict[str, Any]
    followups: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by follow-up id
    attachments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by follow-up id
    ccs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def opening(self) -> dict[str, Any] | None:
        """django-helpdesk's opening follow-up (it repeats the description), if there is one."""
        if not self.followups:
            return None
        first = self.followups[0]
        text = (first["comment"] or "").strip()
        return first if text and first["public"] and text == (self.ticket["description"] or "").strip() else None

    def digest(self) -> str:
        """A digest of everything imported from this ticket: unchanged means nothing to do."""
        text = json.dumps(
            [self.ticket, self.followups, self.changes, self.attachments, self.ccs], sort_keys=True, default=str
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SourceError(Exception):
    """The source database cannot be opened or is not a django-helpdesk database."""


def as_datetime(value: Any) -> datetime | None:
    """A source timestamp as an aware datetime (SQLite hands back text; Django stores UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


class SourceDatabase:
    """A read-only connection to a django-helpdesk database named by ``url``."""

    def __init__(self, url: str):
        self.url = url
        parts = urlsplit(url)
        try:
            if parts.scheme in ("postgres", "postgresql", "pgsql"):
                self.vendor = "postgresql"
                self._connection: Any = psycopg.connect(
                    urlunsplit(("postgresql", *parts[1:])), autocommit=True, connect_timeout=10
                )
                self._connection.read_only = True
                self._placeholder = "%s"
                location = f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{unquote(parts.path.lstrip('/'))}"
            elif parts.scheme in ("sqlite", "") or parts.scheme.endswith("sqlite3"):
                self.vendor = "sqlite"
                path = Path(unquote(parts.path) if parts.scheme else url)
                if not path.is_file():
                    raise SourceError(_("No SQLite database at %(path)s.") % {"path": path})
                self._connection = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
                self._connection.row_factory = sqlite3.Row
                self._placeholder = "?"
                location = str(path.resolve())
            else:
                raise SourceError(
                    _("Give a postgres://… URL or a sqlite:///… path, not %(scheme)s.") % {"scheme": parts.scheme}
                )
        except (psycopg.Error, sqlite3.Error) as exc:
            raise SourceError(_("Cannot open the source database: %(error)s") % {"error": exc}) from exc
        # Which database this is, for people (no password in it).
        self.label = f"{self.vendor}:{location}"
        try:
            first = self.rows("SELECT secret_key FROM helpdesk_ticket ORDER BY id LIMIT 1")
        except (psycopg.Error, sqlite3.Error) as exc:
            self.close()
            raise SourceError(
                _("%(label)s has no django-helpdesk tables (%(error)s).") % {"label": self.label, "error": exc}
            ) from exc
        # Which desk this is: the key its links and runs are kept under. Not the URL (the same
        # database reached as localhost or by its address, or restored elsewhere from a dump, is
        # the same desk) but the random secret key django-helpdesk gave its first ticket. A desk
        # without tickets yet goes by its URL; its queues and people are matched by name and
        # address later, so nothing is duplicated when its first ticket changes the key.
        identity = f"ticket:{first[0]['secret_key']}" if first else self.label
        self.instance = hashlib.sha256(identity.encode()).hexdigest()[:32]

    def rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        if self._placeholder != "%s":
            sql = sql.replace("%s", self._placeholder)
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, tuple(row), strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def close(self) -> None:
        self._connection.close()

    # --- what the importer reads -------------------------------------------------------------

    def queues(self) -> list[dict[str, Any]]:
        return self.rows(QUEUES)

    def users(self, after: int) -> list[dict[str, Any]]:
        return [self._booleans(row, "is_staff", "is_superuser", "is_active") for row in self.rows(USERS, (after,))]

    def _ticket_filter(self, after: int, since: datetime | None) -> tuple[str, list[Any]]:
        where, params = "id > %s", list[Any]([after])
        if since is not None:
            where += " AND modified >= %s"
            params.append(since if self.vendor == "postgresql" else since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
        return where, params

    def ticket_count(self, after: int, since: datetime | None) -> int:
        where, params = self._ticket_filter(after, since)
        return int(self.rows(f"SELECT count(*) AS n FROM helpdesk_ticket WHERE {where}", params)[0]["n"])  # noqa: S608

    def tickets(self, after: int, since: datetime | None, limit: int = PAGE) -> list[dict[str, Any]]:
        where, params = self._ticket_filter(after, since)
        rows = self.rows(
            f"SELECT {TICKET_COLUMNS} FROM helpdesk_ticket WHERE {where} ORDER BY id LIMIT %s",  # noqa: S608
            [*params, limit],
        )
        for row in rows:
            self._booleans(row, "on_hold")
            for name in ("created", "modified", "due_date"):
                row[name] = as_datetime(row[name])
        return rows

    def children(self, ticket_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
        """The follow-ups, changes, attachments and CCs of ``ticket_ids``: four queries a page."""
        if not ticket_ids:
            return {"followups": [], "changes": [], "attachments": [], "ccs": []}
        ids = ", ".join(["%s"] * len(ticket_ids))
        followups = [self._booleans(row, "public") for row in self.rows(FOLLOWUPS.format(ids=ids), ticket_ids)]
        for row in followups:
            row["date"] = as_datetime(row["date"])
        return {
            "followups": followups,
            "changes": self.rows(CHANGES.format(ids=ids), ticket_ids),
            "attachments": self.rows(ATTACHMENTS.format(ids=ids), ticket_ids),
            "ccs": self.rows(CCS.format(ids=ids), ticket_ids),
        }

    @staticmethod
    def _booleans(row: dict[str, Any], *names: str) -> dict[str, Any]:
        for name in names:
            row[name] = bool(row[name])
        return row

    def ticket_pages(self, after: int, since: datetime | None) -> Iterator[list[Bundle]]:
        """The tickets after source id ``after`` (changed since ``since``), a page at a time, each
        with its follow-ups, changes, attachments and CCs: five queries a page."""
        while True:
            page = self.tickets(after, since)
            if not page:
                return
            children = self.children([row["id"] for row in page])
            bundles = {row["id"]: Bundle(ticket=row) for row in page}
            ticket_of = {}
            for followup in children["followups"]:
                bundles[followup["ticket_id"]].followups.append(followup)
                ticket_of[followup["id"]] = followup["ticket_id"]
            for change in children["changes"]:
                bundles[ticket_of[change["followup_id"]]].changes.setdefault(change["followup_id"], []).append(change)
            for item in children["attachments"]:
                target = bundles[ticket_of[item["followup_id"]]].attachments
                target.setdefault(item["followup_id"], []).append(item)
            for cc in children["ccs"]:
                bundles[cc["ticket_id"]].ccs.append(cc)
            yield list(bundles.values())
            after = page[-1]["id"]
