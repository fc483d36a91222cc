"""The statistics page's form: the period and team of ``StatsPeriodForm`` and how the figures over
time are grouped (``tickets.trends``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets import trends
from tickets.forms.agent import QuickSelect, StatsPeriodForm


class StatsForm(StatsPeriodForm):
    """``StatsPeriodForm`` with ``granularity``: "" (days up to ``trends.DAILY_UP_TO`` days, else
    weeks), "day" or "week". A team outside the viewer's teams is not a choice: a form error."""

    granularity = forms.ChoiceField(
        choices=[
            ("", _("Automatic")),
            (trends.DAY, _("Per day")),
            (trends.WEEK, _("Per week")),
        ],
        required=False,
        label=_("Over time"),
        widget=QuickSelect,
    )
