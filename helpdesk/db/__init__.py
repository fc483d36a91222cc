"""Where queries go when the database is more than one server (issue 19 §2).

- ``config``: the ``DATABASES`` entries built from the environment — the primary (``default``, maybe
  through PgBouncer), a direct connection to the primary (``direct``, for ``LISTEN`` and long
  migrations), and the read replicas (``replica1``, ``replica2``...).
- ``router``: ``ReplicaRouter`` and ``ReadRoutingMiddleware``: reads of signed-in GET/HEAD requests
  go to a replica, everything else to the primary; read-your-writes for a short window.
- ``replicas``: each replica's state and lag, for ``/readyz`` and ``/metrics``.

Without replicas and without ``DATABASE_DIRECT_URL`` nothing here is used: one ``default``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DIRECT_ALIAS = "direct"
REPLICA_PREFIX = "replica"


def replica_aliases() -> list[str]:
    """The configured replicas' aliases, in order (``replica1``, ``replica2``...)."""
    return [alias for alias in settings.DATABASES if is_replica(alias)]


def is_replica(alias: str) -> bool:
    return alias.startswith(REPLICA_PREFIX) and alias[len(REPLICA_PREFIX) :].isdigit()


def direct_alias() -> str:
    """The alias that reaches the primary without a pooler in between: ``direct`` when
    ``DATABASE_DIRECT_URL`` is set, else ``default``."""
    return DIRECT_ALIAS if DIRECT_ALIAS in settings.DATABASES else "default"


#: Connection parameters psycopg takes from Django's, for connections made outside Django's pool.
_PLAIN_KEYS = ("dbname", "user", "password", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey")


def plain_conninfo(alias: str) -> dict[str, Any]:
    """The psycopg ``connect()`` arguments for ``alias``, without Django's own (pool, adapters,
    cursor class): for a connection of our own, such as ``LISTEN`` or a replica probe."""
    from django.db import connections

    params = connections[alias].get_connection_params()
    return {key: value for key, value in params.items() if key in _PLAIN_KEYS and value not in (None, "")}
