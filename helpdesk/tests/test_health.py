"""/healthz and /readyz (issue 19 §3)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from helpdesk import health
from helpdesk.tests import local_redis

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_asks_nothing_of_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_every_dependency_and_times_each(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    # Tests run jobs in process (no broker): the broker is not one of the checks.
    assert set(body["checks"]) == {"database:default", "migrations", "cache", "storage"}
    for check in body["checks"].values():
        assert check["ok"] is True and isinstance(check["ms"], float)
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_checks_the_broker_when_jobs_go_through_one(client, settings):
    """With a broker configured (jobs not run in process), the broker must answer; Redis on the
    test machine does, a port nobody listens on does not."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    redis_url = settings.CELERY_BROKER_URL
    with _free_port() as port:
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["database:default"]["ok"] is True

    settings.CELERY_BROKER_URL = redis_url
    assert local_redis.redis_url() == redis_url  # the good case needs it answering (skips without)
    response = client.get("/readyz")
    assert response.json()["checks"]["broker"] == {"ok": True, "ms": response.json()["checks"]["broker"]["ms"]}
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_failing_check_is_named_without_its_message(client, settings, tmp_path):
    """The storage refusing writes makes the desk unready; the body names the kind of error only
    (a message may name hosts, users or paths, and this endpoint is public)."""
    blocked = tmp_path / "media"
    blocked.write_text("a file where the media directory should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(blocked)}},
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert storage["ok"] is False and storage["error"] in ("FileExistsError", "NotADirectoryError")
    assert str(tmp_path) not in response.content.decode()


def test_a_hung_check_fails_as_timeout_within_the_deadline():
    started = time.perf_counter()
    results = health.run_checks({"slow": lambda: time.sleep(3), "quick": lambda: None}, timeout=0.3)
    assert time.perf_counter() - started < 1.0
    assert results["slow"] == {"ok": False, "error": "timeout", "ms": 300.0}
    assert results["quick"]["ok"] is True


@pytest.mark.django_db
def test_unapplied_migrations_make_the_desk_unready(monkeypatch):
    """The plan is asked until it is empty once; a failing answer is not remembered."""
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(health, "_migrations_applied", type(health._migrations_applied)())
    real_plan = MigrationExecutor.migration_plan
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [(("tickets", "9999_next"), False)])
    with pytest.raises(health.UnappliedMigrations, match="1 migration"):
        health._migrations()
    assert not health._migrations_applied.is_set()
    monkeypatch.setattr(MigrationExecutor, "migration_plan", real_plan)
    health._migrations()
    assert health._migrations_applied.is_set()


# --- /readyz against a real PostgreSQL that goes away --------------------------------------------


@contextlib.contextmanager
def _free_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield port


def _as_postgres(command: str) -> None:
    if os.geteuid() == 0:
        arguments = ["/usr/bin/su", "postgres", "-s", "/bin/sh", "-c", command]
    else:
        arguments = ["/bin/sh", "-c", command]
    subprocess.run(arguments, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[tuple[Path, int, Callable[[], None]]]:
    """A PostgreSQL cluster of our own in a temporary directory on a free port; yields its bin
    directory, the port and a function that stops it (it is stopped at the end in any case)."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bindirs or not (bindirs[-1] / "initdb").exists():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL's initdb/pg_ctl are missing under CI")
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed")
    bindir = bindirs[-1]
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-readyz-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    with _free_port() as port:
        pass
    data = directory / "data"
    _as_postgres(f"{bindir}/initdb -D {data} -U postgres --auth=trust -E UTF8 --no-sync >/dev/null")
    _as_postgres(
        f"{bindir}/pg_ctl -D {data} -l {directory}/log -o '-p {port} -k {directory} -c listen_addresses=127.0.0.1 "
        f"-c fsync=off' -w start >/dev/null"
    )
    running = True

    def stop() -> None:
        nonlocal running
        if running:
            _as_postgres(f"{bindir}/pg_ctl -D {data} -m immediate -w stop >/dev/null")
            running = False

    try:
        yield bindir, port, stop
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            stop()
        shutil.rmtree(directory, ignore_errors=True)


def _server_environment(database_url: str, var: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "S3_", "HELPDESK_", "PROMETHEUS_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "readyz-test-secret-key",
            "DJANGO_HTTPS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "HELPDESK_PLAIN_STATIC": "1",
            "DATABASE_URL": database_url,
            "HELPDESK_VAR_DIR": str(var),
            "DJANGO_LOG_LEVEL": "ERROR",
        }
    )
    return env


@pytest.mark.postgres
def test_readyz_fails_when_postgresql_stops_and_healthz_does_not(tmp_path):
    """A real server (gunicorn with the uvicorn worker, as `make run` serves) on a PostgreSQL
    cluster of its own: ready; the cluster stops; unready within the deadline, the database named
    as the failing check; the process itself still answers /healthz."""
    with throwaway_cluster() as (bindir, pg_port, stop_postgres):
        database_url = f"postgres://postgres@127.0.0.1:{pg_port}/helpdesk"
        subprocess.run(
            [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "helpdesk"],
            check=True,
            timeout=60,
        )
        env = _server_environment(database_url, tmp_path)
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr
        with _free_port() as web_port:
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "helpdesk.asgi:application"),
                    *("-c", "python:helpdesk.gunicorn", "-k", "helpdesk.workers.UvicornWorker"),
                    *("--workers", "1", "--bind", f"127.0.0.1:{web_port}"),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        base = f"http://127.0.0.1:{web_port}"
        try:
            # Started, then ready: on a busy machine a worker's first migration check may take past
            # the deadline (it answers 503 "timeout" and finishes in the background), so ask again.
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(requests.RequestException):
                    ready = requests.get(f"{base}/readyz", timeout=10)
                    if ready.status_code == 200:
                        break
                assert time.monotonic() < deadline, "the server did not become ready"
                assert server.poll() is None, "the server exited"
                time.sleep(0.5)
            assert ready.json()["checks"]["database:default"]["ok"] is True

            stop_postgres()
            started = time.monotonic()
            unready = requests.get(f"{base}/readyz", timeout=10)
            took = time.monotonic() - started
            assert unready.status_code == 503, unready.text
            checks = unready.json()["checks"]
            assert checks["database:default"]["ok"] is False
            assert checks["cache"]["ok"] is True and checks["storage"]["ok"] is True
            assert took < 5.0, took  # the deadline is 2 s; the rest is a busy test machine
            assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
