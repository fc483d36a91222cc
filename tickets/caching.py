"""Cached reads that must never be stale after a change (issue 6).

One version number in the cache stands for "the tickets as they are now". Every change bumps it
once its transaction has committed (services write a history event for every change; access
changes in ``accounts.services`` bump it too), and cached values are stored under the version
they were computed at — so a changed desk simply stops finding the old values. A reader who
started before a commit stores under the old version, which nobody asks for again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
VERSION_KEY = "helpdesk:tickets:version"
#: A second version for the statistics, bumped only by changes that move a figure (see
#: ``tickets_changed``): customers filing and writing do not throw away every agent's statistics.
STATISTICS_KEY = "helpdesk:statistics:version"


def version(key: str = VERSION_KEY) -> int:
    current = cache.get(key)
    if current is None:
        # A fresh (or evicted) key starts from the clock, never from a number used before.
        cache.add(key, time.time_ns(), timeout=None)
        current = cache.get(key)
    return current


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # the key was evicted: start again from the clock
        cache.set(key, time.time_ns(), timeout=None)


def tickets_changed(*, statistics: bool = True) -> None:
    """Call inside the transaction that changes tickets or access; takes effect on commit.

    ``statistics=False`` for a change no statistic counts (a customer's ticket or reply, a note,
    tags, priority…): cached queue counts go, cached statistics stay.
    """
    transaction.on_commit(lambda: _bump(VERSION_KEY), robust=True)
    if statistics:
        transaction.on_commit(lambda: _bump(STATISTICS_KEY), robust=True)


def cached(key: str, compute: Callable[[], T], *, timeout: int = 300, version_key: str = VERSION_KEY) -> T:
    """``compute()``, remembered under ``key`` for the current version (of the desk, by default)."""
    full_key = f"helpdesk:{key}:v{version(version_key)}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value


def peek(key: str) -> object | None:
    """What ``cached(key, …)`` holds for the current version of the desk, or None (never computes)."""
    return cache.get(f"helpdesk:{key}:v{version()}")
