"""The Redis cache backend: Django's, with one connection pool per web process (issue 19).

Django keeps a cache object per thread *and per asynchronous context* (``caches`` is an asgiref
``Local`` that is not thread-critical). Every page runs on a pool thread of ``helpdesk.serving``
in a context of its own, so under Django's own backend each request built a fresh cache object,
a fresh redis-py connection pool and therefore a fresh TCP connection to Redis (measured under
``make bench``: 51 connections for 50 signed-in pages), and Redis accepted and closed one
connection per request.

Here the client (Django's ``RedisCacheClient``, which holds the pools) is made once per process
for each server list and option set, and every cache object of the process uses it. It also
keeps one redis-py ``Redis`` object per server, where Django's made one for every cache call
(each builds a table of some 200 reply callbacks). redis-py's clients and pools are thread-safe,
and its pools are re-made after a fork, so gunicorn workers and the page threads can share them.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

_lock = threading.Lock()  # guards the making of clients and pools, not their use


class SharedClient(RedisCacheClient):
    """Django's client, with one redis-py ``Redis`` per server instead of one per call."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._redis: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # Django's own attributes below, which django-stubs does not declare
        index = django._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            with _lock:
                pool = django._pools.get(index)
                if pool is None:
                    pool = django._pools[index] = django._pool_class.from_url(
                        django._servers[index], **django._pool_options
                    )
                client = self._redis.setdefault(index, django._client(connection_pool=pool))
        return client


_clients: dict[tuple, SharedClient] = {}


def _same(value: Any) -> Any:
    """A key part equal only for the same option value: the value when it hashes (classes by
    identity), else its text (a dict of pool options)."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def shared_client(servers: list[str], options: dict[str, Any]) -> SharedClient:
    """The process's one client (and connection pools) for ``servers`` with ``options``."""
    key = (tuple(servers), tuple(sorted((name, _same(value)) for name, value in options.items())))
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = SharedClient(servers, **options)
    return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` whose connections outlive the request."""

    @cached_property
    def _cache(self) -> SharedClient:
        django: Any = self  # Django's own attributes (set by its __init__), which django-stubs does not declare
        return shared_client(django._servers, django._options)
