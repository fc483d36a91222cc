"""Settings → Schedules: business hours per time zone, public holidays by country and region,
and the desk's own closed days (issue 17).

Registered in the settings area by ``TicketsConfig.ready()``; the settings area's one permission
check and layout (``accounts.settings_pages.common``); every change through
``tickets.sla.services`` with its audit entry in the same transaction.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.http import AuthenticatedHttpRequest
from accounts.languages import time_zone_names
from accounts.models import Team
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import RecordsChoiceField
from helpdesk.forms import apply_errors
from tickets.forms.agent import QuickSelect
from tickets.sla import services
from tickets.sla.models import Schedule, Weekday

SECTION = "schedules"
SPAN = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*[-–]\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def _zones() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in time_zone_names()]


class ScheduleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    # Some 600 zones: options written in Python (QuickSelect), not a template each.
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=_zones, widget=QuickSelect)
    is_default = forms.BooleanField(
        label=gettext_lazy("Default schedule"),
        required=False,
        help_text=gettext_lazy("Used by policies that name no schedule, for teams without a schedule of their own."),
    )
    teams = RecordsChoiceField(
        label=gettext_lazy("Teams"),
        required=False,
        queryset=Team.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The teams whose tickets follow this schedule when their policy names none. A team follows one schedule."
        ),
    )
    country = forms.CharField(
        label=gettext_lazy("Country for public holidays"),
        required=False,
        max_length=3,
        help_text=gettext_lazy("ISO code, e.g. ES, DE or US. Leave empty for no public holidays."),
    )
    subdivision = forms.CharField(
        label=gettext_lazy("Region"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("Region code for regional holidays, e.g. MD for Madrid."),
    )
    holidays = forms.CharField(
        label=gettext_lazy("Closed days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One a line: a date as YYYY-MM-DD, then a name, e.g. 2026-12-24 Christmas Eve."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            self.fields[f"day_{day.value}"] = forms.CharField(
                label=day.label,
                required=False,
                max_length=200,
                help_text=gettext_lazy("Opening hours, e.g. 09:00-12:30, 13:30-18:00. Empty: closed."),
            )

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"day_{day.value}"] for day in Weekday]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        intervals = []
        for day in Weekday:
            text = cleaned.get(f"day_{day.value}") or ""
            for part in filter(None, (p.strip() for p in text.split(","))):
                match = SPAN.match(part)
                if match is None:
                    self.add_error(f"day_{day.value}", _("Write each interval as HH:MM-HH:MM."))
                    continue
                h1, m1, h2, m2 = (int(g) for g in match.groups())
                intervals.append((day.value, time(h1, m1), time(h2, m2)))
        holidays = []
        for line in filter(None, (raw.strip() for raw in (cleaned.get("holidays") or "").splitlines())):
            day_text, _sep, label = line.partition(" ")
            try:
                holidays.append((date.fromisoformat(day_text), label.strip()))
            except ValueError:
                self.add_error("holidays", _("Start each line with a date as YYYY-MM-DD."))
                break
        cleaned["intervals"], cleaned["holiday_list"] = intervals, holidays
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "is_default": data["is_default"],
            "country": data["country"],
            "subdivision": data["subdivision"],
            "intervals": data["intervals"],
            "holidays": data["holiday_list"],
            "teams": [team.pk for team in data["teams"]],
        }


def _initial(schedule: Schedule | None) -> dict[str, Any]:
    if schedule is None:
        return {"time_zone": timezone.get_default_timezone_name()} | {f"day_{d}": "09:00-17:00" for d in range(5)}
    initial: dict[str, Any] = {
        "teams": [link.team_id for link in schedule.team_links.all()],
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "is_default": schedule.is_default,
        "country": schedule.country,
        "subdivision": schedule.subdivision,
        "holidays": "\n".join(f"{h.date:%Y-%m-%d} {h.name}".strip() for h in schedule.holidays.all()),
    }
    for day in Weekday:
        spans = [f"{i.start:%H:%M}-{i.end:%H:%M}" for i in schedule.intervals.all() if i.weekday == day.value]
        initial[f"day_{day.value}"] = ", ".join(spans)
    return initial


@settings_view
@require_http_methods(["GET"])
def schedules(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = Schedule.objects.prefetch_related("intervals", "team_links__team").order_by("name")
    return common.render_page(
        request, "settings/sla_schedules.html", {"schedules": rows}, section=SECTION, landing=True
    )


def _edit(request: AuthenticatedHttpRequest, schedule: Schedule | None) -> HttpResponse:
    form = ScheduleForm(request.POST if request.method == "POST" else None, initial=_initial(schedule))
    if request.method == "POST" and form.is_valid():
        try:
            if schedule is None:
                with transaction.atomic():
                    saved = services.schedule_save(**form.service_data())
                    audit.record_addition(request.user, saved, services.schedule_values(saved))
            else:
                with audit.changing(request.user, schedule, services.schedule_values):
                    saved = services.schedule_save(schedule, **form.service_data())
        except ValidationError as exc:
            apply_errors(form, exc, aliases={"intervals": "day_0"})
        else:
            messages.success(request, _("Schedule %(name)s is saved.") % {"name": saved.name})
            return redirect("settings:sla_schedule", saved.pk)
    return common.render_page(
        request,
        "settings/sla_schedule.html",
        {"form": form, "schedule": schedule},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def schedule_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _edit(request, None)


@settings_view
@require_http_methods(["GET", "POST"])
def schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _edit(request, common.get_or_404(Schedule.objects.all(), pk))


urlpatterns = [
    path("", schedules, name="sla_schedules"),
    path("new/", schedule_new, name="sla_schedule_new"),
    path("<int:pk>/", schedule, name="sla_schedule"),
]
