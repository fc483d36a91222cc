"""Date-times with a time zone read from PostgreSQL by psycopg's C loader (issue 19).

Django's PostgreSQL backend reads every ``timestamptz`` through a Python loader: psycopg's
pure-Python parser (a regular expression and a ``datetime`` built field by field), then
``replace(tzinfo=…)`` with the connection's time zone. That is about 4 µs a value. A list page
reads hundreds (a ticket row holds seven), and the statistics' running day thousands: on the
statistics page after a new ticket it was most of the CPU. psycopg's binary package (which
``requirements.txt`` installs) parses the same text in C, already in the session's time zone.

``install`` (a ``connection_created`` receiver) puts a loader in front of that C parser on each
new PostgreSQL connection whose time zone is UTC — Django's own setting for a database with
``USE_TZ`` and no ``TIME_ZONE`` of its own, which Django also sets as the session's time zone.
The values are the same instants with the same ``tzinfo`` (``datetime.timezone.utc``) as Django's
loader gives (``helpdesk/tests/test_timestamps.py`` compares the two). Any other configuration
keeps Django's loader.
"""

from __future__ import annotations

import datetime
from typing import Any

from psycopg import abc
from psycopg import adapters as default_adapters
from psycopg.adapt import Loader
from psycopg.pq import Format

_TIMESTAMPTZ_OID = default_adapters.types["timestamptz"].oid
#: psycopg's own text loader of ``timestamptz``: the C one when psycopg's binary package is installed.
_native = default_adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
assert _native is not None  # psycopg registers one for every built-in type
_NATIVE: type[abc.Loader] = _native


class UtcTimestamptzLoader(Loader):
    """Hands each value to psycopg's own loader. The C row loader looks ``load`` up once per
    column of a result and keeps it, so the instance attribute set here makes every value a call
    of the C parser alone."""

    # Django compares this with the connection's time zone on every cursor it opens
    # (``DatabaseWrapper.create_cursor``) and registers its own loader when they differ.
    timezone = datetime.UTC

    def __init__(self, oid: int, context: Any = None):
        super().__init__(oid, context)
        self.load = _NATIVE(oid, context).load  # type: ignore[method-assign]

    def load(self, data: Any) -> datetime.datetime:  # replaced per instance in __init__
        raise NotImplementedError


def native_is_c() -> bool:
    """Whether psycopg's loader is its C one (with the pure-Python package it is the same
    parser as Django's, and nothing is gained)."""
    return _NATIVE.__module__.startswith("psycopg_binary") or _NATIVE.__module__.startswith("psycopg_c")


def install(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """``connection_created`` receiver: the C-backed loader on a PostgreSQL connection in UTC."""
    if connection is None or connection.vendor != "postgresql" or not native_is_c():
        return
    if connection.timezone is not datetime.UTC or connection.connection.info.timezone is not datetime.UTC:
        return
    connection.connection.adapters.register_loader(_TIMESTAMPTZ_OID, UtcTimestamptzLoader)
