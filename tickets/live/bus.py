"""How a change reaches every web process: one short message per change, pushed, never polled
per stream.

Messages are short strings (they carry no ticket content, only what to re-check):

``t:<ticket id>``
    history was written on that ticket (``t:?``: on some ticket, unknown which);
``u:<user id>``
    that person's account or access changed (``u:*``: anyone's — a team or organization change);
``s:<digest>``
    the session whose key hashes to ``digest`` ended (sign-out);
``*``
    the listener may have missed messages (it reconnected): every stream catches up.

Three buses, chosen by ``HELPDESK_LIVE_BUS`` (``auto`` picks the first that applies):

``redis``
    Redis pub/sub, when ``REDIS_URL`` is set: published after commit; works through PgBouncer and
    across machines.
``postgres``
    PostgreSQL ``LISTEN``/``NOTIFY`` on the default database: ``pg_notify`` runs inside the change's
    own transaction, so PostgreSQL delivers it at commit and drops it on rollback. The listener's
    connection goes to ``DATABASE_DIRECT_URL`` when set (``helpdesk.db.direct_alias``): ``LISTEN``
    lives in a server session, which PgBouncer's transaction pooling does not keep.
``local``
    The embedded default (SQLite, one machine): messages are delivered in process after commit;
    the listener of each process reads the newest history id once a second (one query per process,
    however many streams are open) and the sign-out/access messages other processes leave in the
    shared cache.

Each web process runs one listener (``tickets.live.hub``), which holds one connection of its own
(to PostgreSQL or Redis) for as long as streams are open in that process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction

from helpdesk.db import direct_alias, plain_conninfo

logger = logging.getLogger("helpdesk.live")

CHANNEL = "helpdesk_live"
EVERYONE = "*"
_CONTROL_LOG_KEY = "helpdesk:live:control"
_CONTROL_LOG_LENGTH = 200

Deliver = Callable[[str], None]


def ticket_changed(ticket_id: int) -> str:
    return f"t:{ticket_id}"


def person_changed(user_id: int | None) -> str:
    return f"u:{EVERYONE if user_id is None else user_id}"


def session_ended(session_key: str) -> str:
    return f"s:{session_digest(session_key)}"


def session_digest(session_key: str) -> str:
    """What stands for a session on the bus: never the key itself (NOTIFY payloads can reach logs)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:24]


class Bus(Protocol):
    name: str

    def publish(self, message: str) -> None: ...

    def listen(self, deliver: Deliver, stop: threading.Event) -> None:
        """Deliver messages until ``stop`` is set; return (or raise) when the connection is lost."""
        ...


class PostgresBus:
    name = "postgres"

    def publish(self, message: str) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, message])

    def listen(self, deliver: Deliver, stop: threading.Event) -> None:
        import psycopg

        conninfo = plain_conninfo(direct_alias())
        with psycopg.connect(autocommit=True, application_name="helpdesk-live", **conninfo) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            deliver(EVERYONE)  # whatever happened while not listening
            while not stop.is_set():
                for notice in conn.notifies(timeout=1.0):
                    deliver(notice.payload)
                    if stop.is_set():
                        break


class RedisBus:
    name = "redis"

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._url = url

    def publish(self, message: str) -> None:
        def send() -> None:
            try:
                self._redis.publish(CHANNEL, message)
            except Exception:  # noqa: BLE001 - a lost live message must never fail the change
                logger.warning("live: could not publish %s to Redis", message, exc_info=True)

        transaction.on_commit(send, robust=True)

    def listen(self, deliver: Deliver, stop: threading.Event) -> None:
        import redis

        client = redis.Redis.from_url(self._url, socket_connect_timeout=2, socket_timeout=None)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            deliver(EVERYONE)
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message.get("type") == "message":
                    data = message["data"]
                    deliver(data.decode() if isinstance(data, bytes) else str(data))
        finally:
            pubsub.close()
            client.close()


class LocalBus:
    """One machine without Redis or PostgreSQL (the embedded default). See the module docstring."""

    name = "local"
    poll_seconds = 1.0

    def __init__(self) -> None:
        self.deliver_here: Deliver | None = None  # set by the hub of this process

    def publish(self, message: str) -> None:
        def send() -> None:
            if not message.startswith("t:"):  # other processes see new history by polling
                self._append_to_control_log(message)
            if self.deliver_here is not None:
                self.deliver_here(message)

        transaction.on_commit(send, robust=True)

    @staticmethod
    def _append_to_control_log(message: str) -> None:
        try:
            log = cache.get(_CONTROL_LOG_KEY) or []
            seq = (log[-1][0] + 1) if log else 1
            cache.set(_CONTROL_LOG_KEY, [*log, (seq, message)][-_CONTROL_LOG_LENGTH:], 600)
        except Exception:  # noqa: BLE001
            logger.warning("live: could not record %s", message, exc_info=True)

    def listen(self, deliver: Deliver, stop: threading.Event) -> None:
        from tickets.models import TicketEvent

        def newest() -> int:
            try:
                return TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            finally:
                connections["default"].close()

        def control_log() -> list[tuple[int, str]]:
            return list(cache.get(_CONTROL_LOG_KEY) or [])

        seen_event = newest()
        seen_control = max((seq for seq, _ in control_log()), default=0)
        deliver(EVERYONE)
        while not stop.wait(self.poll_seconds):
            latest = newest()
            if latest > seen_event:
                seen_event = latest
                deliver("t:?")
            for seq, message in control_log():
                if seq > seen_control:
                    seen_control = seq
                    deliver(message)


def choose() -> Bus:
    """The bus for this configuration (``HELPDESK_LIVE_BUS``; see the module docstring)."""
    wanted = getattr(settings, "HELPDESK_LIVE_BUS", "auto")
    redis_url = getattr(settings, "REDIS_URL", None)
    vendor = connections["default"].vendor
    if wanted == "redis" or (wanted == "auto" and redis_url):
        if not redis_url:
            raise ValueError("HELPDESK_LIVE_BUS=redis needs REDIS_URL")
        return RedisBus(redis_url)
    if wanted == "postgres" or (wanted == "auto" and vendor == "postgresql"):
        return PostgresBus()
    return LocalBus()


_bus: Bus | None = None
_bus_lock = threading.Lock()


def current() -> Bus:
    global _bus
    if _bus is None:
        with _bus_lock:
            if _bus is None:
                _bus = choose()
    return _bus


def reset() -> None:
    """Forget the chosen bus (tests that change the settings)."""
    global _bus
    _bus = None


def publish(message: str) -> None:
    """Send ``message`` to every web process once the current transaction commits (dropped if it
    rolls back). A failure to publish is logged, never raised: live updates are a convenience,
    the change itself must stand."""
    try:
        current().publish(message)
    except Exception:  # noqa: BLE001
        logger.warning("live: could not publish %s", message, exc_info=True)
