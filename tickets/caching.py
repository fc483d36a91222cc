"""Cached reads that must never be stale after a change (issue 6).

A version number in the cache stands for "this part of the desk as it is now". Every change
bumps the versions of what it touched once its transaction has committed (services write a
history event for every change; access changes in ``accounts.services`` bump everything), and
cached values are stored under the versions they were computed at — so a changed desk simply
stops finding the old values. A reader who started before a commit stores under the old
versions, which nobody asks for again.

The versions:

- the desk: any change at all (all-ticket agents' queue counts, anything not scoped finer);
- the statistics: changes a statistic counts (``tickets.stats``);
- a team: a change to a ticket routed to the team, before or after the change;
- a person: a change to a ticket the person is (or was) assigned to;
- access: who may see what (roles, scopes, memberships, sharing) — everything else depends on it.

A team agent's queue counts depend on their teams, their assignments and access only (unless they
also hold a ticket of their own or a collaboration: then on the desk), so the stream of new
tickets from customers (unrouted) no longer throws their counts away every second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

from helpdesk import memo
from helpdesk.db.router import primary_reads

T = TypeVar("T")
VERSION_KEY = "helpdesk:tickets:version"
STATISTICS_KEY = "helpdesk:statistics:version"
ACCESS_KEY = "helpdesk:access:version"


def team_key(team_id: int) -> str:
    return f"helpdesk:team:{team_id}:version"


def person_key(user_id: int) -> str:
    return f"helpdesk:person:{user_id}:version"


#: The desk-wide versions pages read (``read_together``): a request's first read of any version
#: fetches them all in the same round trip, and the request reads each at most once.
_TOGETHER: set[str] = {VERSION_KEY, STATISTICS_KEY, ACCESS_KEY}
_READ = ("caching", "versions read")  # the request's versions (helpdesk.memo)


def read_together(key: str) -> str:
    """Name ``key`` as a desk-wide version many pages read (the macros', the saved views'…), so
    a request fetches it with the others at its first read; returns ``key``."""
    _TOGETHER.add(key)
    return key


def version(key: str = VERSION_KEY) -> int:
    return versions([key])[0]


def versions(keys: list[str]) -> list[int]:
    """The current versions of ``keys``. In a request (a ``helpdesk.memo`` scope) each is read
    once, and the first read brings every ``read_together`` version along: a queue page reads
    its six versions in one round trip instead of six. A version this request bumps is read again."""
    known: dict[str, int] = memo.remember(_READ, dict)
    wanted = [key for key in keys if key not in known]
    if wanted:
        if not known and memo.active():
            wanted = sorted(_TOGETHER.union(wanted))
        found = cache.get_many(wanted)
        for key in wanted:
            if found.get(key) is None:
                # A fresh (or evicted) key starts from the clock, never from a number used before.
                cache.add(key, time.time_ns(), timeout=None)
                found[key] = cache.get(key)
            known[key] = found[key]
    return [known[key] for key in keys]


def _bump(keys: Iterable[str]) -> None:
    known: dict[str, int] = memo.remember(_READ, dict)
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # the key was evicted: start again from the clock
            cache.set(key, time.time_ns(), timeout=None)
        known.pop(key, None)


def tickets_changed(
    *, statistics: bool = True, teams: Iterable[int | None] = (), people: Iterable[int | None] = ()
) -> None:
    """Call inside the transaction that changes a ticket; takes effect on commit.

    ``teams`` and ``people``: the teams the ticket is (or was) routed to and the people it is (or
    was) assigned to. ``statistics=False`` for a change no statistic counts (a customer's ticket
    or reply, a note, tags, priority…): cached statistics stay.
    """
    keys = {VERSION_KEY}
    if statistics:
        keys.add(STATISTICS_KEY)
    keys.update(team_key(pk) for pk in teams if pk is not None)
    keys.update(person_key(pk) for pk in people if pk is not None)
    transaction.on_commit(lambda: _bump(sorted(keys)), robust=True)


def access_changed() -> None:
    """Who may see what changed (roles, scopes, memberships, sharing): every cached value goes."""
    transaction.on_commit(lambda: _bump([ACCESS_KEY, VERSION_KEY, STATISTICS_KEY]), robust=True)


def changed_now_and_at_commit(key: str) -> None:
    """Bump ``key`` at once (a reader later in this transaction sees the change) and again at
    commit (a reader in another process may have kept the old value meanwhile)."""
    _bump([key])
    transaction.on_commit(lambda: _bump([key]), robust=True)


_kept: dict[tuple[object, ...], object] = {}
_KEPT_LIMIT = 20_000


def kept(name: str, owner: int, compute: Callable[[], T], *, scope: list[str]) -> T:
    """``compute()`` for ``owner`` (a person's id), kept in this process under the current versions
    of ``scope``: a request reads the version numbers from the cache (one round trip), not the
    value, and the query behind it runs again only after a change. For small lists every page
    shows (the macro picker, the saved views). The value is shared between requests: callers
    must not change it."""
    key = (name, owner, *versions(scope))
    found = _kept.get(key)
    if found is None:
        # From the primary, as ``cached`` reads: a replica behind the commit that bumped the
        # versions would keep an old value under the new ones.
        with primary_reads():
            found = compute()
        if len(_kept) >= _KEPT_LIMIT:
            _kept.clear()
        _kept[key] = found
    return found  # type: ignore[return-value]  # stored by this function for this name


def cached(key: str, compute: Callable[[], T], *, timeout: int = 300, scope: list[str] | None = None) -> T:
    """``compute()``, remembered under ``key`` for the current versions of ``scope`` (default:
    the whole desk)."""
    full_key = _full_key(key, scope)
    value = cache.get(full_key)
    if value is None:
        value = _compute_once(full_key, compute, timeout)
    return value


#: How long one process may hold the right to compute a missing value (``_compute_once``) before
#: another may take it over; the others wait for the value at most this long.
COMPUTING_SECONDS = 60
_WAIT_STEP = 0.05


def _compute_once(full_key: str, compute: Callable[[], T], timeout: int) -> T:
    """Compute a missing value in one place at a time: the first request takes a lock in the cache
    and computes; the others asking meanwhile wait for its value instead of all running the same
    queries at once (after a change the statistics page's figures cost seconds of SQL at 1M
    tickets, and every open statistics page asked for them together). A waiter computes for
    itself when the lock goes without a value (the computing request failed) or after
    ``COMPUTING_SECONDS``."""
    lock = f"{full_key}:computing"
    computing = cache.add(lock, 1, timeout=COMPUTING_SECONDS)
    if not computing:
        deadline = time.monotonic() + COMPUTING_SECONDS
        while time.monotonic() < deadline:
            time.sleep(_WAIT_STEP)
            value = cache.get(full_key)
            if value is not None:
                return value
            if cache.get(lock) is None:
                break
    try:
        # From the primary: a replica that has not yet replayed the commit behind these versions
        # would leave an old value under new versions until the next change (helpdesk.db).
        with primary_reads():
            value = compute()
        cache.set(full_key, value, timeout)
    finally:
        if computing:
            cache.delete(lock)
    return value


def store(key: str, value: object, *, timeout: int = 300, scope: list[str] | None = None) -> None:
    """Remember ``value`` as ``cached(key, …)`` would have, for the current versions of ``scope``."""
    cache.set(_full_key(key, scope), value, timeout)


def peek(key: str, *, scope: list[str] | None = None) -> object | None:
    """What ``cached(key, …)`` holds for the current versions of ``scope``, or None (never computes)."""
    return cache.get(_full_key(key, scope))


def _full_key(key: str, scope: list[str] | None) -> str:
    scope = scope or [VERSION_KEY]
    return f"helpdesk:{key}:v" + "-".join(str(v) for v in versions(scope))
