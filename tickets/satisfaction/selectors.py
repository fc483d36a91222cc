"""Reads of the satisfaction surveys: a ticket's latest survey for its pages and the API, the
survey a link names, the mail's links and the ticket-list filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from tickets import permissions
from tickets.models import Status
from tickets.satisfaction import enabled, links
from tickets.satisfaction.models import SatisfactionRating, Score
from tickets.satisfaction.services import ANSWERABLE_STATUSES, closes_at, is_latest, is_open

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Notification, Ticket

#: ``?satisfaction=`` values of the ticket lists: the answer to the ticket's latest survey, or
#: ``unrated`` for a latest survey not answered.
FILTER_VALUES = (Score.GOOD, Score.BAD, "unrated")


def latest_for_ticket(ticket: Ticket) -> SatisfactionRating | None:
    """The survey of ``ticket``'s latest solve (one query on the (ticket, solve) index)."""
    return SatisfactionRating.objects.filter(ticket=ticket).order_by("-solve_event_id").first()


def _newer() -> Exists:
    return Exists(
        SatisfactionRating.objects.filter(ticket=OuterRef("ticket"), solve_event_id__gt=OuterRef("solve_event_id"))
    )


def ticket_condition(value: str) -> Q:
    """The ticket-list WHERE of ``?satisfaction=value``: tickets whose latest survey was answered
    good, bad, or not yet (``unrated``). Tickets never offered a survey match none of them."""
    score = Score.OFFERED if value == "unrated" else value
    latest = SatisfactionRating.objects.filter(score=score).exclude(_newer()).values("ticket_id")
    return Q(pk__in=latest)


@dataclass
class PageSurvey:
    """A ticket's survey as a page shows it."""

    rating: SatisfactionRating
    open: bool
    closes_at: datetime
    form_path: str | None  # the survey page to post an answer to (None: closed, or not theirs)

    @property
    def rated(self) -> bool:
        return self.rating.is_rated


def for_page(user: User, ticket: Ticket) -> PageSurvey | None:
    """The survey of ``ticket``'s latest solve, for ``user``'s ticket page: None when there is none,
    when ``user`` may not see ratings (``permissions.sees_satisfaction``) or, for the requester,
    while the ticket is not solved or closed (reopened: the conversation goes on, the next solve
    asks again). The answer form's address only for the requester, while the survey is open.
    One query; none for the requester of a ticket that is not solved or closed."""
    if not permissions.sees_satisfaction(user, ticket):
        return None
    is_requester = permissions.may_rate(user, ticket.requester_id, ticket)
    if is_requester and ticket.status not in ANSWERABLE_STATUSES:
        return None
    rating = latest_for_ticket(ticket)
    if rating is None:
        return None
    open_now = is_open(rating, ticket.status, latest=True)
    is_requester = permissions.may_rate(user, rating.requester_id, ticket)
    if is_requester and not rating.is_rated and not open_now:
        return None  # nothing to answer any more, nothing given: the requester sees no card
    form_path = links.path(rating) if is_requester and open_now else None
    return PageSurvey(rating=rating, open=open_now, closes_at=closes_at(rating), form_path=form_path)


def with_latest(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``queryset`` with each ticket's surveys, newest solve first (``latest_from_prefetch``): one
    query a page for the API's ``satisfaction_rating``."""
    # Into a plain list (``to_attr``): a related manager's prefetch builds a filtered queryset per
    # ticket to hold its rows, which cost more than the rows on an API list page.
    return queryset.prefetch_related(
        Prefetch("satisfaction_ratings", SatisfactionRating.objects.order_by("-solve_event_id"), to_attr=PREFETCHED)
    )


#: Where ``with_latest`` (or ``attach_latest``) leaves each ticket's surveys, newest solve first.
PREFETCHED = "satisfaction_ratings_newest_first"


def attach_latest(tickets: list[Ticket]) -> None:
    """What ``with_latest`` prefetches, for tickets already read (an API page): one query, without
    the related manager's filter over every ticket instance (``TicketListOut``)."""
    wanted = {ticket.pk: ticket for ticket in tickets if not hasattr(ticket, PREFETCHED)}
    if not wanted:
        return
    for ticket in wanted.values():
        setattr(ticket, PREFETCHED, [])
    for rating in SatisfactionRating.objects.filter(ticket_id__in=list(wanted)).order_by("-solve_event_id"):
        ticket = wanted[rating.ticket_id]
        rating.ticket = ticket  # as a prefetch leaves it: no query to reach the ticket again
        getattr(ticket, PREFETCHED).append(rating)


def latest_from_prefetch(ticket: Ticket) -> SatisfactionRating | None:
    cached = getattr(ticket, PREFETCHED, None)
    if cached is not None:
        return next(iter(cached), None)
    return latest_for_ticket(ticket)


def survey_for_notification(notification: Notification) -> dict[str, Any] | None:
    """The survey links for a notification mail: only to the ticket's requester, only in the mail
    about a solve (the status change itself, or the reply that solved the ticket in the same
    step), only while that survey is still open. None otherwise."""
    ticket, event, recipient = notification.ticket, notification.event, notification.recipient
    if (
        not enabled()
        or ticket.status != Status.SOLVED
        or not permissions.may_rate(recipient, ticket.requester_id, ticket)
    ):
        return None
    rating = (
        SatisfactionRating.objects.filter(ticket=ticket, requester=recipient, solve_event__created_at=event.created_at)
        .order_by("-solve_event_id")
        .first()
    )
    if rating is None or rating.is_rated or not is_open(rating, ticket.status, latest=is_latest(rating)):
        return None
    return {**links.absolute_links(rating), "closes_at": closes_at(rating)}
