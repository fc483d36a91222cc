"""manage.py import_django_helpdesk --database URL [--media-root DIR] [--dry-run] [--since DATE]

Imports a django-helpdesk desk — queues as teams, users, tickets with their follow-ups, ticket
changes, attachments and CCs — by reading its database directly (read-only). Safe to run again:
what was imported is updated where it changed at the source and never duplicated. An import that
stopped (killed, connection lost) is taken up where it stopped by running the same command again.
Nothing emails anyone: see README, "Coming from Zendesk / django-helpdesk".
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from tickets.importers.django_helpdesk.importer import SOURCE, DjangoHelpdeskImporter
from tickets.importers.django_helpdesk.source import SourceDatabase, SourceError
from tickets.importers.framework import ImportInterrupted, ImportSession


def _since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise argparse.ArgumentTypeError(_("Use a date (2024-01-31) or a date and time (2024-01-31T12:00)."))
        moment = datetime.combine(day, time.min)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Import queues, people and tickets from a django-helpdesk database (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            required=True,
            help="The django-helpdesk database: postgres://user:password@host:5432/name or sqlite:////path/db.sqlite3.",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            help="django-helpdesk's MEDIA_ROOT, where its attachment files are (without it files are skipped).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Do the whole import, report it, then roll everything back."
        )
        parser.add_argument(
            "--since", type=_since, help="Only tickets changed at the source on or after this date (UTC)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars (they show on a terminal).")
        # Tests: stop the run half-way through ticket N+1, as a crash would.
        parser.add_argument("--fail-after", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        media_root: Path | None = options["media_root"]
        if media_root is not None and not media_root.is_dir():
            raise CommandError(_("--media-root %(path)s is not a folder.") % {"path": media_root})
        try:
            db = SourceDatabase(options["database"])
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        session = ImportSession(
            source=SOURCE,
            instance=db.instance,
            label=db.label,
            dry_run=options["dry_run"],
            progress=False if options["no_progress"] else None,  # bars on the terminal's stderr
            fail_after=options["fail_after"],
        )
        importer = DjangoHelpdeskImporter(db, session, media_root=media_root, since=options["since"])
        try:
            with session.running():
                if session.resumed:
                    self.stdout.write(_("Taking up the unfinished import of %(label)s.") % {"label": db.label})
                importer.run()
        except (ImportInterrupted, KeyboardInterrupt) as exc:
            self.stdout.write(session.total.render())
            raise CommandError(
                _(
                    "The import stopped (%(reason)s). Everything imported so far is kept; run the same "
                    "command again to go on from where it stopped."
                )
                % {"reason": str(exc) or type(exc).__name__}
            ) from exc
        finally:
            db.close()
        if options["dry_run"]:
            self.stdout.write(_("Dry run of the import from %(label)s: nothing was kept.") % {"label": db.label})
        else:
            self.stdout.write(_("Imported from %(label)s.") % {"label": db.label})
        self.stdout.write(session.total.render())
