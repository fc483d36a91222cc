"""Writing batches of rows: COPY on PostgreSQL (inline or on worker connections), ``bulk_create``
elsewhere. Each loader hands out the ids a batch starts at (``next_ids``), reserves them before a
batch is written (``reserve``: rows the app inserts meanwhile get ids after the block) and leaves
the id sequences past the last row (``finish``)."""

from __future__ import annotations

import json
import queue
import threading

from django.db import connection, transaction

from tickets import search
from tickets.generate.rows import JSON_COLUMNS, TABLES, Batch


def _table(name: str) -> str:
    return TABLES[name][0]._meta.db_table


def _columns(name: str) -> str:
    model, attnames = TABLES[name]
    return ", ".join(model._meta.get_field(a).column if a != "id" else "id" for a in attnames)


def _next_ids_postgres() -> dict[str, int]:
    """First free id of each table: above its largest row and above what its sequence handed out."""
    next_ids = {}
    with connection.cursor() as cursor:
        for name in TABLES:
            table = _table(name)
            cursor.execute(
                f"SELECT GREATEST(COALESCE(MAX(id), 0), COALESCE(pg_sequence_last_value("  # noqa: S608 - our tables
                f"pg_get_serial_sequence('{table}', 'id')::regclass), 0)) FROM {table}"
            )
            next_ids[name] = cursor.fetchone()[0] + 1
    return next_ids


def _move_sequences(next_ids: dict[str, int]) -> None:
    """Move each identity sequence past the ids handed out so far. Called before a batch is written,
    so the block is reserved: rows inserted meanwhile by the app get ids after it."""
    with connection.cursor() as cursor:
        for name, next_id in next_ids.items():
            if next_id > 1:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, "
                    "COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass), 0)))",
                    [_table(name), next_id - 1, _table(name)],
                )


def _may_skip_fk_triggers() -> bool:
    """Whether a batch may load with ``session_replication_role = replica``: only a superuser may,
    and only when the tables carry no trigger of their own (those must fire for generated rows
    too); the foreign-key triggers it skips are replaced by one set-based check per batch."""
    tables = [_table(name) for name in TABLES]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])", [tables]
        )
        return cursor.fetchone()[0] == 0


class PostgresLoader:
    """Loads batches with COPY, inline on Django's connection or on ``workers`` connections of
    their own (one transaction per batch either way)."""

    def __init__(self, *, workers: int, references: dict[str, set[int]]):
        connection.ensure_connection()
        self.skip_fk_triggers = _may_skip_fk_triggers()
        self.references = references  # rows outside the batch that it points to, by table
        # Inside a transaction (tests) every batch must use the caller's connection and transaction.
        self.workers = 0 if connection.in_atomic_block else workers
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []
        if self.workers:
            self.queue: queue.Queue = queue.Queue(maxsize=self.workers)
            params = connection.get_connection_params()
            for _ in range(self.workers):
                thread = threading.Thread(target=self._work, args=(params,), daemon=True)
                thread.start()
                self.threads.append(thread)

    def submit(self, batch: Batch) -> None:
        if self.errors:
            raise self.errors[0]
        if not self.workers:
            with transaction.atomic():
                self._load(connection.connection, batch)
            return
        while True:
            try:
                self.queue.put(batch, timeout=1)
                return
            except queue.Full:
                if self.errors:
                    raise self.errors[0] from None

    def next_ids(self) -> dict[str, int]:
        return _next_ids_postgres()

    def reserve(self, next_ids: dict[str, int]) -> None:
        _move_sequences(next_ids)

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]

    def finish(self) -> None:
        """Leave each identity sequence at its table's largest id."""
        with connection.cursor() as cursor:
            for name in TABLES:
                table = _table(name)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table} HAVING MAX(id) IS NOT NULL"  # noqa: S608
                )

    def _work(self, params: dict) -> None:
        import psycopg

        pg = None
        try:
            pg = psycopg.connect(**params)
            while True:
                batch = self.queue.get()
                if batch is None:
                    return
                if self.errors:
                    continue  # drain: the run has failed
                with pg.transaction():
                    self._load(pg, batch)
        except BaseException as exc:  # reported by the main thread
            self.errors.append(exc)
        finally:
            if pg is not None:
                pg.close()

    def _load(self, pg, batch: Batch) -> None:
        with pg.cursor() as cursor:
            if self.skip_fk_triggers:
                cursor.execute("SET LOCAL session_replication_role = replica")
                self._check_references(cursor, batch)
            for name, rows in batch.rows.items():
                if not rows:
                    continue
                with cursor.copy(f"COPY {_table(name)} ({_columns(name)}) FROM STDIN") as copy:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)
            # The batch's search documents, from the rows just copied (tickets.search).
            search.index_tickets([row[0] for row in batch.rows["ticket"]], cursor=cursor)
            if self.skip_fk_triggers:
                # SET LOCAL lasts to the end of the transaction: inline, that may be the caller's.
                cursor.execute("SET LOCAL session_replication_role = origin")

    def _check_references(self, cursor, batch: Batch) -> None:
        """What the skipped foreign-key triggers would do, set-based: every row the batch points to
        outside itself exists, and stays (FOR KEY SHARE) until the batch commits."""
        rows = batch.rows
        users = set(self.references["users"])  # the staff: created_by, assignee, authors, actors
        users.update(row[7] for row in rows["ticket"])  # requesters (the other authors and actors)
        users.update(row[2] for row in rows["collaborator"])
        wanted = {
            "accounts_user": users,
            "accounts_team": {row[10] for row in rows["ticket"] if row[10] is not None},
            "accounts_organization": {row[11] for row in rows["ticket"] if row[11] is not None},
            "auth_group": {row[2] for row in rows["group_perm"]},
            "tickets_tag": {row[2] for row in rows["tag"]},
            "auth_permission": {row[3] for row in rows["user_perm"]} | {row[3] for row in rows["group_perm"]},
            "tickets_slapolicy": {row[2] for row in rows["sla_clock"] if row[2] is not None},
        }
        for table, ids in wanted.items():
            if not ids:
                continue
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE id = ANY(%s) FOR KEY SHARE) AS held",  # noqa: S608
                [sorted(ids)],
            )
            found = cursor.fetchone()[0]
            if found != len(ids):
                raise RuntimeError(f"{len(ids) - found} rows of {table} referenced by generated tickets are gone.")


class OrmLoader:
    """``bulk_create`` for other databases (SQLite): correct, and quick enough for small N."""

    def submit(self, batch: Batch) -> None:
        with transaction.atomic():
            for name, rows in batch.rows.items():
                if not rows:
                    continue
                model, columns = TABLES[name]
                json_at = JSON_COLUMNS.get(name)
                objects = []
                for row in rows:
                    values = dict(zip(columns, row, strict=True))
                    if json_at is not None:
                        values[columns[json_at]] = json.loads(row[json_at])
                    objects.append(model(**values))
                model.objects.bulk_create(objects, batch_size=500)

    def next_ids(self) -> dict[str, int]:
        next_ids = {}
        for name, (model, _) in TABLES.items():
            top = model.objects.order_by("-id").values_list("id", flat=True).first() or 0
            next_ids[name] = max(top, _sqlite_sequence(model._meta.db_table)) + 1
        return next_ids

    def reserve(self, next_ids: dict[str, int]) -> None:
        pass  # rows go in inline, one batch at a time: nothing to keep apart

    def close(self) -> None:
        pass

    def finish(self) -> None:
        pass  # explicit ids move SQLite's sequence along


def _sqlite_sequence(table: str) -> int:
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
    return row[0] if row else 0


def loader_for(*, workers: int, references: dict[str, set[int]]) -> PostgresLoader | OrmLoader:
    """The loader for the database in use: COPY on PostgreSQL, ``bulk_create`` elsewhere."""
    if connection.vendor == "postgresql":
        return PostgresLoader(workers=workers, references=references)
    return OrmLoader()
