"""A person's language and time zone: which ones a page, a mail or an API answer uses.

``User.language`` blank follows the browser (Accept-Language, through Django's LocaleMiddleware)
on pages and API answers; mail has no browser, so it goes out in the desk's default language
(``settings.LANGUAGE_CODE``). ``User.time_zone`` blank is the desk's ``settings.TIME_ZONE``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _


def language_choices() -> list[tuple[str, str]]:
    """The languages a person may choose, each named in its own words."""
    return [(code, name) for code, name in settings.LANGUAGES]


@cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(value: str) -> bool:
    """Whether ``value`` is an IANA zone name this machine knows. The names are read from disk
    once per process: ``zoneinfo.available_timezones()`` walks the zone directory on every call
    (11–33 ms here), which the SLA schedule form used to do twice per page."""
    return value in _time_zone_names()


def time_zone_names() -> list[str]:
    """Every IANA zone name this machine knows, sorted."""
    return sorted(_time_zone_names())


@cache
def time_zone_options() -> SafeString:
    """The profile's zone suggestions, ``<option>`` per name: written once per process, where a
    template loop over 600 names cost every profile page some 10 ms."""
    return format_html_join("", '<option value="{}"></option>', ((zone,) for zone in time_zone_names()))


def validate_time_zone(value: str) -> None:
    """Blank, or an IANA zone name (``Europe/Madrid``); else a ``ValidationError``."""
    if not value:
        return
    if not is_time_zone(value):
        raise ValidationError(
            _("Unknown time zone “%(zone)s”; use a name such as Europe/Madrid or America/Mexico_City."),
            code="invalid_time_zone",
            params={"zone": value},
        )


def validate_language(value: str) -> None:
    """Blank (follow the browser), or one of ``settings.LANGUAGES``."""
    if value and value not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the languages offered."), code="invalid_language")


def language_for(user, fallback: str | None = None) -> str:
    """The language mail to ``user`` is written in: their choice, else ``fallback`` (e.g. the
    language of the page that asked for the mail), else the desk's default."""
    chosen = getattr(user, "language", "") if user is not None else ""
    return chosen or fallback or settings.LANGUAGE_CODE


def time_zone_for(user) -> zoneinfo.ZoneInfo:
    """The zone dates are shown in for ``user``: their choice, else the desk's ``TIME_ZONE``."""
    chosen = getattr(user, "time_zone", "") if user is not None else ""
    try:
        return zoneinfo.ZoneInfo(chosen or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone this machine no longer knows
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def activate_for_request(request, user) -> None:
    """A signed-in request: ``user``'s language when they chose one (else the browser's, which
    LocaleMiddleware already activated) and their time zone."""
    if getattr(user, "language", ""):
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
    timezone.activate(time_zone_for(user))


@contextmanager
def speaking_to(user, *, fallback: str | None = None) -> Iterator[None]:
    """Write for ``user``: their language (else ``fallback``, else the desk's default) and time
    zone inside the block, whatever was active before, which is restored after it. Every mail to a
    person is rendered inside one of these, so one recipient's language never leaks to the next
    (nor the actor's into a recipient's)."""
    with translation.override(language_for(user, fallback)), timezone.override(time_zone_for(user)):
        yield
