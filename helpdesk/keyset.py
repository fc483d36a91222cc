"""Keyset pagination: the one paginator behind every list (pages and API alike).

A list is ordered by a whitelisted sort key and the primary key in the same direction, so every
position is unique, and a page is one indexed range query (``WHERE (updated_at, id) < (…)``
… ``LIMIT size + 1``), however deep the reader pages — never OFFSET, never a COUNT: the one row
past the page tells whether more follow. A cursor is an opaque URL-safe string holding the
direction, the sort keys it was made for and the values of the row at the page's edge.

Plain Django, no domain rules: ``tickets.selectors.listing`` names the ticket sorts, and
``helpdesk.api.pagination.CursorPagination`` puts pages into API answers.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _

from helpdesk.text import unstorable

#: (column, descending): one sort key. A list's keys end with ("id", <same direction>).
Key = tuple[str, bool]

NEXT, PREVIOUS = "next", "previous"


class BadOrdering(ValueError):
    """The asked-for sort is not one the list offers (the message says which are)."""


class BadCursor(ValueError):
    """A cursor that is damaged, forged, or was made for another sort order (``other_order``)."""

    def __init__(self, *, other_order: bool = False):
        super().__init__("cursor made for another sort order" if other_order else "damaged cursor")
        self.other_order = other_order


@dataclass
class Page:
    """One page of a list and the cursors of the pages around it (None: there is none)."""

    items: list
    next_cursor: str | None
    previous_cursor: str | None


def ordering_keys(fields: Mapping[str, str | tuple[str, ...]], wanted: str) -> list[Key]:
    """The keys of sort ``wanted`` (a public name from ``fields``, ``-`` reverses it).

    ``fields`` maps public names to a column, or to several (compared in turn, each in the
    sort's direction); a column written ``-column`` sorts descending by default (e.g. relevance:
    best first). The primary key breaks ties in the same direction.
    """
    name = wanted.removeprefix("-")
    if name not in fields:
        allowed = ", ".join(sorted(fields))
        raise BadOrdering(
            _("Cannot sort by “%(wanted)s”; use one of: %(allowed)s (with - to reverse).")
            % {"wanted": wanted, "allowed": allowed}
        )
    reverse = wanted.startswith("-")
    spec = fields[name]
    keys: list[Key] = []
    for column in (spec,) if isinstance(spec, str) else spec:
        descending = reverse
        if column.startswith("-"):
            column, descending = column[1:], not descending
        keys.append((column, descending))
    return keys if keys[-1][0] == "id" else [*keys, ("id", reverse)]


def order_by(keys: list[Key], qs: QuerySet | None = None) -> list[str | OrderBy]:
    """``keys`` as ``order_by`` arguments. A nullable column of ``qs``'s model sorts its NULLs
    last ascending and first descending (each order the exact reverse of the other, on every
    database: PostgreSQL's default, which its b-tree index serves both ways)."""
    nullable = _nullable(qs, keys) if qs is not None else set()
    return [
        (F(column).desc(nulls_first=True) if desc else F(column).asc(nulls_last=True))
        if column in nullable
        else (f"-{column}" if desc else column)
        for column, desc in keys
    ]


def _nullable(qs: QuerySet, keys: list[Key]) -> set[str]:
    found = set()
    for column, _desc in keys:
        try:
            field = qs.model._meta.get_field(column)
        except FieldDoesNotExist:
            continue
        if getattr(field, "null", False):
            found.add(column)
    return found


def page(qs: QuerySet, keys: list[Key], *, cursor: str | None, size: int, heads: Sequence[QuerySet] = ()) -> Page:
    """The page of ``qs`` in ``keys`` order that ``cursor`` points to (the first without one).

    Fetches ``size + 1`` rows past the cursor's position — backwards for a ``previous`` cursor —
    so the page knows whether another follows. Raises ``BadCursor`` for a cursor it cannot use.

    ``heads``: querysets whose union holds every row of ``qs`` (each may hold more), for a list
    whose one condition no index serves in order but whose parts each have one (``My tickets``:
    the customer's own requests, and the rest). The page's ids are picked from the first
    ``size + 1`` ids of each part, merged in order, and the rows then read from ``qs`` — so
    ``qs`` still decides what may be shown, and each part costs a page's worth of rows. Keys
    must be non-nullable columns here.
    """
    direction, values = decode(cursor, keys, qs) if cursor else (NEXT, None)
    walk = keys if direction == NEXT else [(column, not desc) for column, desc in keys]
    qs = qs.order_by(*order_by(walk, qs))
    if values is not None:
        qs = qs.filter(after(walk, values, _nullable(qs, keys)))
    if heads:
        qs = qs.filter(pk__in=_first_ids(heads, walk, values, size + 1))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if direction == PREVIOUS:
        rows.reverse()
    has_next = more if direction == NEXT else values is not None
    has_previous = values is not None if direction == NEXT else more
    return Page(
        rows,
        encode(NEXT, keys, rows[-1]) if rows and has_next else None,
        encode(PREVIOUS, keys, rows[0]) if rows and has_previous else None,
    )


def heads_union(heads: Sequence[QuerySet], walk: list[Key], values: list | None, count: int) -> list[QuerySet]:
    """The first ``count`` rows (sort columns and id) of each of ``heads`` past ``values`` in
    ``walk`` order: one UNION ALL queryset on databases that can order and limit each part of
    one, else one queryset per head."""
    columns = [column for column, _desc in walk]
    parts = []
    for head in heads:
        head = head.order_by(*order_by(walk))
        if values is not None:
            head = head.filter(after(walk, values))
        parts.append(head.values_list(*columns)[:count])
    if len(parts) > 1 and connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        return [parts[0].union(*parts[1:], all=True)]
    return parts


def _first_ids(heads: Sequence[QuerySet], walk: list[Key], values: list | None, count: int) -> list[Any]:
    """The ids of the first ``count`` rows of the union of ``heads``, in ``walk`` order past ``values``."""
    rows = [row for part in heads_union(heads, walk, values, count) for row in part]
    for position in reversed(range(len(walk))):  # stable sorts, least significant key first
        rows.sort(key=itemgetter(position), reverse=walk[position][1])
    return list(dict.fromkeys(row[-1] for row in rows))[:count]


def after(keys: list[Key], values: list, nullable: set[str] = frozenset()) -> Q:  # type: ignore[assignment]
    """Rows strictly after ``values`` in the order ``keys``: (a, b) > (x, y) as a Q expression.
    A ``nullable`` column's NULLs come last ascending and first descending (``order_by``)."""
    condition = Q()
    for index in range(len(keys) - 1, -1, -1):
        column, desc = keys[index]
        step, same = _beyond(column, desc, values[index], column in nullable)
        condition = step if index == len(keys) - 1 else step | (same & condition)
    return condition


_NOTHING = Q(pk__in=[])


def _beyond(column: str, desc: bool, value: Any, nullable: bool) -> tuple[Q, Q]:
    """(rows past ``value`` in ``column``'s direction, rows equal to it)."""
    if not nullable:
        return Q(**{f"{column}__{'lt' if desc else 'gt'}": value}), Q(**{column: value})
    isnull = Q(**{f"{column}__isnull": True})
    if value is None:  # ascending: nothing after the NULLs; descending: every value after them
        return (~isnull if desc else _NOTHING), isnull
    if desc:
        return Q(**{f"{column}__lt": value}), Q(**{column: value})
    return Q(**{f"{column}__gt": value}) | isnull, Q(**{column: value})


def encode(direction: str, keys: list[Key], row: Any) -> str:
    """The cursor of the position just past ``row`` going ``direction``."""
    values = []
    for column, _direction in keys:
        value = getattr(row, column)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    payload = {"d": direction, "k": [column for column, _ in keys], "v": values}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str, keys: list[Key], qs: QuerySet) -> tuple[str, list]:
    """The direction and edge values of ``cursor``, checked against the columns of ``keys``."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"==").decode("utf-8"))
        direction, made_for, raw = payload["d"], payload["k"], payload["v"]
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        raise BadCursor() from None
    if made_for != [column for column, _ in keys]:
        raise BadCursor(other_order=isinstance(made_for, list))
    if direction not in (NEXT, PREVIOUS) or not isinstance(raw, list) or len(raw) != len(keys):
        raise BadCursor()
    try:
        values = [_value(qs, column, value) for (column, _), value in zip(keys, raw, strict=True)]
    except (ValueError, TypeError, ValidationError, OverflowError):
        raise BadCursor() from None
    return direction, values


def _value(qs: QuerySet, column: str, raw: Any) -> Any:
    """``raw`` as a value of ``column`` the database can compare with, or ValueError."""
    field = _field(qs, column)
    if raw is None and _nullable(qs, [(column, False)]):
        return None  # the edge row has no value in a nullable column (NULLs sort last)
    if isinstance(raw, dict | list | bool) or raw is None or unstorable(raw) is not None:
        raise ValueError(column)
    value = field.to_python(raw)
    if isinstance(value, int) and not -(2**63) < value < 2**63:
        raise ValueError(column)  # would overflow the database's integer columns
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(column)
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(column)  # every cursor we make has a time zone
    return value


def _field(qs: QuerySet, column: str) -> models.Field:
    field: Any
    try:
        field = qs.model._meta.get_field(column)
    except FieldDoesNotExist:
        annotation = qs.query.annotations.get(column)  # a computed sort key, e.g. search relevance
        field = annotation.output_field if annotation is not None else None
    if isinstance(field, models.GeneratedField):
        field = field.output_field
    if not isinstance(field, models.Field):
        raise ValueError(column)
    return field
