"""Every write of the satisfaction surveys (DESIGN §6): offering a survey at a solve, and the
requester's answer.

``offer`` runs inside the service that solves the ticket (``tickets.services.lifecycle.set_status``
calls it with the open ``TicketChange``), so a solve that rolls back offers nothing. ``rating_give``
is a service of its own: the ticket row locked, the survey row locked, one public history entry
("rated the support Good"), saved with ``TicketChange`` and its after-commit effects.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import permissions
from tickets.exceptions import Conflict
from tickets.models import EventKind, Status, TicketEvent
from tickets.satisfaction import SURVEY_DAYS, SURVEY_WINDOW, enabled
from tickets.satisfaction.models import COMMENT_MAX, SatisfactionRating, Score

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.services.changes import TicketChange

#: The statuses in which a survey takes answers (closing a solved ticket keeps it open).
ANSWERABLE_STATUSES = (Status.SOLVED, Status.CLOSED)


class SurveyClosed(Conflict):
    """The survey takes no more answers: past its window, or the ticket was reopened (HTTP 409)."""


def offer(change: TicketChange, solve_event: TicketEvent) -> SatisfactionRating | None:
    """Offer the requester a survey about the solve ``solve_event`` that ``change`` just recorded,
    crediting the ticket's assignee and team as they are at the solve. Nothing when surveys are
    off. One INSERT, no read: the solve's own change holds everything it needs."""
    ticket = change.ticket
    if not enabled():
        return None
    return SatisfactionRating.objects.create(
        ticket=ticket,
        solve_event=solve_event,
        requester_id=ticket.requester_id,
        assignee_id=ticket.assignee_id,
        team_id=ticket.team_id,
        created_at=change.at,
        updated_at=change.at,
    )


def closes_at(rating: SatisfactionRating) -> datetime:
    """When ``rating``'s survey stops taking answers (and changes to one)."""
    return rating.created_at + SURVEY_WINDOW


def is_latest(rating: SatisfactionRating) -> bool:
    """Whether ``rating`` is its ticket's survey of its latest solve (no solve came after it)."""
    later = SatisfactionRating.objects.filter(ticket_id=rating.ticket_id, solve_event_id__gt=rating.solve_event_id)
    return not later.exists()


def is_open(rating: SatisfactionRating, ticket_status: str, *, latest: bool, now: datetime | None = None) -> bool:
    """Whether the survey takes an answer now: within ``SURVEY_DAYS`` of its solve, the ticket
    still solved (or closed since), and no later solve has its own survey."""
    now = now or timezone.now()
    return latest and ticket_status in ANSWERABLE_STATUSES and now < closes_at(rating)


def closed_message() -> str:
    return _(
        "This survey is closed: answers are taken for %(days)s days after the ticket is solved, "
        "and not once it is reopened."
    ) % {"days": SURVEY_DAYS}


def clean_answer(score: object, comment: object) -> tuple[str, str]:
    """``(score, comment)`` checked: good or bad, a comment of at most ``COMMENT_MAX`` characters."""
    errors: dict[str, list[str]] = {}
    if score not in (Score.GOOD, Score.BAD):
        errors["score"] = [_("Choose good or bad.")]
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = [_("Write the comment as text.")]
        comment = ""
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [
            _("Use at most %(count)s characters (%(given)s given).")
            % {"count": f"{COMMENT_MAX:,}", "given": f"{len(comment):,}"}
        ]
    if errors:
        raise ValidationError(errors)
    return str(score), comment


def rating_give(*, actor: User, rating: SatisfactionRating, score: str, comment: str = "") -> SatisfactionRating:
    """Record ``actor``'s answer ``score`` (good/bad) and ``comment`` to the survey ``rating``.

    Only the survey's requester (``permissions.may_rate``; ``PermissionDenied`` otherwise), only
    while it is open (``is_open``; ``SurveyClosed`` otherwise). The first answer and every change
    within the window write one public history entry; the same answer again changes nothing.
    Bad input is a ``ValidationError`` on ``score`` or ``comment``.
    """
    from tickets.services.changes import TicketChange, lock

    score, comment = clean_answer(score, comment)
    with transaction.atomic():
        ticket = lock(rating.ticket)
        rating = SatisfactionRating.objects.select_for_update().get(pk=rating.pk)
        if not permissions.may_rate(actor, rating.requester_id, ticket):
            raise PermissionDenied(_("Only the requester answers this survey."))
        now = timezone.now()
        if not is_open(rating, ticket.status, latest=is_latest(rating), now=now):
            raise SurveyClosed(closed_message())
        if rating.score == score and rating.comment == comment:
            return rating
        old = rating.score if rating.is_rated else None
        rating.score, rating.comment, rating.updated_at = score, comment, now
        if rating.rated_at is None:
            rating.rated_at = now
        rating.save(update_fields=["score", "comment", "rated_at", "updated_at"])
        if old != score or rating.rated_at == now:
            change = TicketChange(ticket, actor, now)
            data = {"score": score, "old": old, "rating_id": rating.pk, "commented": bool(comment)}
            change.record(EventKind.SATISFACTION_RATED, data, public=True)
            change.save()
            change.after_commit(notify=False, expire_caches=True)
    return rating
