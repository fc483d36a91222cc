"""manage.py restore --input DIR [--force]

Restores a backup made by ``manage.py backup`` into the configured database and storage. Every
checksum is verified first; a database that already has tables (or a stored file of the same name
with other content) is refused unless --force. See ``helpdesk.backup``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from helpdesk import backup


class Command(BaseCommand):
    help = "Restore a backup into an empty database and storage (verifying every checksum first)."

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, type=Path, help="A directory written by manage.py backup.")
        parser.add_argument("--force", action="store_true", help="Replace what the database and storage already hold.")
        parser.add_argument("--database", default="default", help="The database alias (default: default).")

    def handle(self, *args, input: Path, force: bool, database: str, **options):  # noqa: A002
        try:
            report = backup.restore(input, force=force, using=database)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        rows = sum(report.tables.values())
        self.stdout.write(
            f"Restored {len(report.tables)} tables ({rows} rows) and {report.files} files "
            f"({report.skipped} already in place) from {report.directory}. Run `manage.py migrate` if this "
            "Helpdesk is newer than the backup."
        )
