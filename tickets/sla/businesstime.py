"""Business-time arithmetic: how far a business schedule moves the clock (issue 17).

Business time is every instant at which the wall clock *in the schedule's time zone* shows one
of the day's opening intervals, on a day that is not a holiday. Across daylight-saving changes
that is real elapsed time: a 00:00–06:00 interval lasts 5 hours on the spring-forward night and
7 hours on the fall-back night; 09:00–18:00 lasts 9 hours either way.

The arithmetic walks whole days, never minutes: each open day yields its business segments as
UTC instants (found per interval with the zone's offsets, a transition inside the interval
found by bisection), and a whole week with no holiday and no offset change is skipped at once
by its known length, so a target of months costs a few dozen steps.

``Calendar`` is the plain description the arithmetic reads (``Schedule.calendar()`` builds one
from the database); calendar-hours targets are plain ``timedelta`` additions (``add_time``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Protocol
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
WEEK = timedelta(days=7)
#: The farthest the arithmetic looks for opening hours before giving up (a schedule whose
#: every day is a holiday would otherwise never end).
HORIZON_DAYS = 366 * 20


@dataclass(frozen=True)
class Interval:
    weekday: int  # 0 = Monday … 6 = Sunday
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not self.start < self.end:
            raise ValueError("an interval must start before it ends (none crosses midnight)")


@dataclass
class Calendar:
    """Opening intervals in ``zone`` and the days that are closed (``is_holiday``)."""

    zone: ZoneInfo
    intervals: tuple[Interval, ...]
    is_holiday: Callable[[date], bool] = lambda day: False
    _by_day: dict[int, tuple[tuple[time, time], ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_day: dict[int, list[tuple[time, time]]] = {d: [] for d in range(7)}
        for interval in self.intervals:
            by_day[interval.weekday].append((interval.start, interval.end))
        for day, spans in by_day.items():
            spans.sort()
            for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
                if s2 < e1:
                    raise ValueError(f"intervals overlap on weekday {day}")
        self._by_day = {d: tuple(spans) for d, spans in by_day.items()}

    @cached_property
    def nominal_week(self) -> timedelta:
        """A week's opening hours on the wall clock (its real length when no offset changes)."""
        total = ZERO
        for spans in self._by_day.values():
            for start, end in spans:
                total += datetime.combine(date.min, end) - datetime.combine(date.min, start)
        return total

    def spans(self, day: date) -> tuple[tuple[time, time], ...]:
        return () if self.is_holiday(day) else self._by_day[day.weekday()]


class HasCalendar(Protocol):
    def calendar(self) -> Calendar: ...


def _calendar(schedule: Calendar | HasCalendar) -> Calendar:
    return schedule if isinstance(schedule, Calendar) else schedule.calendar()


# --- wall clock to instants --------------------------------------------------------------------


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset() or ZERO


def _candidates(zone: ZoneInfo, wall: datetime) -> list[datetime]:
    """The UTC instants that could show ``wall`` (naive): one, or two around a transition."""
    return [(wall - (wall.replace(tzinfo=zone, fold=fold).utcoffset() or ZERO)).replace(tzinfo=UTC) for fold in (0, 1)]


def _transition(zone: ZoneInfo, lo: datetime, hi: datetime) -> datetime:
    """The first instant in (lo, hi] whose offset differs from lo's (to the second)."""
    before = _offset(zone, lo)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0) if mid.microsecond else mid
        if mid <= lo:
            mid = lo + timedelta(seconds=1)
        if _offset(zone, mid) == before:
            lo = mid
        else:
            hi = mid
    return hi


def _segments(zone: ZoneInfo, wall_start: datetime, wall_end: datetime) -> list[tuple[datetime, datetime]]:
    """The UTC instants whose wall time in ``zone`` lies in [wall_start, wall_end) (naive)."""
    lo = min(_candidates(zone, wall_start))
    hi = max(_candidates(zone, wall_end))
    pieces = [(lo, hi)]
    if _offset(zone, lo) != _offset(zone, hi):
        cut = _transition(zone, lo, hi)
        pieces = [(lo, cut), (cut, hi)]
    out = []
    for a, b in pieces:
        offset = _offset(zone, a)
        x = max(a, (wall_start - offset).replace(tzinfo=UTC))
        y = min(b, (wall_end - offset).replace(tzinfo=UTC))
        if x < y:
            out.append((x, y))
    return out


def _day_segments(cal: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for start, end in cal.spans(day):
        out.extend(_segments(cal.zone, datetime.combine(day, start), datetime.combine(day, end)))
    return out


def _plain_week(cal: Calendar, day: date) -> bool:
    """Whether the 7 days from ``day`` have no holiday and one offset throughout."""
    if any(cal.is_holiday(day + timedelta(days=n)) for n in range(7)):
        return False
    first = datetime.combine(day, time.min) - timedelta(days=1)
    last = datetime.combine(day + timedelta(days=8), time.min)
    return _offset(cal.zone, min(_candidates(cal.zone, first))) == _offset(cal.zone, max(_candidates(cal.zone, last)))


def _walk(cal: Calendar, start: datetime) -> Iterator[tuple[date, list[tuple[datetime, datetime]]]]:
    """Each local day from the one holding ``start`` (minus one, for segments of a day whose
    wall clock runs behind), with its business segments clipped to begin at ``start``."""
    day = start.astimezone(cal.zone).date() - timedelta(days=1)
    for _ in range(HORIZON_DAYS):
        segments = [(max(a, start), b) for a, b in _day_segments(cal, day) if b > start]
        yield day, segments
        day += timedelta(days=1)
    raise ValueError("The schedule has no business hours within the horizon.")


def _check(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(UTC)


# --- the two operations ------------------------------------------------------------------------


def add_business_time(schedule: Calendar | HasCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which ``duration`` of business time has passed since ``start`` (aware,
    in UTC). Zero duration is ``start`` itself, even outside business hours."""
    cal = _calendar(schedule)
    moment = _check(start)
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    if duration == ZERO:
        return moment
    if not cal.nominal_week:
        raise ValueError("The schedule has no business hours.")
    remaining = duration
    week = cal.nominal_week
    walker = _walk(cal, moment)
    for day, segments in walker:
        for a, b in segments:
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
        # Skip whole plain weeks, starting tomorrow, while more than a week's hours remain.
        next_day = day + timedelta(days=1)
        skipped = 0
        while remaining > week and next_day >= moment.astimezone(cal.zone).date() + timedelta(days=1):
            if not _plain_week(cal, next_day):
                break
            remaining -= week
            next_day += WEEK
            skipped += 1
        if skipped:
            restart = min(_candidates(cal.zone, datetime.combine(next_day, time.min)))
            walker = _walk(cal, max(restart, moment))
            return _finish(walker, remaining)
    raise AssertionError("unreachable")  # pragma: no cover - _walk raises first


def _finish(walker: Iterator[tuple[date, list[tuple[datetime, datetime]]]], remaining: timedelta) -> datetime:
    for _day, segments in walker:
        for a, b in segments:
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
    raise AssertionError("unreachable")  # pragma: no cover


def business_time_between(schedule: Calendar | HasCalendar, start: datetime, end: datetime) -> timedelta:
    """The business time in [start, end); negative when ``end`` is before ``start``."""
    cal = _calendar(schedule)
    a0, b0 = _check(start), _check(end)
    if b0 < a0:
        return -business_time_between(cal, end, start)
    total = ZERO
    end_day = b0.astimezone(cal.zone).date() + timedelta(days=1)
    day = a0.astimezone(cal.zone).date() - timedelta(days=1)
    while day <= end_day:
        if day + timedelta(days=8) < end_day and day > a0.astimezone(cal.zone).date() and _plain_week(cal, day):
            total += cal.nominal_week
            day += WEEK
            continue
        for a, b in _day_segments(cal, day):
            x, y = max(a, a0), min(b, b0)
            if x < y:
                total += y - x
        day += timedelta(days=1)
    return total


def add_time(
    schedule: Calendar | HasCalendar | None, start: datetime, duration: timedelta, *, business: bool
) -> datetime:
    """``start`` plus ``duration`` in business hours of ``schedule``, or in calendar hours."""
    if not business or schedule is None:
        return _check(start) + duration
    return add_business_time(schedule, start, duration)


def time_between(
    schedule: Calendar | HasCalendar | None, start: datetime, end: datetime, *, business: bool
) -> timedelta:
    if not business or schedule is None:
        return _check(end) - _check(start)
    return business_time_between(schedule, start, end)
