"""Business-time arithmetic against an independent oracle: a walker that steps minute by minute
over UTC, asking the zone for each minute's wall clock — no segments, no bisection, no week
skipping — on hundreds of generated schedules, starts and durations (DST weekends of Madrid and
New York included), plus named cases."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.sla.businesstime import (
    Calendar,
    Interval,
    add_business_time,
    add_time,
    business_time_between,
)

MINUTE = timedelta(minutes=1)
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def _open(zone, intervals, day, moment):
    wall = moment.astimezone(zone)
    if day(wall.date()):
        return False
    t = wall.time().replace(tzinfo=None)
    return any(i.weekday == wall.weekday() and i.start <= t < i.end for i in intervals)


def oracle_add(zone, intervals, holidays, start, minutes):
    """Step minute by minute until ``minutes`` open minutes have passed."""
    moment, left = start, minutes
    while left > 0:
        if _open(zone, intervals, lambda d: d in holidays, moment):
            left -= 1
        moment += MINUTE
    return moment


def oracle_between(zone, intervals, holidays, start, end):
    moment, count = start, 0
    while moment < end:
        count += _open(zone, intervals, lambda d: d in holidays, moment)
        moment += MINUTE
    return timedelta(minutes=count)


def _calendar(zone, intervals, holidays):
    return Calendar(zone, tuple(intervals), lambda d: d in holidays)


def _random_intervals(rng):
    intervals = []
    for weekday in range(7):
        if rng.random() < 0.3:
            continue
        cursor = rng.randrange(0, 10 * 60, 15)
        for _ in range(rng.randint(1, 3)):
            start = cursor + rng.randrange(0, 4 * 60, 5)
            end = start + rng.randrange(5, 6 * 60, 5)
            if end >= 24 * 60:
                break
            intervals.append(Interval(weekday, time(start // 60, start % 60), time(end // 60, end % 60)))
            cursor = end
    if not intervals:
        intervals.append(Interval(2, time(9), time(17)))
    return intervals


# Weekends of daylight-saving changes (and ordinary weeks) to start near.
ANCHORS = [
    (MADRID, datetime(2026, 3, 28, tzinfo=UTC)),
    (MADRID, datetime(2026, 10, 24, tzinfo=UTC)),
    (NEW_YORK, datetime(2026, 3, 7, tzinfo=UTC)),
    (NEW_YORK, datetime(2026, 10, 31, tzinfo=UTC)),
    (NEW_YORK, datetime(2026, 6, 10, tzinfo=UTC)),
    (BERLIN, datetime(2026, 12, 20, tzinfo=UTC)),
]


def _cases(count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        zone, anchor = rng.choice(ANCHORS)
        intervals = _random_intervals(rng)
        holidays = {anchor.date() + timedelta(days=rng.randrange(-3, 20)) for _ in range(rng.randint(0, 4))}
        start = anchor + timedelta(minutes=rng.randrange(-3 * 24 * 60, 3 * 24 * 60))
        minutes = rng.choice([0, 1, rng.randrange(1, 120), rng.randrange(60, 60 * 24), rng.randrange(60, 60 * 24 * 4)])
        if rng.random() < 0.1:
            minutes = rng.randrange(60 * 40, 60 * 24 * 5)  # weeks of business time
        yield zone, intervals, holidays, start, minutes


@pytest.mark.parametrize("chunk", range(6))
def test_add_business_time_agrees_with_the_minute_walker(chunk):
    for zone, intervals, holidays, start, minutes in _cases(50, seed=1700 + chunk):
        cal = _calendar(zone, intervals, holidays)
        expected = oracle_add(zone, intervals, holidays, start, minutes)
        got = add_business_time(cal, start, timedelta(minutes=minutes))
        # The oracle lands at the end of the last counted minute: exactly the due instant.
        if minutes:
            assert got == expected, (zone, intervals, holidays, start, minutes)
        else:
            assert got == start
        # The inverse property on the same case.
        assert business_time_between(cal, start, got) == timedelta(minutes=minutes)


@pytest.mark.parametrize("chunk", range(4))
def test_business_time_between_agrees_with_the_minute_walker(chunk):
    rng = random.Random(99 + chunk)
    for zone, intervals, holidays, start, _minutes in _cases(50, seed=4200 + chunk):
        end = start + timedelta(minutes=rng.randrange(0, 60 * 24 * rng.choice([1, 3, 12])))
        cal = _calendar(zone, intervals, holidays)
        assert business_time_between(cal, start, end) == oracle_between(zone, intervals, holidays, start, end), (
            zone,
            intervals,
            holidays,
            start,
            end,
        )


def test_the_oracle_is_not_trivially_the_identity():
    """Guard for the oracle itself: a closed weekend really is skipped."""
    week = [Interval(d, time(9), time(17)) for d in range(5)]
    start = datetime(2026, 6, 5, 16, tzinfo=MADRID)  # Friday 16:00
    assert oracle_add(MADRID, week, set(), start, 120) == datetime(2026, 6, 8, 10, tzinfo=MADRID)


WEEKDAYS_9_17 = [Interval(d, time(9), time(17)) for d in range(5)]


def _german_holidays(d: date) -> bool:
    import holidays

    return d in holidays.country_holidays("DE", years=d.year)


def test_berlin_christmas_four_business_hours():
    """The issue's frozen case: Thursday 24 Dec 2026 16:00 in Berlin, German holidays, 4 business
    hours → Monday 28 Dec 12:00 (the 25th and 26th are holidays, then the weekend)."""
    cal = Calendar(BERLIN, tuple(WEEKDAYS_9_17), _german_holidays)
    due = add_business_time(cal, datetime(2026, 12, 24, 16, tzinfo=BERLIN), timedelta(hours=4))
    assert due == datetime(2026, 12, 28, 12, tzinfo=BERLIN)


def test_several_intervals_a_day_skip_the_lunch_break():
    split = [Interval(0, time(9), time(12, 30)), Interval(0, time(13, 30), time(18))]
    cal = Calendar(MADRID, tuple(split))
    monday = datetime(2026, 6, 1, 12, tzinfo=MADRID)
    assert add_business_time(cal, monday, timedelta(hours=1)) == datetime(2026, 6, 1, 14, tzinfo=MADRID)
    assert business_time_between(
        cal, datetime(2026, 6, 1, 8, tzinfo=MADRID), datetime(2026, 6, 1, 19, tzinfo=MADRID)
    ) == (timedelta(hours=8))


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (datetime(2026, 6, 1, 7, tzinfo=MADRID), 1, datetime(2026, 6, 1, 10, tzinfo=MADRID)),  # before opening
        (datetime(2026, 6, 1, 20, tzinfo=MADRID), 1, datetime(2026, 6, 2, 10, tzinfo=MADRID)),  # after closing
        (datetime(2026, 6, 1, 9, tzinfo=MADRID), 8, datetime(2026, 6, 1, 17, tzinfo=MADRID)),  # exactly the day
        (datetime(2026, 6, 1, 17, tzinfo=MADRID), 1, datetime(2026, 6, 2, 10, tzinfo=MADRID)),  # at closing
        (datetime(2026, 6, 6, 12, tzinfo=MADRID), 1, datetime(2026, 6, 8, 10, tzinfo=MADRID)),  # on a Saturday
        (datetime(2026, 6, 1, 9, tzinfo=MADRID), 40 * 10, datetime(2026, 8, 7, 17, tzinfo=MADRID)),  # 10 weeks
    ],
)
def test_named_cases(start, hours, due):
    cal = Calendar(MADRID, tuple(WEEKDAYS_9_17))
    assert add_business_time(cal, start, timedelta(hours=hours)) == due
    assert business_time_between(cal, start, due) == timedelta(hours=hours)


def test_start_on_a_holiday_waits_for_the_next_open_day():
    cal = Calendar(MADRID, tuple(WEEKDAYS_9_17), lambda d: d == date(2026, 6, 1))
    assert add_business_time(cal, datetime(2026, 6, 1, 10, tzinfo=MADRID), timedelta(minutes=30)) == datetime(
        2026, 6, 2, 9, 30, tzinfo=MADRID
    )


def test_zero_duration_is_the_start_even_when_closed():
    cal = Calendar(MADRID, tuple(WEEKDAYS_9_17))
    sunday = datetime(2026, 6, 7, 3, tzinfo=MADRID)
    assert add_business_time(cal, sunday, timedelta(0)) == sunday
    assert business_time_between(cal, sunday, sunday) == timedelta(0)


def test_between_backwards_is_negative():
    cal = Calendar(MADRID, tuple(WEEKDAYS_9_17))
    a, b = datetime(2026, 6, 1, 9, tzinfo=MADRID), datetime(2026, 6, 1, 11, tzinfo=MADRID)
    assert business_time_between(cal, b, a) == -timedelta(hours=2)


def test_night_interval_across_daylight_saving_is_real_time():
    night = tuple(Interval(d, time(0), time(6)) for d in range(7))
    cal = Calendar(MADRID, night)
    spring = datetime(2026, 3, 29, tzinfo=MADRID)  # clocks jump 02:00 → 03:00
    autumn = datetime(2026, 10, 25, tzinfo=MADRID)  # clocks fall back 03:00 → 02:00
    assert business_time_between(cal, spring, spring + timedelta(hours=12)) == timedelta(hours=5)
    assert business_time_between(cal, autumn, autumn + timedelta(hours=12)) == timedelta(hours=7)


def test_long_durations_are_fast():
    import time as clock

    cal = Calendar(NEW_YORK, tuple(WEEKDAYS_9_17))
    began = clock.perf_counter()
    due = add_business_time(cal, datetime(2026, 1, 5, 9, tzinfo=NEW_YORK), timedelta(hours=8 * 5 * 200))
    assert business_time_between(cal, datetime(2026, 1, 5, 9, tzinfo=NEW_YORK), due) == timedelta(hours=8000)
    assert clock.perf_counter() - began < 0.5


def test_naive_datetimes_and_empty_schedules_are_refused():
    with pytest.raises(ValueError):
        add_business_time(Calendar(MADRID, tuple(WEEKDAYS_9_17)), datetime(2026, 6, 1, 9), timedelta(hours=1))
    with pytest.raises(ValueError):
        add_business_time(Calendar(MADRID, ()), datetime(2026, 6, 1, 9, tzinfo=UTC), timedelta(hours=1))
    with pytest.raises(ValueError):
        Interval(0, time(18), time(9))


def test_calendar_hours_are_plain_timedelta():
    start = datetime(2026, 3, 28, 12, tzinfo=MADRID)
    due = add_time(None, start, timedelta(hours=24), business=False)
    assert due == start.astimezone(UTC) + timedelta(hours=24)  # real hours:
    assert due.astimezone(MADRID).hour == 13  # the clocks went forward overnight
