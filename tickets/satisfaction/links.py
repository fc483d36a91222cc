"""The signed survey links: ``/satisfaction/<token>/?score=good``.

The token is ``django.core.signing.dumps`` (a ``TimestampSigner`` under its own salt, keyed by
``SECRET_KEY``) of the survey's ticket, solve event, requester and row: the token is the
requester's credential for that one survey, so the page works without signing in, and a link
cannot be turned into another ticket's or another solve's. It expires ``SURVEY_DAYS`` after it
was made (the mail goes out at the solve); the survey itself closes on the same clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from tickets.satisfaction import SURVEY_WINDOW
from tickets.satisfaction.models import SatisfactionRating, Score

SALT = "helpdesk.satisfaction.survey"


class LinkExpired(Exception):
    """A link whose signature holds but that is older than the survey window."""


@dataclass(frozen=True)
class SurveyKey:
    """What a token names: the survey row and the ticket, solve and requester it was made for."""

    rating_id: int
    ticket_id: int
    solve_event_id: int
    requester_id: int


def make_token(rating: SatisfactionRating) -> str:
    return signing.dumps(
        {"s": rating.pk, "t": rating.ticket_id, "e": rating.solve_event_id, "r": rating.requester_id}, salt=SALT
    )


def read_token(token: str) -> SurveyKey | None:
    """What ``token`` names; None when it is not one of ours (tampered, truncated, another salt).
    ``LinkExpired`` when it is ours but older than the survey window."""
    try:
        data = signing.loads(token, salt=SALT, max_age=SURVEY_WINDOW)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, ValueError, TypeError):
        return None
    try:
        values = (data["s"], data["t"], data["e"], data["r"])
    except (KeyError, TypeError):
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        return None
    return SurveyKey(*values)


def path(rating: SatisfactionRating, score: str | None = None) -> str:
    """The survey page's path, the answer ``score`` preselected when given."""
    url = reverse("satisfaction:rate", args=[make_token(rating)])
    return f"{url}?{urlencode({'score': score})}" if score else url


def absolute_links(rating: SatisfactionRating) -> dict[str, str]:
    """The links a survey mail carries, on the site's address (``HELPDESK_SITE_URL``)."""
    site = settings.HELPDESK_SITE_URL.rstrip("/")
    token_path = path(rating)
    return {
        "good_url": f"{site}{token_path}?score={Score.GOOD}",
        "bad_url": f"{site}{token_path}?score={Score.BAD}",
    }
