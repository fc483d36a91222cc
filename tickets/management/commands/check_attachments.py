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

from collections.abc import Iterable, Iterator
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


def _batches(names: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _known_files(names: list[str]) -> set[str]:
    """The stored attachment files some attachment row refers to."""
    return set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))


def _known_previews(names: list[str]) -> set[str]:
    """The stored previews whose file (by digest) some attachment still has."""
    digests = {name: digest_of_key(name) for name in names}
    used = set(
        Attachment.objects.filter(sha256__in={d for d in digests.values() if d}).values_list("sha256", flat=True)
    )
    return {name for name, digest in digests.items() if digest in used}


class Command(BaseCommand):
    help = "Find stored attachment files without rows, and rows without files."

    def add_arguments(self, parser):
        parser.add_argument("--delete-orphans", action="store_true")
        parser.add_argument("--min-age-minutes", type=int, default=60)

    def handle(self, *args, delete_orphans: bool, min_age_minutes: int, **options):
        cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        orphans, deleted = [], 0
        for folder, known in ((ROOT, _known_files), (PREVIEWS, _known_previews)):
            for batch in _batches(stored_names(folder=folder), 1000):
                kept = known(batch)
                for name in batch:
                    if name in kept:
                        continue
                    orphans.append(name)
                    if delete_orphans and default_storage.get_modified_time(name) <= cutoff:
                        default_storage.delete(name)
                        deleted += 1

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
