"""The Redis cache backend: Django's, with one connection pool per web process (issue 19).

Django keeps a cache object per thread *and per asynchronous context* (``caches`` is an asgiref
``Local`` that is not thread-critical). Every page runs on a pool thread of ``helpdesk.serving``
in a context of its own, so under Django's own backend each request built a fresh cache object,
a fresh redis-py connection pool and therefore a fresh TCP connection to Redis (measured under
``make bench``: 51 connections for 50 signed-in pages), and Redis accepted and closed one
connection per request.

Here the redis-py client (Django's ``RedisCacheClient``, which holds the pools) is made once per
process for each server list and option set, and every cache object of the process uses it.
redis-py's pools are thread-safe and re-made after a fork, so gunicorn workers and the pool
threads can share one.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, RedisCacheClient] = {}
_lock = threading.Lock()


def _same(value: Any) -> Any:
    """A key part equal only for the same option value: the value when it hashes (classes by
    identity), else its text (a dict of pool options)."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def shared_client(servers: list[str], options: dict[str, Any]) -> RedisCacheClient:
    """The process's one client (and connection pools) for ``servers`` with ``options``."""
    key = (tuple(servers), tuple(sorted((name, _same(value)) for name, value in options.items())))
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = RedisCacheClient(servers, **options)
    return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` whose connections outlive the request."""

    @cached_property
    def _cache(self) -> RedisCacheClient:
        # Django's own attributes (set by its __init__), which django-stubs does not declare.
        return shared_client(self._servers, self._options)  # type: ignore[attr-defined]
