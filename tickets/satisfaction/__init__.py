"""Customer satisfaction surveys (issue 18 §4).

When a ticket enters ``solved`` its requester is offered a one-question survey — good or bad,
with an optional comment — in the "solved" email (two signed links) and on the portal's ticket
page. One survey per solve; a reopened ticket solved again offers a new one. The answer can be
given and changed for ``SURVEY_DAYS`` days after the solve, as long as the ticket is not reopened.

- ``models``: ``SatisfactionRating`` (one row per solve, ``Score``);
- ``links``: the signed survey links (``django.core.signing``);
- ``services``: offering a survey at the solve (called by ``tickets.services.lifecycle``) and
  recording an answer (a ``TicketChange`` with one public history entry);
- ``selectors``: a ticket's latest survey, what a page shows, the list filter;
- ``views``/``urls``: ``/satisfaction/<token>/`` (GET confirms, only POST records);
- ``stats``: CSAT per agent, team and period; ``api``: the statistics endpoint and the API
  fields;
- ``zendesk_shape``: a rating in the shape of Zendesk's ``satisfaction_rating`` (for /api/v2/).

Surveys are on unless ``HELPDESK_SATISFACTION_SURVEYS`` is off; turning them off stops new
offers and links, and keeps the ratings already given (shown and counted as before).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from tickets.satisfaction.models import SatisfactionRating

#: How long after the solve a survey takes an answer, and a given answer can be changed.
SURVEY_DAYS = 7
SURVEY_WINDOW = timedelta(days=SURVEY_DAYS)


def enabled() -> bool:
    """Whether new surveys are offered (``HELPDESK_SATISFACTION_SURVEYS``, default on)."""
    return bool(getattr(settings, "HELPDESK_SATISFACTION_SURVEYS", True))


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def zendesk_shape(rating: SatisfactionRating | None) -> dict[str, Any] | None:
    """``rating`` as Zendesk's ticket ``satisfaction_rating`` object: ``{"id", "score", "comment",
    "created_at", "updated_at"}`` with ``score`` one of ``"good"``, ``"bad"``, ``"offered"`` (a
    survey was sent and not answered) or ``"unoffered"`` (no survey for this ticket: ``rating``
    is None while surveys are on). None when surveys are off and there is no rating, as Zendesk
    leaves the field empty for accounts without satisfaction ratings. Times are UTC ISO 8601."""
    if rating is None:
        if not enabled():
            return None
        return {"id": None, "score": "unoffered", "comment": None, "created_at": None, "updated_at": None}

    def utc(value: Any) -> str | None:
        return _iso(value.astimezone(UTC)) if value is not None else None

    return {
        "id": rating.pk,
        "score": rating.score,
        "comment": rating.comment or None,
        "created_at": utc(rating.created_at),
        "updated_at": utc(rating.updated_at),
    }
