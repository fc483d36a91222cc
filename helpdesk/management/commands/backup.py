"""manage.py backup --output DIR

A consistent backup of the desk: the database and every stored file it refers to, with a manifest
of sizes and SHA-256 checksums (``helpdesk.backup``). Restore it with ``manage.py restore``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from helpdesk import backup


class Command(BaseCommand):
    help = "Back up the database and the stored files it refers to into a new directory."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="A new (or empty) directory.")
        parser.add_argument("--database", default="default", help="The database alias (default: default).")

    def handle(self, *args, output: Path, database: str, **options):
        try:
            report = backup.create(output, using=database)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        rows = sum(report.tables.values())
        self.stdout.write(
            f"Backed up {len(report.tables)} tables ({rows} rows) and {report.files} files "
            f"({report.bytes} bytes) into {report.directory}."
        )
