"""``/healthz`` and ``/readyz`` for load balancers and orchestrators (issue 19 §3).

``/healthz`` says the process is alive: it touches nothing (no database), so a slow database never
gets a healthy process restarted. ``/readyz`` says whether this process can serve: every configured
database answers ``SELECT 1``, no migration is unapplied, the cache stores and returns a value, the
Celery broker accepts a connection (when there is one: without, jobs run in the web process), and
the attachment storage takes and deletes a small file. The checks run side by side, each in its own
thread, and the answer comes within ``HELPDESK_READY_TIMEOUT_SECONDS`` (default 2) whatever hangs:
a check not finished by then fails as ``timeout``.

Read replicas (``DATABASE_REPLICA_URLS``, ``helpdesk.db``) are checked too, each with its lag, but
they are optional: the router reads the primary while a replica is down, so a failed replica makes
the answer ``"status": "degraded"`` with 200 (serving, slower; alert on it), never 503. A replica
that answers but is more than ``HELPDESK_REPLICA_MAX_LAG_SECONDS`` behind is reported the same way
(``"error": "lagging"``).

The body is JSON: each check with ``ok`` and the milliseconds it took; a failed one names the kind
of error only (``OperationalError``, ``timeout``), never its message (this endpoint is public and a
message may name hosts or users); the full error goes to the log.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from helpdesk.db import is_replica, replicas

log = logging.getLogger(__name__)

#: Set once this process has seen every migration applied. Only the good answer is remembered: a
#: deployment that has not migrated yet turns ready as soon as it has.
_migrations_applied = threading.Event()


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the process answers; nothing else is asked."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    named = checks()
    results = run_checks(named, timeout=settings.HELPDESK_READY_TIMEOUT_SECONDS)
    optional = {name for name in named if name.startswith("replica:")}
    for name in optional:
        results[name]["optional"] = True
    ready = all(result["ok"] for name, result in results.items() if name not in optional)
    if not ready:
        status = "unavailable"
    elif all(result["ok"] for result in results.values()):
        status = "ok"
    else:
        status = "degraded"  # serving from the primary: a replica is down or behind
    return JsonResponse({"status": status, "checks": results}, status=200 if ready else 503)


def checks() -> dict[str, Callable[[], dict | None]]:
    """The checks this deployment needs, by name. Each raises when it fails; it may return details
    for the answer (a replica's lag)."""
    found: dict[str, Callable[[], dict | None]] = {}
    for alias in connections:
        if is_replica(alias):
            found[f"replica:{alias}"] = _replica(alias)
        else:
            found[f"database:{alias}"] = _database(alias)
    found["migrations"] = _migrations
    found["cache"] = _cache
    if not settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL:
        found["broker"] = _broker
    found["storage"] = _storage
    return found


def run_checks(named: dict[str, Callable[[], dict | None]], *, timeout: float) -> dict[str, dict[str, object]]:
    unfinished = {"ok": False, "error": "timeout", "ms": round(timeout * 1000, 1)}
    results: dict[str, dict[str, object]] = dict.fromkeys(named, unfinished)  # replaced, never changed

    def run(name: str, check: Callable[[], dict | None]) -> None:
        started = time.perf_counter()
        try:
            try:
                details = check()
            finally:
                connections.close_all()  # this thread's own connections (back to the pool on PostgreSQL)
        except Exception as exc:
            log.warning("readiness check %s failed: %s", name, exc, exc_info=True)
            outcome: dict[str, object] = {"ok": False, "error": getattr(exc, "kind", type(exc).__name__)}
            outcome.update(getattr(exc, "details", {}))
        else:
            outcome = {"ok": True, **(details or {})}
        outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = outcome

    # Not a `with` block: that would wait for a hung check. The threads end with their own
    # timeouts (the connection pool's, the broker's); nothing waits for them here.
    pool = ThreadPoolExecutor(max_workers=len(named), thread_name_prefix="readyz")
    futures = [pool.submit(run, name, check) for name, check in named.items()]
    wait(futures, timeout=timeout)
    pool.shutdown(wait=False)
    for name, outcome in results.items():
        if outcome.get("error") == "timeout":
            log.warning("readiness check %s took longer than %s s", name, timeout)
    return {name: dict(outcome) for name, outcome in results.items()}


def _database(alias: str) -> Callable[[], None]:
    def check() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return check


def _replica(alias: str) -> Callable[[], dict]:
    def check() -> dict:
        found = replicas.state(alias, replicas.primary_wal_position())
        details = {"lag_seconds": round(found.lag_seconds, 3), "replay_paused": found.replay_paused}
        if not found.in_recovery:
            raise ReplicaProblem("not_a_replica", details)
        if found.lag_seconds > settings.HELPDESK_REPLICA_MAX_LAG_SECONDS:
            raise ReplicaProblem("lagging", details)
        return details

    return check


class ReplicaProblem(Exception):
    def __init__(self, kind: str, details: dict) -> None:
        super().__init__(f"{kind}: {details}")
        self.kind = kind
        self.details = details


def _migrations() -> None:
    if _migrations_applied.is_set():
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise UnappliedMigrations(f"{len(plan)} migration(s) not applied, e.g. {plan[0][0]}")
    _migrations_applied.set()


class UnappliedMigrations(Exception):
    pass


def _cache() -> None:
    key = f"helpdesk:readyz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, 30)
    try:
        if cache.get(key) != value:
            raise CacheMiss("the cache did not return the value just stored")
    finally:
        cache.delete(key)


class CacheMiss(Exception):
    pass


def _broker() -> None:
    from helpdesk.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)


def _storage() -> None:
    """Write and delete a small file where attachments go: a full disk or a bucket without write
    permission fails here, not at the next upload."""
    name = default_storage.save(f"health/readyz-{secrets.token_hex(8)}", ContentFile(b"ok"))
    default_storage.delete(name)
