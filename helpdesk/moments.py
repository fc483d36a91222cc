"""Date-times as lists show them, at the cost of a loop (issue 19).

A queue page prints two date-times on each of its 50 rows, an agent's timeline one on each of up
to a hundred entries: "3 hours ago" (``naturaltime``) and, on hover, the exact local time
(``localize``). Django computes both from scratch for every value: each word of "2 days, 3 hours
ago" is a lazy translation looked up again in the active catalog, and each date is formatted by
parsing the format string and translating the month's name anew — 80-200 µs a value on this
machine, most of a queue page's rows. The two functions here give Django's exact text and keep
what does not change between values:

- ``natural_time(value)`` runs Django's own algorithm (``NaturalTimeFormatter`` and
  ``timesince``) with every translated piece ("%(num)d hours", "%(delta)s ago") remembered per
  language and number, so each is looked up once per process;
- ``local_time_text(value)`` formats the value in the active time zone and language, and
  remembers the text of each local minute when the language's ``DATETIME_FORMAT`` shows nothing
  finer than minutes and nothing of the time zone (true of every language the desk speaks), so a
  ticket shown again on the next page load costs a dictionary lookup.

- ``local_date_text(value, format)``: Django's ``date`` filter with a given format, remembered
  per local minute and time zone when the format shows nothing finer than minutes (the pages'
  "j M Y, H:i T" titles).

All fall back to Django for anything else (naive values, dates, formats with seconds or zones).
The remembered text is dropped when a setting that decides it changes (tests override them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter, naturaltime
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.utils import formats, timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.timesince import timesince

# Format characters whose output depends on no more than the local date, hour and minute (Django's
# ``DateFormat``); anything else (seconds, microseconds, the zone, the offset, "U", "c", "r")
# means the text of a minute is not the same for every value in it.
_MINUTE_CHARACTERS = frozenset("aAbdDEfFgGhHijlLmMnNoPStwWyYz")
_FORMAT_CHARACTER = re.compile(r"\\.|[a-zA-Z]")
# And those that depend on the zone as well (its name, abbreviation, offset, daylight saving time):
# the same for every moment of a local minute in one zone at one offset.
_ZONE_CHARACTERS = frozenset("eIOTZ")

_TRANSLATED: dict[tuple[Any, ...], str] = {}
_TRANSLATED_LIMIT = 20_000


def _translated(language: str | None, table: str, name: str, params: dict[str, int]) -> str:
    """``NaturalTimeFormatter``'s string ``name`` of ``table`` with ``params``, in ``language`` (the
    active one), looked up once."""
    key = (language, table, name, *params.values())
    text = _TRANSLATED.get(key)
    if text is None:
        source = getattr(NaturalTimeFormatter, table)[name]
        text = str(source % params) if params else str(source)
        if len(_TRANSLATED) < _TRANSLATED_LIMIT:
            _TRANSLATED[key] = text
    return text


class _Remembered:
    """One of ``timesince``'s unit strings (``"%(num)d hours"``): ``% {"num": n}`` gives the
    translated text, remembered."""

    __slots__ = ("language", "name", "table")

    def __init__(self, language: str | None, table: str, name: str):
        self.language, self.table, self.name = language, table, name

    def __mod__(self, params: dict[str, int]) -> str:
        return _translated(self.language, self.table, self.name, params)


class _Units(dict):
    """``timesince``'s ``time_strings``: each unit as a ``_Remembered`` of one language."""

    def __init__(self, language: str | None, table: str):
        super().__init__((name, _Remembered(language, table, name)) for name in getattr(NaturalTimeFormatter, table))


@lru_cache(maxsize=64)
def _units(language: str | None, table: str) -> _Units:
    return _Units(language, table)


def natural_time(value: Any) -> Any:
    """``naturaltime(value)``, Django's text ("3 hours ago", "2 days, 1 hour from now"), for an
    aware date-time; anything else goes to Django's filter."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return naturaltime(value)
    language = translation.get_language()
    now = datetime.now(UTC)
    past = value < now
    delta = now - value if past else value - now
    if delta.days != 0:
        # Django's calls: ``timesince(value, now)``, and ``timeuntil(value, now)``, which is this.
        if past:
            words = timesince(value, now, time_strings=_units(language, "past_substrings"))
        else:
            words = timesince(value, now, reversed=True, time_strings=_units(language, "future_substrings"))
        return _translated(language, "time_strings", "past-day" if past else "future-day", {}) % {"delta": words}
    seconds = delta.seconds
    if seconds == 0:
        return _translated(language, "time_strings", "now", {})
    when = "past" if past else "future"
    if seconds < 60:
        return _translated(language, "time_strings", f"{when}-second", {"count": seconds})
    if seconds // 60 < 60:
        return _translated(language, "time_strings", f"{when}-minute", {"count": seconds // 60})
    return _translated(language, "time_strings", f"{when}-hour", {"count": seconds // 3600})


@lru_cache(maxsize=256)
def _shows_minutes_at_most(date_format_string: str) -> bool:
    """Whether a ``DateFormat`` format's text is the same for every moment of a local minute."""
    return all(
        character.startswith("\\") or character in _MINUTE_CHARACTERS
        for character in _FORMAT_CHARACTER.findall(date_format_string)
    )


@lru_cache(maxsize=8192)
def _minute_text(language: str | None, date_format_string: str, minute: datetime) -> str:
    """The text of a local minute (naive, seconds zero) in a minute-resolution format."""
    return date_format(minute, date_format_string)


@lru_cache(maxsize=256)
def _shows_minutes_and_zone_at_most(date_format_string: str) -> bool:
    return all(
        character.startswith("\\") or character in _MINUTE_CHARACTERS or character in _ZONE_CHARACTERS
        for character in _FORMAT_CHARACTER.findall(date_format_string)
    )


_ZONED_TEXT: dict[tuple[Any, ...], str] = {}
_ZONED_TEXT_LIMIT = 20_000


def local_date_text(value: Any, date_format_string: str) -> str:
    """``date`` (Django's filter) of ``value`` in the active time zone with ``date_format_string``:
    an aware date-time's text is kept per language, format, local minute and zone (name, offset,
    daylight saving) when the format shows nothing finer than a minute."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return defaultfilters.date(value, date_format_string)
    local = timezone.localtime(value)
    if not _shows_minutes_and_zone_at_most(date_format_string):
        return defaultfilters.date(local, date_format_string)
    minute = local.replace(second=0, microsecond=0)
    key = (
        translation.get_language(),
        date_format_string,
        minute.replace(tzinfo=None),
        str(local.tzinfo),
        local.utcoffset(),
        local.dst(),
        local.tzname(),
    )
    text = _ZONED_TEXT.get(key)
    if text is None:
        text = defaultfilters.date(minute, date_format_string)
        if len(_ZONED_TEXT) < _ZONED_TEXT_LIMIT:
            _ZONED_TEXT[key] = text
    return text


def local_time_text(value: Any) -> str:
    """``formats.localize(timezone.localtime(value))``: a date-time as ``{{ value }}`` shows it in
    a Django template (the active time zone, the active language's ``DATETIME_FORMAT``)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return formats.localize(value)
    local = timezone.localtime(value)
    language = translation.get_language()
    date_format_string = formats.get_format("DATETIME_FORMAT", language)
    if not _shows_minutes_at_most(date_format_string):
        return date_format(local, date_format_string)
    minute = local.replace(second=0, microsecond=0, tzinfo=None)
    return _minute_text(language, date_format_string, minute)


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    """Drop remembered text when the translation catalogs may change (Django reloads them on these;
    a changed format is a different key already)."""
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _TRANSLATED.clear()
        _units.cache_clear()
        _minute_text.cache_clear()
        _ZONED_TEXT.clear()
