"""The database half of a backup: a consistent copy, and queries against that same moment.

PostgreSQL: a read-only REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot``),
``pg_dump -Fc --snapshot`` dumps exactly that moment, and the row counts and the stored-file list
are read in the same transaction, so the file list matches the dump row for row whatever is written
meanwhile. Restored with ``pg_restore`` in one transaction. The tools come from PostgreSQL's client
package (Debian: postgresql-client) and get the connection from settings through the environment
(``PGHOST``, ``PGPASSWORD``…), never the command line.

SQLite: the sqlite3 online backup API copies the database page by page into a new file as one
consistent state (other connections may keep writing); counts and files are read from that copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

Query = Callable[[str], list[tuple[Any, ...]]]

DUMP_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the person running it."""


def pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The libpq environment for ``settings_dict`` (pg_dump and pg_restore read it)."""
    options = settings_dict.get("OPTIONS") or {}
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", settings_dict.get("HOST")),
        ("PGPORT", settings_dict.get("PORT")),
        ("PGUSER", settings_dict.get("USER")),
        ("PGPASSWORD", settings_dict.get("PASSWORD")),
        ("PGDATABASE", settings_dict.get("NAME")),
        ("PGSSLMODE", options.get("sslmode")),
        ("PGSSLROOTCERT", options.get("sslrootcert")),
        ("PGSSLCERT", options.get("sslcert")),
        ("PGSSLKEY", options.get("sslkey")),
        ("PGPASSFILE", options.get("passfile")),
        ("PGSERVICE", options.get("service")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _run(arguments: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(arguments, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(arguments[0]).name} failed: {result.stderr.strip() or result.returncode}")


@contextlib.contextmanager
def dump(connection: BaseDatabaseWrapper, target: Path) -> Iterator[Query]:
    """Write the database to ``target`` and yield a function that runs a query against the very
    state that was written."""
    if connection.vendor == "postgresql":
        with _pg_dump(connection, target) as query:
            yield query
    elif connection.vendor == "sqlite":
        with _sqlite_dump(connection, target) as query:
            yield query
    else:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")


@contextlib.contextmanager
def _pg_dump(connection: BaseDatabaseWrapper, target: Path) -> Iterator[Query]:
    import psycopg

    params = connection.get_connection_params()
    pg_dump = _tool("pg_dump")
    with psycopg.connect(**params) as snapshot_connection:
        snapshot_connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot_connection.read_only = True
        with snapshot_connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            assert row is not None
            snapshot = row[0]
            _run(
                [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
                pg_environment(connection.settings_dict),
            )

            def query(sql: str) -> list[tuple[Any, ...]]:
                cursor.execute(sql)
                return list(cursor.fetchall())

            yield query
        snapshot_connection.rollback()  # read only: nothing to keep


@contextlib.contextmanager
def _sqlite_dump(connection: BaseDatabaseWrapper, target: Path) -> Iterator[Query]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)

        def query(sql: str) -> list[tuple[Any, ...]]:
            return list(copy.execute(sql).fetchall())

        yield query
    finally:
        copy.close()


def table_names(vendor: str, query: Query) -> list[str]:
    """Every table of the database (not only Django's), sorted."""
    if vendor == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    return [row[0] for row in query(sql)]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def row_counts(vendor: str, query: Query) -> dict[str, int]:
    return {table: query(f"SELECT COUNT(*) FROM {quote(table)}")[0][0] for table in table_names(vendor, query)}  # noqa: S608


def is_empty(connection: BaseDatabaseWrapper) -> bool:
    """Whether the database has no table at all (a new database: nothing a restore could collide with)."""
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def load(connection: BaseDatabaseWrapper, source: Path, *, replace: bool) -> None:
    """Put the dump ``source`` into the database ``connection`` points at. ``replace``: the database
    has tables already and the dump's replace them (``restore --force``)."""
    connection.close()
    if connection.vendor == "postgresql":
        arguments = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--no-password", "--exit-on-error"]
        arguments += ["--single-transaction", f"--dbname={connection.settings_dict['NAME']}"]
        if replace:
            arguments += ["--clean", "--if-exists"]
        _run([*arguments, str(source)], pg_environment(connection.settings_dict))
    elif connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        with contextlib.closing(sqlite3.connect(source)) as backup, contextlib.closing(sqlite3.connect(name)) as live:
            backup.backup(live)  # replaces every page of the target, whatever it held
    else:
        raise BackupError(f"Restores support PostgreSQL and SQLite, not {connection.vendor}.")


def live_query(connection: BaseDatabaseWrapper) -> Query:
    def query(sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    return query
