"""The scale tests run only under ``make test-scale`` (``scripts/test-scale.sh`` loads the
``helpdesk.tests.scale.clusters`` plugin, which starts the servers before Django reads its
settings). In a plain ``pytest`` / ``make test`` run this directory is not collected."""

from __future__ import annotations

import os
import time

import pytest
from django.db import connections

from helpdesk.tests.scale import clusters as scale_clusters

if scale_clusters.current() is None:
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session", autouse=True)
def scale() -> scale_clusters.Clusters:
    """The primary, replica and PgBouncer of this session (``clusters.Clusters``)."""
    found = scale_clusters.current()
    assert found is not None
    if found.missing or found.error:
        message = (
            f"needs {', '.join(found.missing)} (Debian: postgresql, pgbouncer; CI installs them: .ci/run)"
            if found.missing
            else f"could not start the test servers: {found.error}"
        )
        if os.environ.get("CI") == "true" or found.error:
            pytest.fail(message)
        pytest.skip(message)
    return found


def replica_caught_up(alias: str = "replica1", timeout: float = 15.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connections["direct"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while True:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"{alias} did not catch up with the primary within {timeout} s")
        time.sleep(0.05)
