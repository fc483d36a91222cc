"""Date-times read by psycopg's C loader (helpdesk/db/timestamps.py) are the values Django's own
loader reads, and the loader is only put on connections whose session is in UTC."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, connections
from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]

from helpdesk.db import timestamps

pytestmark = pytest.mark.postgres

TEXTS = [
    "2026-12-01 07:40:40.233870+00",
    "2026-03-29 01:30:00+02",  # a summer-time change in Europe
    "2026-11-01 01:30:00-04",  # and in the United States
    "1999-12-31 23:59:59.999999-12",
    "2000-01-01 00:00:00+14",
    "2026-06-15 12:00:00+05:30",
    "2026-06-15 12:00:00+05:45:30",
    "0001-01-02 00:00:00+00",
    "9999-12-30 23:59:59.5+00",
]


def _read(cursor) -> list[datetime.datetime]:
    cursor.execute("SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [TEXTS])
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_the_c_loader_reads_what_djangos_loader_reads():
    assert timestamps.native_is_c(), "psycopg's binary package is pinned in requirements.txt"
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(timestamps._TIMESTAMPTZ_OID, 0)
    assert loader is timestamps.UtcTimestamptzLoader
    with connection.cursor() as cursor:  # Django keeps it on its cursors (it compares ``timezone``)
        assert cursor.connection.adapters.get_loader(timestamps._TIMESTAMPTZ_OID, 0) is timestamps.UtcTimestamptzLoader
        assert cursor.cursor.adapters.get_loader(timestamps._TIMESTAMPTZ_OID, 0) is timestamps.UtcTimestamptzLoader
        ours = _read(cursor)
    with connection.cursor() as cursor:
        register_tzloader(datetime.UTC, cursor)  # Django's Python loader, on this cursor only
        djangos = _read(cursor)
        assert type(cursor.adapters.get_loader(timestamps._TIMESTAMPTZ_OID, 0)) is not timestamps.UtcTimestamptzLoader
    assert ours == djangos
    assert all(value.tzinfo is datetime.UTC for value in ours)
    assert ours[1] == datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC)
    assert ours[6] == datetime.datetime(2026, 6, 15, 6, 14, 30, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_a_ticket_reads_back_the_instants_it_was_written_with(ticket):
    from tickets.models import Ticket

    moment = datetime.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=datetime.UTC)
    Ticket.objects.filter(pk=ticket.pk).update(sla_breach_at=moment)
    read = Ticket.objects.get(pk=ticket.pk)
    assert read.sla_breach_at == moment and read.sla_breach_at.tzinfo is datetime.UTC
    assert read.created_at == ticket.created_at


@pytest.mark.django_db(transaction=True)
def test_a_session_in_another_time_zone_keeps_djangos_loader():
    other = connections.create_connection("default")
    try:
        other.ensure_connection()
        assert other.connection.adapters.get_loader(timestamps._TIMESTAMPTZ_OID, 0) is timestamps.UtcTimestamptzLoader
        with other.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'Europe/Paris'")
        register_tzloader(other.timezone, other.connection)  # Django's loader back on the connection
        timestamps.install(connection=other)
        kept = other.connection.adapters.get_loader(timestamps._TIMESTAMPTZ_OID, 0)
        assert kept is not timestamps.UtcTimestamptzLoader
    finally:
        # Not back into the connection pool with a Paris session and Django's loader: the next
        # test to borrow it would read every date-time an hour off.
        if other.connection is not None:
            other.connection.close()
        other.close()
