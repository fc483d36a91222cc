"""manage.py apply_retention [--dry-run] [--batch N] [--months N] [--mode anonymize|delete]

The retention policy (README, "Data protection"): closed tickets older than
``HELPDESK_RETENTION_CLOSED_MONTHS`` months are anonymized or deleted
(``HELPDESK_RETENTION_MODE``), in batches. ``--dry-run`` only counts. Idempotent; safe from cron
next to Celery beat (batches skip rows another run holds).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tickets.privacy.retention import MODES, apply_retention


class Command(BaseCommand):
    help = "Anonymize or delete closed tickets older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing.")
        parser.add_argument("--batch", type=int, default=200, help="Tickets per transaction (default 200).")
        parser.add_argument("--months", type=int, default=None, help="Override HELPDESK_RETENTION_CLOSED_MONTHS.")
        parser.add_argument("--mode", choices=MODES, default=None, help="Override HELPDESK_RETENTION_MODE.")

    def handle(self, *args, dry_run, batch, months, mode, **options):
        result = apply_retention(months=months, mode=mode, dry_run=dry_run, batch=max(1, batch))
        if not result.months:
            self.stdout.write("Retention is off (HELPDESK_RETENTION_CLOSED_MONTHS is 0): nothing to do.")
            return
        assert result.cutoff is not None
        verb = {"anonymize": "anonymized", "delete": "deleted"}[result.mode]
        if dry_run:
            self.stdout.write(
                f"Dry run: {result.tickets} closed ticket(s) closed before {result.cutoff:%Y-%m-%d} would be {verb} "
                f"({result.files} file(s)). Nothing changed."
            )
        else:
            self.stdout.write(
                f"{result.tickets} closed ticket(s) closed before {result.cutoff:%Y-%m-%d} {verb}; "
                f"{result.files} file(s) deleted."
            )
