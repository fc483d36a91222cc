"""Each replica's state, read on its own short connection (not the router's pool): for
``/readyz`` and the ``helpdesk_db_replica_*`` metrics.

Lag is the time since the last transaction the replica replayed, counted only while it is behind
the primary (its replayed WAL position is short of the primary's current one): an idle but
caught-up replica has lag 0, a replica that stopped replaying or lost its primary shows time
growing. Also given: the bytes of WAL it is behind, and whether replay is paused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

from helpdesk.db import plain_conninfo

#: Seconds to wait for a replica's answer (a probe, not a page: short).
PROBE_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class ReplicaState:
    alias: str
    in_recovery: bool
    lag_seconds: float
    lag_bytes: int
    replay_paused: bool


#: One row: in recovery, lag in seconds, lag in bytes, replay paused; ``%(primary)s`` is the
#: primary's current WAL position (``primary_wal_position``).
STATE_SQL = """
    SELECT pg_is_in_recovery(),
           CASE WHEN NOT pg_is_in_recovery() THEN 0
                WHEN pg_last_wal_replay_lsn() >= %(primary)s::pg_lsn THEN 0
                ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
           END,
           CASE WHEN pg_is_in_recovery()
                THEN GREATEST(pg_wal_lsn_diff(%(primary)s::pg_lsn, pg_last_wal_replay_lsn()), 0)
                ELSE 0 END,
           pg_is_in_recovery() AND pg_is_wal_replay_paused()
"""


def primary_wal_position() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def state(alias: str, primary_lsn: str) -> ReplicaState:
    """Raises (psycopg's ``OperationalError``) when the replica does not answer."""
    import psycopg

    conninfo = plain_conninfo(alias)
    with (
        psycopg.connect(
            autocommit=True, connect_timeout=PROBE_TIMEOUT_SECONDS, application_name="helpdesk-probe", **conninfo
        ) as conn,
        conn.transaction(),
    ):
        # SET LOCAL: a replica behind PgBouncer must not keep the setting for its next client.
        conn.execute(f"SET LOCAL statement_timeout = {PROBE_TIMEOUT_SECONDS * 1000}")
        row = conn.execute(STATE_SQL, {"primary": primary_lsn}).fetchone()
    assert row is not None
    return from_row(alias, row)


def from_row(alias: str, row: tuple) -> ReplicaState:
    in_recovery, lag_seconds, lag_bytes, paused = row
    return ReplicaState(
        alias=alias,
        in_recovery=bool(in_recovery),
        lag_seconds=max(float(lag_seconds), 0.0),
        lag_bytes=int(lag_bytes),
        replay_paused=bool(paused),
    )
