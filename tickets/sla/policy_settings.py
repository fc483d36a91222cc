"""Settings → SLA policies: the ordered policies, their conditions (the rules engine's JSON),
schedule and a per-priority grid of targets, with a preview of the due times for a ticket created
now (``tickets.sla.services.preview``, the business-time arithmetic itself), and their escalation:
the warning time, who hears of warnings and breaches, and the breach actions (the rules engine's
actions JSON, in the same text area as a trigger's, with the person they act as).
"""

from __future__ import annotations

import json
import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import staff_members
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import RecordChoiceField
from helpdesk.forms import apply_errors
from tickets.models import Priority
from tickets.rule_settings.forms import JSONTextField, as_text
from tickets.sla import services
from tickets.sla.models import MAX_WARNING_MINUTES, Audience, Metric, Schedule, ScheduleTeam, SlaPolicy

SECTION = "sla-policies"
ESCALATION = ("warning_minutes", "warning_recipients", "breach_recipients", "breach_actions", "acts_as")
AUDIENCE_HELP = gettext_lazy(
    "None ticked: the assignee; without one, the team's members; without those, the administrators."
)


class PolicyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    position = forms.IntegerField(
        label=gettext_lazy("Position"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        help_text=gettext_lazy("Policies are tried in this order; the first whose conditions match applies."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    schedule = RecordChoiceField(
        label=gettext_lazy("Schedule"),
        queryset=Schedule.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("The team's schedule, else the default"),
    )
    conditions = forms.CharField(
        label=gettext_lazy("Conditions"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            'The rules engine\'s conditions as JSON, e.g. {"all": [{"field": "priority", "operator": "is", '
            '"value": "urgent"}]}. Empty: every ticket.'
        ),
    )

    warning_minutes = forms.IntegerField(
        label=gettext_lazy("Warn this many minutes ahead"),
        min_value=0,
        max_value=MAX_WARNING_MINUTES,
        required=False,
        initial=services.DEFAULT_WARNING_MINUTES,
        help_text=gettext_lazy("0: no warning. Empty: 30."),
    )
    warning_recipients = forms.MultipleChoiceField(
        label=gettext_lazy("Who is warned"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=AUDIENCE_HELP,
    )
    breach_recipients = forms.MultipleChoiceField(
        label=gettext_lazy("Who is told of a breach"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=AUDIENCE_HELP,
    )
    breach_actions = JSONTextField(
        label=gettext_lazy("Actions on a breach"),
        empty=[],
        help_text=gettext_lazy(
            'JSON, as in triggers: a list of actions, each with "action" and "value", e.g. '
            '[{"action": "set_priority", "value": "urgent"}, {"action": "set_team", "value": 3}]. '
            "Empty: no actions."
        ),
    )
    acts_as = RecordChoiceField(
        label=gettext_lazy("Breach actions act as"),
        queryset=staff_members().order_by("name", "id"),
        required=False,
        empty_label=gettext_lazy("Choose a person"),
        help_text=gettext_lazy(
            "The actions are made with this person's permissions; the history shows them as theirs, via this policy."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["breach_actions"].widget.attrs["rows"] = 4
        for metric in Metric:
            self.fields[f"business_{metric.value}"] = forms.BooleanField(
                label=gettext_lazy("Business hours"), required=False, initial=True
            )
            for priority in Priority:
                self.fields[f"target_{metric.value}_{priority.value}"] = forms.IntegerField(
                    label=_("%(metric)s, %(priority)s, minutes") % {"metric": metric.label, "priority": priority.label},
                    required=False,
                    min_value=1,
                    max_value=services.MAX_TARGET_MINUTES,
                )

    def grid(self) -> list[dict[str, Any]]:
        return [
            {
                "metric": metric,
                "business": self[f"business_{metric.value}"],
                "cells": [self[f"target_{metric.value}_{priority.value}"] for priority in Priority],
            }
            for metric in Metric
        ]

    def clean_warning_minutes(self) -> int:
        minutes = self.cleaned_data.get("warning_minutes")
        return services.DEFAULT_WARNING_MINUTES if minutes is None else minutes

    def clean_conditions(self) -> Any:
        text = (self.cleaned_data.get("conditions") or "").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValidationError(_("Conditions must be valid JSON.")) from exc

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        targets = [
            (
                priority.value,
                metric.value,
                data[f"target_{metric.value}_{priority.value}"],
                data[f"business_{metric.value}"],
            )
            for metric in Metric
            for priority in Priority
            if data.get(f"target_{metric.value}_{priority.value}")
        ]
        fields = ("name", "description", "position", "active", "schedule", "conditions", *ESCALATION)
        return {**{key: data[key] for key in fields}, "targets": targets}


def _initial(policy: SlaPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"position": 0, "active": True, "warning_minutes": services.DEFAULT_WARNING_MINUTES} | {
            f"business_{m.value}": True for m in Metric
        }
    initial: dict[str, Any] = {
        "name": policy.name,
        "description": policy.description,
        "position": policy.position,
        "active": policy.active,
        "schedule": policy.schedule_id,
        "conditions": json.dumps(policy.conditions) if policy.conditions else "",
        "warning_minutes": policy.warning_minutes,
        "warning_recipients": policy.warning_recipients,
        "breach_recipients": policy.breach_recipients,
        "breach_actions": as_text(policy.breach_actions) if policy.breach_actions else "",
        "acts_as": policy.acts_as_id,
    }
    initial |= {f"business_{m.value}": True for m in Metric}
    for target in policy.targets.all():
        initial[f"target_{target.metric}_{target.priority}"] = target.minutes
        initial[f"business_{target.metric}"] = target.business_hours
    return initial


def _previews(policy: SlaPolicy | None) -> list[dict[str, Any]]:
    """Per priority with targets: when each target that starts at creation falls due, in the
    schedule's time zone, for a ticket created now."""
    if policy is None:
        return []
    schedule = services.schedule_of(policy)
    zone = zoneinfo.ZoneInfo(schedule.time_zone) if schedule else None
    out = []
    for priority in Priority:
        dues = services.preview(policy, priority.value)
        if dues:
            rows = [(Metric(m).label, due.astimezone(zone) if zone else due) for m, due in dues]
            out.append({"priority": priority.label, "dues": rows})
    return out


@settings_view
@require_http_methods(["GET"])
def policies(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = SlaPolicy.objects.select_related("schedule").prefetch_related("targets").order_by("position", "id")
    return common.render_page(request, "settings/sla_policies.html", {"policies": rows}, section=SECTION, landing=True)


def _edit(request: AuthenticatedHttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    form = PolicyForm(request.POST if request.method == "POST" else None, initial=_initial(policy))
    if request.method == "POST" and form.is_valid():
        try:
            if policy is None:
                with transaction.atomic():
                    saved = services.policy_save(**form.service_data())
                    audit.record_addition(request.user, saved, services.policy_values(saved))
            else:
                with audit.changing(request.user, policy, services.policy_values):
                    saved = services.policy_save(policy, **form.service_data())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Policy %(name)s is saved.") % {"name": saved.name})
            return redirect("settings:sla_policy", saved.pk)
    previews = _previews(policy)
    return common.render_page(
        request,
        "settings/sla_policy.html",
        {
            "form": form,
            "policy": policy,
            "priorities": Priority,
            "previews": previews,
            # The preview counts in the default schedule, but a team's own schedule may differ.
            "team_schedules": bool(previews)
            and policy is not None
            and policy.schedule_id is None
            and ScheduleTeam.objects.exists(),
        },
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def policy_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _edit(request, None)


@settings_view
@require_http_methods(["GET", "POST"])
def policy(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _edit(request, common.get_or_404(SlaPolicy.objects.select_related("schedule"), pk))


urlpatterns = [
    path("", policies, name="sla_policies"),
    path("new/", policy_new, name="sla_policy_new"),
    path("<int:pk>/", policy, name="sla_policy"),
]
