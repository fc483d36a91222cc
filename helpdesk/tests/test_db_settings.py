"""The scale-out settings (helpdesk.db, README "Scaling out: replicas and PgBouncer"): what each
variable turns into, that nothing changes without them, and that bad values stop start-up naming
the variable. (The real replica and PgBouncer: ``make test-scale``, helpdesk/tests/scale/.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({"databases": settings.DATABASES, "routers": settings.DATABASE_ROUTERS,
                  "middleware": settings.MIDDLEWARE}, default=str))
"""


def _run(code: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_URL", "HELPDESK_LIVE_BUS"))
    }
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "k" * 50,
            "HELPDESK_VAR_DIR": "/tmp/helpdesk-settings-test",
        }
    )
    base.update(env)
    return subprocess.run(code, cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)


def _settings(**env: str) -> dict:
    done = _run([sys.executable, "-c", PRINT], **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


PRIMARY = "postgres://app@db.example:5432/helpdesk"
BOUNCER = "postgres://app@pgbouncer.example:6432/helpdesk"


@pytest.mark.parametrize("database_url", ["", PRIMARY])
def test_without_replicas_or_pooler_nothing_changes(database_url):
    found = _settings(**({"DATABASE_URL": database_url} if database_url else {}))
    assert list(found["databases"]) == ["default"]
    assert found["routers"] == []
    assert "helpdesk.db.router.ReadRoutingMiddleware" not in found["middleware"]
    default = found["databases"]["default"]
    assert not default.get("DISABLE_SERVER_SIDE_CURSORS")
    if database_url:
        assert default["OPTIONS"]["options"] == "-c jit=off"


def test_pgbouncer_direct_connection_and_replicas():
    found = _settings(
        DATABASE_URL=BOUNCER,
        DATABASE_POOLER="pgbouncer",
        DATABASE_DIRECT_URL=PRIMARY,
        DATABASE_REPLICA_URLS="postgres://app@replica-a.example/helpdesk, postgres://app@replica-b.example/helpdesk",
    )
    databases = found["databases"]
    assert list(databases) == ["default", "direct", "replica1", "replica2"]
    default = databases["default"]
    assert default["HOST"] == "pgbouncer.example" and default["PORT"] == 6432
    assert default["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert default["OPTIONS"]["prepare_threshold"] is None
    assert "options" not in default["OPTIONS"]  # PgBouncer refuses the startup parameter
    assert databases["direct"]["HOST"] == "db.example" and databases["direct"]["TEST"]["MIRROR"] == "default"
    assert [databases[a]["HOST"] for a in ("replica1", "replica2")] == ["replica-a.example", "replica-b.example"]
    for alias in ("replica1", "replica2"):
        assert databases[alias]["TEST"]["MIRROR"] == "default"
        assert databases[alias]["CONN_HEALTH_CHECKS"] is True
        assert databases[alias]["OPTIONS"]["pool"]["timeout"] == 2
    assert found["routers"] == ["helpdesk.db.router.ReplicaRouter"]
    middleware = found["middleware"]
    assert middleware.index("helpdesk.db.router.ReadRoutingMiddleware") == (
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_POOLER": "pgpool"}, "DATABASE_POOLER"),
        ({"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URLS": "mysql://app@replica/helpdesk"}, "DATABASE_REPLICA_URLS"),
        ({"DATABASE_REPLICA_URLS": "postgres://app@replica/helpdesk"}, "DATABASE_REPLICA_URLS"),  # SQLite default
        ({"DATABASE_URL": PRIMARY, "DATABASE_DIRECT_URL": "db.example"}, "DATABASE_DIRECT_URL"),
    ],
)
def test_bad_values_name_the_variable(env, named):
    done = _run([sys.executable, "manage.py", "check"], **env)
    assert done.returncode != 0
    assert named in done.stderr


def test_listen_through_pgbouncer_is_refused_at_start():
    """Live updates over LISTEN/NOTIFY need a direct connection when DATABASE_URL is PgBouncer."""
    refused = _run([sys.executable, "manage.py", "check"], DATABASE_URL=BOUNCER, DATABASE_POOLER="pgbouncer")
    assert refused.returncode != 0 and "helpdesk.E901" in refused.stderr
    for fixed in ({"DATABASE_DIRECT_URL": PRIMARY}, {"REDIS_URL": "redis://127.0.0.1:6379/0"}):
        done = _run([sys.executable, "manage.py", "check"], DATABASE_URL=BOUNCER, DATABASE_POOLER="pgbouncer", **fixed)
        assert done.returncode == 0, done.stderr
