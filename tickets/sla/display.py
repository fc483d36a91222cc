"""How the SLA reads to agents: a due time worded and coloured ("in 25 min", "2 h overdue").

Colour is never the only signal: the words say the same (and the class only adds a tone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

SOON = timedelta(hours=1)


@dataclass(frozen=True)
class Due:
    text: str
    tone: str  # "overdue", "soon" (within the hour) or "ok": a CSS class suffix
    at: datetime


class Wording:
    """The words of a due time in the active language, translated once: a list that words a due
    time on every row (the queue) makes one of these and hands it to ``due``."""

    def __init__(self) -> None:
        self.minutes, self.hours, self.days = _("%(count)d min"), _("%(count)d h"), _("%(count)d d")
        self.overdue, self.left = _("%(time)s overdue"), _("in %(time)s")


def duration(delta: timedelta, words: Wording | None = None) -> str:
    """A short duration: minutes under an hour, hours under two days, else days (rounded down,
    at least one minute)."""
    words = words or Wording()
    minutes = max(int(abs(delta).total_seconds()) // 60, 1)
    if minutes < 60:
        return words.minutes % {"count": minutes}
    if minutes < 48 * 60:
        return words.hours % {"count": minutes // 60}
    return words.days % {"count": minutes // (24 * 60)}


def due(at: datetime | None, now: datetime | None = None, words: Wording | None = None) -> Due | None:
    """``at`` (a breach time) as time left or overdue; None for nothing due."""
    if at is None:
        return None
    words = words or Wording()
    now = now or timezone.now()
    left = at - now
    if left <= timedelta(0):
        return Due(words.overdue % {"time": duration(left, words)}, "overdue", at)
    return Due(words.left % {"time": duration(left, words)}, "soon" if left <= SOON else "ok", at)
