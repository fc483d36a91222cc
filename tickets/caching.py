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


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        # A fresh (or evicted) key starts from the clock, never from a number used before.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        current = cache.get(VERSION_KEY)
    return current


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted: start again from the clock
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def tickets_changed() -> None:
    """Call inside the transaction that changes tickets or access; takes effect on commit."""
    transaction.on_commit(_bump, robust=True)


def cached(key: str, compute: Callable[[], T], *, timeout: int = 300) -> T:
    """``compute()``, remembered under ``key`` for the current version of the desk."""
    full_key = f"helpdesk:{key}:v{version()}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value


def peek(key: str) -> object | None:
    """What ``cached(key, …)`` holds for the current version of the desk, or None (never computes)."""
    return cache.get(f"helpdesk:{key}:v{version()}")
