"""`make run`'s set-up in one process, each step only when it is needed, so that a restart with
nothing changed takes a couple of seconds:

- ``migrate`` only when there are unapplied migrations;
- ``collectstatic`` only when the static sources changed: a digest of every file the static finders
  list (our ``static/`` and the installed packages'), with size and modification time, and of the
  storage backend, kept in ``var/static-sources.digest`` (beside, not in, the served files);
- the demo desk only when there are no users (``seed_demo --if-empty``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

DIGEST_NAME = "static-sources.digest"


def unapplied_migrations(database: str = DEFAULT_DB_ALIAS) -> list:
    executor = MigrationExecutor(connections[database])
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def static_sources_digest() -> str:
    """What ``collectstatic`` would copy, as one digest: path, size and mtime of each source file."""
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            source = storage.path(path)
            stat = os.stat(source)
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}\0{source}\0{stat.st_size}\0{stat.st_mtime_ns}")
    entries.sort()
    entries.append(settings.STORAGES["staticfiles"]["BACKEND"])
    entries.append(settings.STATIC_URL)
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def _digest_file() -> Path:
    return Path(settings.VAR_DIR) / DIGEST_NAME


def static_is_current(digest: str) -> bool:
    path = _digest_file()
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    needs_manifest = "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]
    try:
        return path.read_text().strip() == digest and (manifest.exists() or not needs_manifest)
    except OSError:
        return False


class Command(BaseCommand):
    help = "make run's set-up: migrate, collectstatic and seed the demo desk, each only when needed."

    def add_arguments(self, parser):
        parser.add_argument("--no-seed", action="store_true", help="Do not add the demo desk.")

    def handle(self, *args, no_seed: bool, **options):
        if unapplied_migrations():
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
        digest = static_sources_digest()
        if not static_is_current(digest):
            self.stdout.write("Collecting static files (only when they changed)…")
            _digest_file().unlink(missing_ok=True)
            call_command("collectstatic", interactive=False, verbosity=0)
            _digest_file().parent.mkdir(parents=True, exist_ok=True)
            _digest_file().write_text(digest + "\n")
        if not no_seed:
            call_command("seed_demo", if_empty=True, stdout=self.stdout, stderr=self.stderr)
