"""The ``DATABASES`` entries of a PostgreSQL deployment, built from the environment by
``helpdesk.settings`` (README, "Scaling out: replicas and PgBouncer").

``default``
    ``DATABASE_URL``: the primary, directly or through PgBouncer (``DATABASE_POOLER=pgbouncer``).
    Every write and every read that is not routed to a replica.
``direct``
    ``DATABASE_DIRECT_URL`` (optional): the same primary without a pooler in between. The live
    updates' ``LISTEN`` connection uses it (``LISTEN`` cannot work through transaction pooling), and
    ``manage.py migrate --database direct`` runs long migrations past PgBouncer's timeouts.
``replica1``, ``replica2``...
    ``DATABASE_REPLICA_URLS`` (comma-separated, optional): streaming replicas of the primary, read by
    ``helpdesk.db.router`` for signed-in GET requests.

The two aliases besides ``default`` name the same database, so in tests they mirror it
(``TEST: {"MIRROR": "default"}``: same database name, own connection to their own server).
"""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

POOLERS = ("none", "pgbouncer")


def parse(name: str, url: str) -> dict[str, Any]:
    """One postgres:// URL from the variable ``name`` as a Django database entry."""
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for malformed URLs
        raise ImproperlyConfigured(f"{name}: {url!r} is not a database URL: {exc}") from None
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"{name}: {url!r} must be a postgres:// URL (replicas need PostgreSQL).")
    return config


def primary(config: dict[str, Any], *, pool_max_size: int, jit: bool, pooler: str) -> dict[str, Any]:
    """``default``: the process-wide psycopg pool; behind PgBouncer in transaction mode, nothing
    that lives in a server session across transactions."""
    # Served under ASGI, a request may run on any thread of the executor, and Django's persistent
    # connections are per thread: they pile up until PostgreSQL refuses clients (the load test
    # found "too many clients" at 24 users). A process-wide psycopg pool keeps a bounded set.
    config["CONN_MAX_AGE"] = 0
    options = config.setdefault("OPTIONS", {})
    options["pool"] = {"min_size": 1, "max_size": pool_max_size, "timeout": 10}
    return _session(config, pooler=pooler, jit=jit)


def _session(config: dict[str, Any], *, pooler: str, jit: bool) -> dict[str, Any]:
    """What a pooled connection (the primary's or a replica's) may rely on of its server session."""
    options = config.setdefault("OPTIONS", {})
    if pooler == "pgbouncer":
        # Transaction pooling hands each transaction whichever server connection is free, so:
        # no named (server-side) cursors — .iterator() would DECLARE on one server and FETCH on
        # another; no prepared statements (psycopg prepares a query run 5 times; None = never);
        # and no `options` startup parameter, which PgBouncer refuses (set jit on the database:
        # ALTER DATABASE ... SET jit = off).
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        options["prepare_threshold"] = None
    elif not jit:
        # PostgreSQL's JIT compiler pays 35-130 ms to compile a query it guesses is expensive: a
        # loss on short OLTP queries (the statistics page at 1M tickets spent more compiling than
        # running).
        options["options"] = "-c jit=off"
    return config


def direct(config: dict[str, Any], *, jit: bool) -> dict[str, Any]:
    """``direct``: plain connections (no pool; used rarely: the listener, readiness, migrations)."""
    config["CONN_MAX_AGE"] = 0
    config["TEST"] = {"MIRROR": "default"}
    if not jit:
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    return config


def replica(config: dict[str, Any], *, pool_max_size: int, jit: bool, pooler: str, timeout: int) -> dict[str, Any]:
    """A read replica: its own pool, checked on every checkout (a replica that went away is noticed
    before a query fails), and quick to give up (``timeout`` seconds) so the router can fall back
    to the primary instead of making the page wait. ``DATABASE_POOLER`` applies to replicas too
    (each replica may have a PgBouncer of its own)."""
    config["CONN_MAX_AGE"] = 0
    config["CONN_HEALTH_CHECKS"] = True
    config["TEST"] = {"MIRROR": "default"}
    options = config.setdefault("OPTIONS", {})
    options["pool"] = {"min_size": 1, "max_size": pool_max_size, "timeout": timeout}
    options["connect_timeout"] = timeout
    return _session(config, pooler=pooler, jit=jit)


def from_environment(*, default_url: str) -> tuple[dict[str, dict[str, Any]], str, str | None, list[str]]:
    """``DATABASES`` from the environment, with the pooler, the direct URL and the replica URLs
    it was built from (``helpdesk.settings`` keeps them as settings)."""
    from helpdesk import env

    databases = {"default": env.database("DATABASE_URL", default_url)}
    pooler = env.choice("DATABASE_POOLER", POOLERS, "none")
    if databases["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers and the one writer work at once; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue instead of failing with "database is locked" on lock upgrade.
        databases["default"].setdefault("OPTIONS", {}).update(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        )
    else:
        databases["default"] = primary(
            databases["default"],
            pool_max_size=env.integer("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            jit=env.boolean("DATABASE_JIT", False),
            pooler=pooler,
        )
    direct_url = env.url("DATABASE_DIRECT_URL")
    replica_urls = env.string_list("DATABASE_REPLICA_URLS", [])
    if (direct_url or replica_urls) and databases["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_DIRECT_URL and DATABASE_REPLICA_URLS need a postgres:// DATABASE_URL.")
    if direct_url:
        databases["direct"] = direct(parse("DATABASE_DIRECT_URL", direct_url), jit=env.boolean("DATABASE_JIT", False))
    for number, url in enumerate(replica_urls, start=1):
        databases[f"replica{number}"] = replica(
            parse("DATABASE_REPLICA_URLS", url),
            pool_max_size=env.integer("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            jit=env.boolean("DATABASE_JIT", False),
            pooler=pooler,
            timeout=env.integer("DATABASE_REPLICA_TIMEOUT_SECONDS", 2, minimum=1),
        )
    return databases, pooler, direct_url, replica_urls
