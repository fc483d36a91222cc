"""helpdesk.moments gives Django's own text for date-times ("3 hours ago", the localized date and
time), whatever it remembers between calls."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.test import override_settings
from django.utils import formats, timezone, translation

from helpdesk import moments

# Deltas around every boundary naturaltime and timesince know (seconds, minutes, hours, a day,
# weeks, months of every length, years), in the past and in the future, plus random ones.
_BOUNDARIES = [0, 1, 59, 60, 61, 3599, 3600, 3601, 86399, 86400, 86401, 7 * 86400, 30 * 86400, 31 * 86400]
_DELTAS = sorted({sign * (seconds + nudge) for seconds in _BOUNDARIES for nudge in (0, 2) for sign in (1, -1)})
_DELTAS += [random.Random(19).randint(-(10**9), 10**9) for _ in range(400)]


def _values() -> list[datetime]:
    # Month ends and a leap day, where timesince's months are uneven; plus values relative to now.
    fixed = [datetime(2024, 2, 29, 23, 30, tzinfo=UTC), datetime(2025, 1, 31, 0, 0, 5, tzinfo=UTC)]
    now = datetime.now(UTC) + timedelta(seconds=5)  # not at the same second as the call below
    relative = [now - timedelta(seconds=delta) for delta in _DELTAS]
    # Some in another zone, as a value from elsewhere may come (timesince converts between them).
    kolkata = ZoneInfo("Asia/Kolkata")
    return fixed + relative + [value.astimezone(kolkata) for value in relative[::7]]


@pytest.mark.parametrize("language", ["en", "es"])
def test_natural_time_is_djangos_text(language):
    values = _values()
    with translation.override(language):
        # Twice: the second pass reads what the first remembered.
        for _ in range(2):
            for value in values:
                expected = str(naturaltime(value))
                assert str(moments.natural_time(value)) == expected, value


def test_natural_time_remembers_each_language_apart():
    value = datetime.now(UTC) - timedelta(days=3, hours=2, seconds=10)
    with translation.override("en"):
        english = moments.natural_time(value)
    with translation.override("es"):
        spanish = moments.natural_time(value)
    assert english == "3\xa0days, 2\xa0hours ago"
    assert spanish == "hace 3\xa0días, 2\xa0horas"


def test_natural_time_hands_anything_else_to_django():
    naive = datetime.now() - timedelta(hours=2)
    for value in (naive, "not a date", None):
        assert moments.natural_time(value) == naturaltime(value)


@pytest.mark.parametrize("zone", ["UTC", "America/Mexico_City", "Asia/Kolkata", "Pacific/Chatham"])
@pytest.mark.parametrize("language", ["en", "es", "bs"])
def test_local_time_text_is_djangos_text(language, zone):
    # "bs" formats with the time zone's name ("T"), so its text is never remembered by the minute.
    values = _values()
    # Seconds apart in one minute, the same minute a day later, and a summer-time change.
    minute = datetime(2026, 3, 8, 7, 59, tzinfo=UTC)
    values += [minute + timedelta(seconds=s) for s in (0, 1, 59, 60, 86400, 3600 * 10)]
    with translation.override(language), timezone.override(zone):
        for _ in range(2):
            for value in values:
                assert moments.local_time_text(value) == formats.localize(timezone.localtime(value)), value


def test_local_time_text_remembers_each_language_and_zone_apart():
    value = datetime(2026, 12, 1, 18, 45, 12, tzinfo=UTC)
    with translation.override("en"), timezone.override("UTC"):
        assert moments.local_time_text(value) == "Dec. 1, 2026, 6:45 p.m."
    with translation.override("es"), timezone.override("UTC"):
        assert moments.local_time_text(value) == "1 de diciembre de 2026 a las 18:45"
    with translation.override("en"), timezone.override("America/Mexico_City"):
        assert moments.local_time_text(value) == "Dec. 1, 2026, 12:45 p.m."


@pytest.mark.parametrize(
    ("date_format", "minute_at_most"),
    [
        ("N j, Y, P", True),
        (r"j \d\e F \d\e Y \a \l\a\s H:i", True),  # the escaped "s" is a letter, not seconds
        ("j M Y, H:i:s", False),
        ("j. N. Y. G:i T", False),
        ("c", False),
        ("U", False),
        ("H:i O", False),
        ("Y-m-d H:i e", False),
    ],
)
def test_only_formats_without_seconds_or_zones_are_remembered_by_the_minute(date_format, minute_at_most):
    assert moments._shows_minutes_at_most(date_format) is minute_at_most


def test_a_changed_translation_setting_forgets_what_was_remembered():
    # Month names and "3 days ago" come from the catalogs; Django reloads them when these change.
    value = datetime(2026, 12, 1, 18, 45, 12, tzinfo=UTC)
    with translation.override("en"), timezone.override("UTC"):
        moments.local_time_text(value)
        moments.natural_time(value - timedelta(days=3))
    assert moments._TRANSLATED and moments._minute_text.cache_info().currsize
    with override_settings(LOCALE_PATHS=[]):
        assert not moments._TRANSLATED
        assert moments._minute_text.cache_info().currsize == 0


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Europe/Sarajevo"])
@pytest.mark.parametrize("language", ["en", "es", "bs"])
def test_local_date_text_is_djangos_date_filter(language, zone):
    """The pages' "j M Y, H:i T" titles (and the zone's other letters) are the ``date`` filter's
    text of the value in the active zone, through summer-time changes and in every language;
    formats finer than a minute and naive values go to Django each time."""
    from django.template import defaultfilters

    values = _values()
    # Seconds apart in one minute, and both sides of New York's and Sarajevo's clock changes
    # (the hour that repeats: the same local minute at two offsets).
    for start in (datetime(2026, 3, 8, 6, 59, tzinfo=UTC), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)):
        values += [start + timedelta(seconds=s) for s in (0, 1, 59, 60, 3600, 3601, 7200)]
    values += [datetime(2026, 10, 25, 0, 30, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(5)]
    formats_ = ["j M Y, H:i T", "Y-m-d H:i e O Z I", "j M Y, H:i:s", "c", "N j, Y, P"]
    with translation.override(language), timezone.override(zone):
        for _ in range(2):
            for value in values:
                for date_format in formats_:
                    expected = defaultfilters.date(timezone.localtime(value), date_format)
                    assert moments.local_date_text(value, date_format) == expected, (value, date_format)
        for other in (datetime(2026, 12, 1, 9, 30), None, ""):
            assert moments.local_date_text(other, "j M Y, H:i T") == defaultfilters.date(other, "j M Y, H:i T")
