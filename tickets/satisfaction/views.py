"""The survey page, ``/satisfaction/<token>/`` (public: the signed token is the credential).

GET shows the question with the answer of the link preselected (``?score=good``) and an
optional comment box, and records nothing — mail scanners and link previews open links, and
must not vote. Only the POST of that form (CSRF-protected like every form) records the answer,
through ``services.rating_give``. The portal's ticket page posts its own survey form here too.

Answers: a token that is not ours → 404; one of ours past the survey window, or a survey that
is closed (reopened, or solved more than ``SURVEY_DAYS`` ago) → 400; signed in as someone other
than the survey's requester → 403. Each with a page that says so in words.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.languages import speaking_to
from helpdesk.forms import apply_errors
from tickets import permissions
from tickets.satisfaction import SURVEY_DAYS, links, services
from tickets.satisfaction.forms import RatingForm
from tickets.satisfaction.models import SatisfactionRating, Score


def _problem(request: HttpRequest, message: str, status: int, rating: SatisfactionRating | None = None) -> HttpResponse:
    return render(request, "satisfaction/rate.html", {"problem": message, "rating": rating}, status=status)


def _survey(token: str) -> SatisfactionRating | None:
    key = links.read_token(token)
    if key is None:
        return None
    return (
        SatisfactionRating.objects.select_related("ticket", "requester")
        .filter(
            pk=key.rating_id,
            ticket_id=key.ticket_id,
            solve_event_id=key.solve_event_id,
            requester_id=key.requester_id,
        )
        .first()
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        rating = _survey(token)
    except links.LinkExpired:
        return _problem(request, services.closed_message(), 400)
    invalid = _("This survey link is not valid. Open it from the email again, or rate the ticket in the portal.")
    if rating is None:
        return _problem(request, invalid, 404)
    ticket, requester = rating.ticket, rating.requester
    if not permissions.may_rate(requester, requester.pk, ticket):
        return _problem(request, invalid, 404)  # a deactivated requester, or the ticket changed hands
    user = request.user
    if user.is_authenticated and not permissions.may_rate(user, requester.pk, ticket):
        message = _(
            "This survey belongs to someone else. Sign out to answer it from that person’s email, "
            "or open the survey of your own ticket."
        )
        return _problem(request, message, 403)
    # The page speaks the requester's language: the link is theirs, whoever's browser opens it.
    with speaking_to(requester):
        return _answer(request, token, rating)


def _answer(request: HttpRequest, token: str, rating: SatisfactionRating) -> HttpResponse:
    ticket = rating.ticket
    open_now = services.is_open(rating, ticket.status, latest=services.is_latest(rating))
    if not open_now:
        return _problem(request, services.closed_message(), 400, rating)
    status = 200
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                services.rating_give(
                    actor=rating.requester,
                    rating=rating,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except services.SurveyClosed as exc:
                return _problem(request, exc.message, 400, rating)
            except PermissionDenied:
                return _problem(request, _("Only the requester answers this survey."), 403)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if request.POST.get("from") == "portal" and request.user.is_authenticated:
                    messages.success(request, _("Thank you! Your rating is saved."))
                    return redirect("portal:ticket", pk=ticket.pk)
                return redirect(reverse("satisfaction:rate", args=[token]) + "?saved=1")
        status = 400
    else:
        chosen = request.GET.get("score")
        if chosen not in (Score.GOOD, Score.BAD):
            chosen = rating.score if rating.is_rated else None
        form = RatingForm(initial={"score": chosen, "comment": rating.comment})
    context = {
        "rating": rating,
        "ticket": ticket,
        "form": form,
        "saved": request.GET.get("saved") == "1" and rating.is_rated,
        "closes_at": services.closes_at(rating),
        "survey_days": SURVEY_DAYS,
    }
    return render(request, "satisfaction/rate.html", context, status=status)
