"""manage.py check_attachments [--delete-orphans] [--min-age-minutes N]

Compares stored files with attachment rows. Reports orphaned files (stored, but no row refers to
them: a process died between writing a file and committing its row), orphaned previews (an image
preview under ``thumbnails/`` whose file no attachment has any more) and dangling rows (a row
whose file is gone). With --delete-orphans, orphaned files older than --min-age-minutes (default
60, so uploads in flight are left alone) are removed. Dangling rows are reported, never deleted:
they are part of a ticket's history. Exits 1 when it finds something it did not fix, for cron or
monitoring. Works on local disk and on S3 (through the storage API).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from tickets.models import Attachment
from tickets.thumbnails import digest_of_key

ROOT = "attachments"
PREVIEWS = "thumbnails"


def stored_names(storage=default_storage, folder: str = ROOT):
    """Every file name under ``folder``, walking sub-folders."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from stored_names(storage, f"{folder}/{sub}")


class Command(BaseCommand):
    help = "Find stored attachment files without rows, and rows without files."

    def add_arguments(self, parser):
        parser.add_argument("--delete-orphans", action="store_true")
        parser.add_argument("--min-age-minutes", type=int, default=60)

    def handle(self, *args, delete_orphans: bool, min_age_minutes: int, **options):
        cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        orphans, deleted = [], 0
        batch: list[str] = []

        def flush() -> None:
            nonlocal deleted
            known = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
            for name in batch:
                if name in known:
                    continue
                orphans.append(name)
                if delete_orphans and default_storage.get_modified_time(name) <= cutoff:
                    default_storage.delete(name)
                    deleted += 1
            batch.clear()

        for name in stored_names():
            batch.append(name)
            if len(batch) >= 1000:
                flush()
        if batch:
            flush()

        previews: list[str] = []

        def flush_previews() -> None:
            nonlocal deleted
            digests = {name: digest_of_key(name) for name in previews}
            known = set(
                Attachment.objects.filter(sha256__in={d for d in digests.values() if d}).values_list(
                    "sha256", flat=True
                )
            )
            for name, digest in digests.items():
                if digest in known:
                    continue
                orphans.append(name)
                if delete_orphans and default_storage.get_modified_time(name) <= cutoff:
                    default_storage.delete(name)
                    deleted += 1
            previews.clear()

        for name in stored_names(folder=PREVIEWS):
            previews.append(name)
            if len(previews) >= 1000:
                flush_previews()
        if previews:
            flush_previews()

        dangling = [
            (pk, ticket_id, name)
            for pk, ticket_id, name in Attachment.objects.values_list("pk", "ticket_id", "file").iterator(
                chunk_size=2000
            )
            if not default_storage.exists(name)
        ]
        for name in orphans:
            self.stdout.write(f"orphaned file: {name}")
        for pk, ticket_id, name in dangling:
            self.stdout.write(f"dangling row: attachment {pk} on ticket #{ticket_id} has no file {name}")
        self.stdout.write(
            f"{len(orphans)} orphaned file(s), {deleted} deleted; {len(dangling)} attachment row(s) without a file."
        )
        if len(orphans) - deleted or dangling:
            raise SystemExit(1)
