"""The Redis cache backend (``helpdesk.cache``): one connection pool per process, on a real Redis
and a real uvicorn server."""

from __future__ import annotations

import os
import threading
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from helpdesk.cache import shared_client
from helpdesk.tests.local_redis import redis_url
from tickets.tests.asgi_server import asgi_server, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


class Opened:
    """The connections redis-py opened to Redis, counted by a connection class given to the pool."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        opened = self

        class CountedConnection(redis.connection.Connection):
            def _connect(self):  # noqa: ANN202 - redis-py's own: the socket it opens
                with opened._lock:
                    opened.count += 1
                return super()._connect()

        self.connection_class = CountedConnection


@pytest.fixture
def redis_cache():
    """The default cache on the local Redis, under a key prefix of its own, its connections counted."""
    opened = Opened()
    prefix = f"cache-test-{os.getpid()}-{id(opened)}"
    backend = {
        "BACKEND": "helpdesk.cache.RedisCache",
        "LOCATION": redis_url(),
        "KEY_PREFIX": prefix,
        "OPTIONS": {"connection_class": opened.connection_class},
    }
    with override_settings(CACHES={"default": backend}):
        yield opened
        client = redis.Redis.from_url(backend["LOCATION"])
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_signed_in_pages_reuse_one_connection_to_redis(redis_cache, customer, ticket):
    """Each page runs in a context of its own on a pool thread; Django's own backend made a cache
    object, a pool and a connection for every one of them."""
    cookie = session_cookie(customer)  # the session, cached by cached_db on its first read
    with asgi_server() as url:
        address = urlsplit(url)
        connection = HTTPConnection(address.hostname, address.port, timeout=10)
        for _ in range(20):
            connection.request("GET", f"/portal/tickets/{ticket.pk}/", headers={"Cookie": cookie})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200
            assert ticket.subject.encode() in body
        connection.close()
    # One at a time, the pages never needed two connections at once.
    assert redis_cache.count == 1


def test_cache_objects_of_every_thread_share_the_client(redis_cache):
    clients, values = [], []

    def use() -> None:
        cache = caches["default"]
        cache.set("shared", "value")
        values.append(cache.get("shared"))
        clients.append(cache._cache)  # type: ignore[attr-defined]  # helpdesk.cache.RedisCache's

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert values == ["value"] * 4
    assert len({id(client) for client in clients}) == 1
    assert clients[0] is shared_client([settings.CACHES["default"]["LOCATION"]], settings.CACHES["default"]["OPTIONS"])
    assert 1 <= redis_cache.count <= 4


def test_different_servers_or_options_get_their_own_client():
    first = shared_client(["redis://127.0.0.1:6379/1"], {})
    assert shared_client(["redis://127.0.0.1:6379/1"], {}) is first
    assert shared_client(["redis://127.0.0.1:6379/2"], {}) is not first
    assert shared_client(["redis://127.0.0.1:6379/1"], {"socket_timeout": 5}) is not first


def test_option_values_that_print_alike_are_not_mixed_up():
    class Connection(redis.connection.Connection):
        pass

    first = Connection

    class Connection(redis.connection.Connection):  # noqa: F811 - the same name, another class
        pass

    assert repr(first) == repr(Connection)
    one = shared_client(["redis://127.0.0.1:6379/1"], {"connection_class": first})
    assert shared_client(["redis://127.0.0.1:6379/1"], {"connection_class": Connection}) is not one
    assert shared_client(["redis://127.0.0.1:6379/1"], {"connection_class": first}) is one
    pools = {"max_connections": 10}
    assert shared_client(["redis://127.0.0.1:6379/1"], {"pool": pools}) is shared_client(
        ["redis://127.0.0.1:6379/1"], {"pool": dict(pools)}
    )


def test_one_redis_object_serves_every_call(redis_cache):
    cache = caches["default"]
    client = cache._cache
    first = client.get_client(write=True)
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    assert cache.incr("a") == 2
    assert client.get_client() is first
    assert client.get_client(write=True) is first
    assert redis_cache.count == 1
