"""Reads to replicas, writes and everything uncertain to the primary (issue 19 §2).

Installed (``DATABASE_ROUTERS`` and ``ReadRoutingMiddleware``) only when ``DATABASE_REPLICA_URLS``
names at least one replica. A read goes to a replica only when all of these hold:

- it is made while serving a web request (``ReadRoutingMiddleware`` marks the request in a context
  variable): Celery tasks, management commands, the live-update listener and anything else outside
  a request read the primary;
- the request is a GET or HEAD (a form post reads what it is about to change: primary);
- the person is known and signed in (by session, or by API token once DRF has authenticated
  them): anonymous pages (sign-in, sign-up, survey links) read the primary, and so do the reads
  that find out who is signed in;
- nothing in this request has written yet (``db_for_write`` was asked: an ORM save, update,
  delete, bulk insert, ``get_or_create`` or ``select_for_update``), and the read is not inside a
  transaction (``atomic``) on the primary;
- this person has not written in the last ``HELPDESK_READ_YOUR_WRITES_SECONDS`` (read-your-writes:
  a request that wrote leaves a mark under the person's id in the shared cache when it ends, so
  their next pages — from any browser tab, device or API client — show their own change even while
  the replica is behind). Bookkeeping that every visit writes (``HELPDESK_READ_YOUR_WRITES_EXEMPT``:
  the portal's "read up to here" marker) keeps the rest of its own request on the primary but
  leaves no mark, or a customer would never read a replica after opening a ticket;
- a replica answers: the chosen one's pool hands out a checked connection within
  ``DATABASE_REPLICA_TIMEOUT_SECONDS``; if not, it is left alone for ``HELPDESK_REPLICA_RETRY_SECONDS``
  (its pool closed) and the request reads the primary — a page never fails because a replica did;
- the replica is not too far behind: at most every ``HELPDESK_REPLICA_LAG_CHECK_SECONDS`` (per
  process and replica) the router measures its lag the way ``/readyz`` does, on the connection it
  is about to read; while it is more than ``HELPDESK_REPLICA_MAX_LAG_SECONDS`` behind, requests read
  the primary (or another replica) instead of showing everyone minutes-old pages.

One request reads one replica (chosen at random among the working ones, then kept), so its
queries see one consistent state. Writes always go to ``default``; migrations never run on a
replica.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from helpdesk.db import is_replica, replica_aliases, replicas

log = logging.getLogger("helpdesk.db")

_READ_METHODS = frozenset({"GET", "HEAD"})
_WROTE_KEY = "helpdesk:db:wrote:{}"


class RequestReads:
    """What the router knows about the request being served."""

    __slots__ = ("alias", "marks", "recent_writer", "request", "wrote")

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.wrote = False  # this request wrote: the rest of it reads the primary
        self.marks = False  # ...something the person expects to see on their next pages
        self.alias: str | None = None  # the replica this request reads, once chosen
        self.recent_writer: bool | None = None  # the person's read-your-writes mark, once looked up


_current: contextvars.ContextVar[RequestReads | None] = contextvars.ContextVar("helpdesk_db_reads", default=None)


def _known_user(request: HttpRequest) -> Any | None:
    """The signed-in person if already known, without looking them up (that lookup is itself a
    read, and must not recurse into the router): ``None`` while undecided or anonymous."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", None)  # AuthenticationMiddleware's lazy object
    if wrapped is empty:
        return None
    if wrapped is not None:
        user = wrapped
    return user if getattr(user, "is_authenticated", False) else None


# --- replicas that failed: per process -------------------------------------------------------

_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


def working_replicas() -> list[str]:
    now = time.monotonic()
    return [alias for alias in replica_aliases() if _down_until.get(alias, 0.0) <= now]


def mark_down(alias: str, error: BaseException) -> None:
    retry = settings.HELPDESK_REPLICA_RETRY_SECONDS
    with _down_lock:
        _down_until[alias] = time.monotonic() + retry
    log.warning("replica %s failed (%s); reading the primary for %s s", alias, type(error).__name__, retry)
    connection = connections[alias]
    with contextlib.suppress(Exception):  # a broken connection may fail to close
        connection.close()
    with contextlib.suppress(Exception):  # another thread may have closed the pool already
        connection.close_pool()  # type: ignore[attr-defined]  # a fresh pool (fresh connections) when the replica is tried again


def forget_failures() -> None:
    """Try every replica again at once (tests; an operator's shell after a repair)."""
    with _down_lock:
        _down_until.clear()
        _lag_checked_at.clear()
        _behind.clear()


# --- replicas too far behind: per process, measured at most every LAG_CHECK seconds ----------

_lag_checked_at: dict[str, float] = {}
_behind: dict[str, bool] = {}


def _too_far_behind(alias: str) -> bool:
    """Whether ``alias`` (connected) is more than ``HELPDESK_REPLICA_MAX_LAG_SECONDS`` behind, by
    the last measurement; measures again when that is older than ``HELPDESK_REPLICA_LAG_CHECK_SECONDS``.
    One thread measures; the others meanwhile go by the last answer."""
    now = time.monotonic()
    with _down_lock:
        last = _lag_checked_at.get(alias)
        due = last is None or now - last >= settings.HELPDESK_REPLICA_LAG_CHECK_SECONDS
        if due:
            _lag_checked_at[alias] = now
    if not due:
        return _behind.get(alias, False)
    try:
        primary = replicas.primary_wal_position()
        with connections[alias].cursor() as cursor:
            cursor.execute(replicas.STATE_SQL, {"primary": primary})
            found = replicas.from_row(alias, cursor.fetchone())
    except DatabaseError as exc:
        mark_down(alias, exc)
        return True
    limit = settings.HELPDESK_REPLICA_MAX_LAG_SECONDS
    behind = found.lag_seconds > limit
    was_behind = _behind.get(alias, False)
    _behind[alias] = behind
    if behind and not was_behind:
        log.warning("replica %s is %.1f s behind (limit %s s); reading the primary", alias, found.lag_seconds, limit)
    elif was_behind and not behind:
        log.warning("replica %s has caught up (%.1f s behind); reading it again", alias, found.lag_seconds)
    return behind


def _usable(alias: str) -> bool:
    try:
        connections[alias].ensure_connection()
    except DatabaseError as exc:  # includes the pool's timeout: psycopg's OperationalError
        mark_down(alias, exc)
        return False
    return True


# --- the router ------------------------------------------------------------------------------


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        state = _current.get()
        if state is None or state.wrote or state.request.method not in _READ_METHODS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if state.alias is not None:
            return state.alias
        user = _known_user(state.request)
        if user is None:
            return DEFAULT_DB_ALIAS
        if state.recent_writer is None:
            state.recent_writer = recent_writer(user)
        if state.recent_writer:
            return DEFAULT_DB_ALIAS
        candidates = working_replicas()
        random.shuffle(candidates)
        for alias in candidates:
            if _usable(alias) and not _too_far_behind(alias):
                state.alias = alias
                return alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        state = _current.get()
        if state is not None:
            state.wrote = True  # the rest of this request reads the primary
            if model is None or model._meta.label not in settings.HELPDESK_READ_YOUR_WRITES_EXEMPT:
                state.marks = True  # and so do the person's next requests, for a while
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # every alias holds the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if is_replica(db) else None


class ReadRoutingMiddleware:
    """Marks the request for ``ReplicaRouter``; when it wrote, marks the person for
    ``HELPDESK_READ_YOUR_WRITES_SECONDS``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = RequestReads(request)
        token = _current.set(state)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
            if state.alias is not None:
                # Back to its pool now (Django does so too when the request finishes, except under
                # the test client): the next request's checkout checks it again.
                with contextlib.suppress(Exception):
                    connections[state.alias].close()
            if state.marks:
                remember_write(_known_user(request))


def recent_writer(user: Any) -> bool:
    """Whether ``user`` wrote within the read-your-writes window (when the cache cannot say: yes,
    so the reads stay on the primary)."""
    try:
        return bool(cache.get(_WROTE_KEY.format(user.pk)))
    except Exception:  # noqa: BLE001 - a cache outage must not fail the page
        log.warning("could not read the read-your-writes mark; reading the primary", exc_info=True)
        return True


def remember_write(user: Any | None) -> None:
    window = settings.HELPDESK_READ_YOUR_WRITES_SECONDS
    if user is None or window <= 0:
        return
    try:
        cache.set(_WROTE_KEY.format(user.pk), 1, window)
    except Exception:  # noqa: BLE001 - a cache outage must not fail a change already made
        log.warning("could not remember a write for read-your-writes", exc_info=True)


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Reads in this block go to the primary, even in a request that may read a replica: for a
    value that outlives the request (a shared cache filled under a version bumped after a commit
    must not be computed from a replica that has not replayed that commit yet)."""
    state = _current.get()
    if state is None:
        yield
        return
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


def reading_from() -> str | None:
    """The replica this request reads, if any yet (tests, logs)."""
    state = _current.get()
    return state.alias if state is not None else None
