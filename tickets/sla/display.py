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


def duration(delta: timedelta) -> str:
    """A short duration: minutes under an hour, hours under two days, else days (rounded down,
    at least one minute)."""
    minutes = max(int(abs(delta).total_seconds()) // 60, 1)
    if minutes < 60:
        return _("%(count)d min") % {"count": minutes}
    if minutes < 48 * 60:
        return _("%(count)d h") % {"count": minutes // 60}
    return _("%(count)d d") % {"count": minutes // (24 * 60)}


def due(at: datetime | None, now: datetime | None = None) -> Due | None:
    """``at`` (a breach time) as time left or overdue; None for nothing due."""
    if at is None:
        return None
    now = now or timezone.now()
    left = at - now
    if left <= timedelta(0):
        return Due(_("%(time)s overdue") % {"time": duration(left)}, "overdue", at)
    return Due(_("in %(time)s") % {"time": duration(left)}, "soon" if left <= SOON else "ok", at)
