"""Backup and restore of a whole desk: the database and every stored file it refers to (issue 19 §3).

A backup is a directory::

    manifest.json          what is inside: the database dump's size and SHA-256, the row count of
                           every table, and every stored file's name, size and SHA-256
    database.dump          PostgreSQL (pg_dump custom format), or database.sqlite3 (SQLite)
    files/<name>           each stored file under its storage name (attachments/2026/11/<key>)

Consistency: the database is dumped first, as one moment (``database.dump``), and the list of files
is read from that same moment; the files are copied afterwards. Stored files never change once
written (``tickets.attachments.store`` writes each under a new random key, and a deletion removes
the file only after its row is gone), so every file the dump refers to is still there to copy —
except one deleted while the backup ran, which is listed under ``missing_files`` with a warning.
Files are read through Django's storage API, so a desk on S3 is backed up the same way.
``manifest.json`` is written last: a directory without it is not a backup.

Which files: every ``FileField`` of every installed model (today ``Attachment.file``). Image
previews (``thumbnails/``) are not copied; they are made again on first view.

A restore checks every checksum before it changes anything, refuses a database that has tables (or
a stored file of the same name with other content) unless ``force``, copies the files, loads the
database, then counts every table against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections, models

from helpdesk.backup import database
from helpdesk.backup.database import BackupError

__all__ = ["BackupError", "create", "restore"]

FORMAT = "helpdesk-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "files"
CHUNK = 1024 * 1024


@dataclass
class Report:
    """What a backup or restore did, for the command to print."""

    directory: Path
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of every installed model."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                found.add((model._meta.db_table, model_field.column))
    return sorted(found)


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _copy(source: IO[bytes], target: IO[bytes]) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


# --- backup -----------------------------------------------------------------------------------


def create(directory: Path, *, using: str = DEFAULT_DB_ALIAS, storage: Storage = default_storage) -> Report:  # noqa: B008
    """Back the desk up into ``directory`` (new, or empty)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty; give a new directory for the backup.")
    directory.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    report = Report(directory)
    dump_name = database.DUMP_FILES.get(connection.vendor, "database")

    with database.dump(connection, directory / dump_name) as query:
        report.tables = database.row_counts(connection.vendor, query)
        names: dict[str, str] = {}
        for table, column in file_columns():
            if table not in report.tables:
                continue  # a model whose migration has not run: no rows to back up
            sql = f"SELECT DISTINCT {database.quote(column)} FROM {database.quote(table)} WHERE {database.quote(column)} <> ''"  # noqa: S608,E501
            for (name,) in query(sql):
                names.setdefault(name, table)

    files: list[dict[str, Any]] = []
    missing: list[dict[str, str]] = []
    for name in sorted(names):
        if not _safe(name):
            missing.append({"name": name, "table": names[name], "reason": "unsafe name"})
            continue
        target = directory / FILES / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with storage.open(name, "rb") as source, target.open("wb") as handle:
                size, sha256 = _copy(source, handle)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            missing.append({"name": name, "table": names[name], "reason": "not in storage"})
            continue
        files.append({"name": name, "size": size, "sha256": sha256})
        report.files += 1
        report.bytes += size
    for entry in missing:
        report.warnings.append(
            f"{entry['table']} refers to {entry['name']!r}, which could not be copied: {entry['reason']}"
        )

    dump_size, dump_sha256 = _digest(directory / dump_name)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "database": {"file": dump_name, "size": dump_size, "sha256": dump_sha256},
        "tables": report.tables,
        "files": files,
        "missing_files": missing,
    }
    partial = directory / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(partial, directory / MANIFEST)
    return report


# --- restore ----------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{directory} has no {MANIFEST}: not a backup, or one that did not finish.") from None
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Helpdesk backup manifest.")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path} is a backup of format version {manifest.get('version')}; this Helpdesk reads {VERSION}."
        )
    return manifest


def verify(directory: Path, manifest: dict[str, Any]) -> None:
    """Every checksum of the manifest against the files in ``directory``; raises on the first
    difference. Nothing is changed anywhere before this has passed."""
    directory = Path(directory)
    entries = [(manifest["database"]["file"], manifest["database"])]
    for entry in manifest["files"]:
        if not _safe(entry["name"]):
            raise BackupError(f"The manifest names an unsafe file path: {entry['name']!r}.")
        entries.append((f"{FILES}/{entry['name']}", entry))
    for relative, entry in entries:
        path = directory / relative
        if not path.is_file():
            raise BackupError(f"{relative} is listed in the manifest but missing from the backup.")
        size, sha256 = _digest(path)
        if (size, sha256) != (entry["size"], entry["sha256"]):
            raise BackupError(
                f"{relative} does not match the manifest (size or SHA-256 differs): the backup is damaged."
            )


def _stored_digest(storage: Storage, name: str) -> str:
    with storage.open(name, "rb") as handle:
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def restore(
    directory: Path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS, storage: Storage = default_storage
) -> Report:  # noqa: B008
    """Restore the backup in ``directory`` into the database ``using`` and ``storage``."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    connection = connections[using]
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"This is a {manifest['vendor']} backup; the database configured here is {connection.vendor}. "
            "Restore it into the same kind of database."
        )
    verify(directory, manifest)
    report = Report(directory)

    empty = database.is_empty(connection)
    if not empty and not force:
        raise BackupError(
            "The database already has tables. Restore into a new, empty database, or add --force to replace "
            "what it holds with the backup."
        )
    clashes = []
    for entry in manifest["files"]:
        if storage.exists(entry["name"]) and _stored_digest(storage, entry["name"]) != entry["sha256"]:
            clashes.append(entry["name"])
    if clashes and not force:
        raise BackupError(
            f"The storage already holds {len(clashes)} file(s) of the same name with other content "
            f"(e.g. {clashes[0]}). Restore into empty storage, or add --force to overwrite them."
        )

    # Files first: if anything fails later the database is untouched and the restore can run again
    # (files already in place with the right content are skipped).
    for entry in manifest["files"]:
        name = entry["name"]
        if storage.exists(name):
            if name not in clashes:
                report.skipped += 1
                continue
            storage.delete(name)
        with (directory / FILES / name).open("rb") as handle:
            saved = storage.save(name, File(handle, name=PurePosixPath(name).name))
        if saved != name:
            storage.delete(saved)
            raise BackupError(f"The storage stored {name} as {saved}; the restore stopped.")
        report.files += 1
        report.bytes += entry["size"]

    database.load(connection, directory / manifest["database"]["file"], replace=not empty)

    counts = database.row_counts(connection.vendor, database.live_query(connection))
    different = {
        table: (count, counts.get(table)) for table, count in manifest["tables"].items() if counts.get(table) != count
    }
    if different:
        table, (expected, found) = next(iter(different.items()))
        raise BackupError(
            f"After the restore, {len(different)} table(s) differ from the backup, e.g. {table}: "
            f"{found} rows where the backup has {expected}."
        )
    absent = [entry["name"] for entry in manifest["files"] if not storage.exists(entry["name"])]
    if absent:
        raise BackupError(f"After the restore, {len(absent)} file(s) are not in storage, e.g. {absent[0]}.")
    report.tables = counts
    for entry in manifest.get("missing_files", []):
        report.warnings.append(f"{entry['table']} refers to {entry['name']!r}, which the backup could not copy.")
    return report
