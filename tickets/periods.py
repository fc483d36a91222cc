"""A reporting period from what a person typed: one parser and one set of messages for the
statistics page and the statistics API.

A bound is a date (a whole day: ``until`` includes its last day) or an ISO 8601 date-time. The
period is ``[start, end)`` as aware datetimes in the current time zone. Errors are
``ValidationError``s keyed by the parameter at fault, so the page puts them next to the field
and the API answers ``400 {"since": ["..."]}``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 30
TEN_YEARS = 3660  # days: the page's longest period

INVALID = _("Give a date (2026-11-01) or a date and time (2026-11-01T09:00:00Z).")
BOTH_NEEDED = _("Give both dates for a custom period.")
REVERSED = _("The start is after the end.")
OUT_OF_RANGE = _("That date is out of range.")
TOO_LONG = _("Choose a period of at most ten years.")


class Period(NamedTuple):
    start: datetime
    end: datetime  # exclusive


def parse_bound(raw: str | None) -> date | datetime | None:
    """``raw`` as a date or a date-time; None when empty. ``ValidationError(INVALID)`` when it is
    neither (the caller knows which parameter it was)."""
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    value: date | datetime | None
    try:
        # A bare date is a whole day (parse_datetime would read it as midnight).
        value = parse_date(raw) if len(raw) <= 10 else parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(INVALID, code="invalid")
    return value


def as_datetime(value: date | datetime, *, end: bool) -> datetime:
    """A datetime as given (made aware), or a date as the start of that day (``end``: of the
    next day, so a date range includes its last day) in the current time zone."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if end:
        value = value + timedelta(days=1)
    return timezone.make_aware(datetime.combine(value, time.min))


def last_days(days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The last ``days`` days up to and including today, as (first day, last day)."""
    today = timezone.localdate()
    return today - timedelta(days=days - 1), today


def period(
    since: date | datetime | None = None, until: date | datetime | None = None, *, max_days: int | None = None
) -> Period:
    """The period from ``since`` to ``until`` (either missing: the last ``DEFAULT_DAYS`` days'
    bound). Raises ``ValidationError`` keyed ``since``/``until``: start after end, a bound out of
    range, or (with ``max_days``) a period longer than that."""
    first, last = last_days()
    since = first if since is None else since
    until = last if until is None else until
    try:
        start = as_datetime(since, end=False)
    except (OverflowError, ValueError):
        raise ValidationError({"since": [OUT_OF_RANGE]}) from None
    try:
        end = as_datetime(until, end=True)
    except (OverflowError, ValueError):
        raise ValidationError({"until": [OUT_OF_RANGE]}) from None
    # Two dates: the last day is included, so only a start after the end is reversed.
    days_only = not isinstance(since, datetime) and not isinstance(until, datetime)
    if start > end or (days_only and since > until):
        raise ValidationError({"since": [REVERSED]})
    # In whole days (rounded: a daylight-saving change makes a day 23 or 25 hours).
    if max_days is not None and round((end - start) / timedelta(days=1)) > max_days + 1:
        raise ValidationError({"until": [TOO_LONG]})
    return Period(start, end)
