"""manage.py import_zendesk --url URL --email E --token T [--dry-run] [--no-progress]

Imports a Zendesk account through its API — organizations, groups as teams, users, and every
ticket with its comments, attachments, tags, custom field values and CCs — signed in with an API
token. Safe to run again: what was imported is updated where it changed at the source and never
duplicated; a run after a finished one reads only the tickets changed since. An import that
stopped is taken up where it stopped by running the same command again. Nothing emails anyone:
see README, "Coming from Zendesk / django-helpdesk".
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tickets.importers.framework import ImportInterrupted, ImportSession
from tickets.importers.zendesk.client import ZendeskClient, ZendeskError, instance_key
from tickets.importers.zendesk.importer import SOURCE, ZendeskImporter


class Command(BaseCommand):
    help = "Import people, teams and tickets from a Zendesk account through its API (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", required=True, help="The account's address, e.g. https://acme.zendesk.com.")
        parser.add_argument("--email", required=True, help="The email address of an admin (or agent) there.")
        parser.add_argument("--token", required=True, help="An API token of that account (Admin Center → API).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Do the whole import, report it, then roll everything back."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars (they show on a terminal).")
        # Tests: stop the run half-way through ticket N+1, as a crash would.
        parser.add_argument("--fail-after", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client = ZendeskClient(options["url"], email=options["email"], token=options["token"])
            instance = instance_key(options["url"])
        except ZendeskError as exc:
            raise CommandError(str(exc)) from exc
        label = client.base.removesuffix("api/v2/").rstrip("/")
        session = ImportSession(
            source=SOURCE,
            instance=instance,
            label=label,
            dry_run=options["dry_run"],
            progress=False if options["no_progress"] else None,  # bars on the terminal's stderr
            fail_after=options["fail_after"],
        )
        importer = ZendeskImporter(client, session)
        try:
            with session.running():
                if session.resumed:
                    self.stdout.write(_("Taking up the unfinished import of %(label)s.") % {"label": label})
                importer.run()
        except (ImportInterrupted, KeyboardInterrupt, ZendeskError) as exc:
            self.stdout.write(session.total.render())
            raise CommandError(
                _(
                    "The import stopped (%(reason)s). Everything imported so far is kept; run the same "
                    "command again to go on from where it stopped."
                )
                % {"reason": str(exc) or type(exc).__name__}
            ) from exc
        if options["dry_run"]:
            self.stdout.write(_("Dry run of the import from %(label)s: nothing was kept.") % {"label": label})
        else:
            self.stdout.write(_("Imported from %(label)s.") % {"label": label})
        self.stdout.write(session.total.render())
        self.stdout.write(_("%(count)d requests to the Zendesk API.") % {"count": client.requests})
