"""The survey's one form: good or bad, and an optional comment (the survey page and the portal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy

from tickets.satisfaction import selectors
from tickets.satisfaction.models import COMMENT_MAX, Score

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket


class RatingForm(forms.Form):
    score = forms.ChoiceField(
        label=gettext_lazy("Your rating"),
        choices=[
            (Score.GOOD, gettext_lazy("Good, I am satisfied")),
            (Score.BAD, gettext_lazy("Bad, I am not satisfied")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose good or bad.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=COMMENT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What went well, or what could we do better?"),
    )


def portal_context(user: User, ticket: Ticket) -> dict[str, Any]:
    """What the portal's ticket page needs for its survey card: ``survey`` (None: no card) and
    the answer form, the given answer filled in. One query."""
    survey = selectors.for_page(user, ticket)
    initial = {"score": survey.rating.score, "comment": survey.rating.comment} if survey and survey.rated else {}
    return {"survey": survey, "survey_form": RatingForm(initial=initial) if survey else None}
