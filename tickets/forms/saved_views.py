"""The saved-view editor's form (issue 16) and "Save as view": the queue's current filters as
conditions in the rules engine's shape."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.addresses import normalize_email
from accounts.models import Team, User
from tickets import queue
from tickets.models import COLUMNS, SavedView, TicketField, ViewScope
from tickets.models.views import SORT_KEYS
from tickets.rules import fields as rule_fields

if TYPE_CHECKING:
    from tickets.queue_views import ViewDefinition


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field of ``form`` (``columns`` is a MultipleChoiceField, a ChoiceField too), to set its choices."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Shared with"), choices=ViewScope.choices)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label=_("No team")
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
        help_text=_(
            'JSON: {"all": [conditions that must all hold], "any": [at least one of these]}; each condition '
            'is {"field": …, "operator": …, "value": …}. Empty: every ticket you may see.'
        ),
    )
    columns = forms.MultipleChoiceField(label=_("Columns"), required=False, widget=forms.CheckboxSelectMultiple)
    sort = forms.ChoiceField(label=_("Sort"), choices=[(k, queue.SORTS[k][0]) for k in SORT_KEYS])

    def __init__(self, *args, manager: bool, custom: list[TicketField], **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:  # agents keep views for themselves; desk managers share them
            _choice_field(self, "scope").choices = [(ViewScope.PERSONAL, ViewScope.PERSONAL.label)]
            del self.fields["team"]
        _choice_field(self, "columns").choices = [
            *[(key, label) for key, label in COLUMNS.items() if key != "subject"],
            *[(rule_fields.CUSTOM_PREFIX + f.key, f.label) for f in custom],
        ]

    def clean_conditions(self) -> Any:
        text = (self.cleaned_data.get("conditions") or "").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValidationError(
                gettext("This is not valid JSON (line %(line)s, column %(column)s): %(reason)s.")
                % {"line": getattr(exc, "lineno", "?"), "column": getattr(exc, "colno", "?"), "reason": exc.args[0]}
            ) from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        if data.get("scope") == ViewScope.TEAM and not data.get("team"):
            self.add_error("team", gettext("Choose the team the view is shared with."))
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "conditions": data["conditions"],
            "columns": ["subject", *data["columns"]],
            "sort": data["sort"],
            "scope": data["scope"],
            "team": data.get("team") if data["scope"] == ViewScope.TEAM else None,
        }


def initial_for(view: SavedView) -> dict[str, Any]:
    return {
        "name": view.name,
        "scope": view.scope,
        "team": view.team_id,
        "conditions": json.dumps(view.conditions or {}, indent=2),
        "columns": [c for c in view.columns if c != "subject"],
        "sort": view.sort,
    }


def from_queue(user: User, view: ViewDefinition, data: dict[str, Any], sort_given: bool) -> tuple[dict, list[str]]:
    """The queue's current view and filters (its filter form's cleaned ``data``) as initial
    editor values, and the filters that conditions cannot say (left out, named for the agent)."""
    left_out: list[str] = []
    all_: list[dict[str, Any]] = []
    any_: list[dict[str, Any]] = []
    if view.key == "my_teams":  # "the viewer's teams" as the teams they are in now
        all_.append({"field": "team", "operator": "in", "value": queue._my_team_ids(user)})
        all_.append({"field": "status", "operator": "in", "value": list(queue.UNSOLVED)})
    elif view.conditions:
        all_ += list(view.conditions.get("all") or [])
        any_ += list(view.conditions.get("any") or [])
    for name in ("status", "priority"):
        if data.get(name):
            all_.append({"field": name, "operator": "in", "value": list(data[name])})
    assignee = data.get("assignee")
    if assignee == "me":
        all_.append({"field": "assignee", "operator": "is", "value": rule_fields.CURRENT_USER})
    elif assignee == "none":
        all_.append({"field": "assignee", "operator": "not_present"})
    elif assignee is not None and assignee not in ("", "anyone"):
        all_.append({"field": "assignee", "operator": "is", "value": int(assignee)})
    team = data.get("team")
    if team == "none":
        all_.append({"field": "team", "operator": "not_present"})
    elif team is not None and team != "":
        all_.append({"field": "team", "operator": "is", "value": int(team)})
    if data.get("tag"):
        all_.append({"field": "tags", "operator": "includes", "value": [data["tag"]]})
    if data.get("category"):
        all_.append({"field": "category", "operator": "is", "value": data["category"]})
    if data.get("organization"):
        all_.append({"field": "organization", "operator": "is", "value": int(data["organization"])})
    requester = data.get("requester")
    if isinstance(requester, int):
        all_.append({"field": "requester", "operator": "is", "value": requester})
    elif requester:
        found = (
            User.objects.filter(email=normalize_email(requester)).values_list("pk", flat=True).first()
            if "@" in requester
            else None
        )
        if found is None:
            left_out.append(gettext("Requester"))
        else:
            all_.append({"field": "requester", "operator": "is", "value": found})
    if (data.get("q") or "").strip():
        left_out.append(gettext("Search"))
    for name, label in (
        ("created_after", gettext("Created from")),
        ("created_before", gettext("Created until")),
        ("updated_after", gettext("Updated from")),
        ("updated_before", gettext("Updated until")),
    ):
        if data.get(name):
            left_out.append(label)
    conditions: dict[str, Any] = {"all": all_}
    if any_:
        conditions["any"] = any_
    sort = data.get("sort") if sort_given and data.get("sort") in SORT_KEYS else view.sort
    initial = {
        "name": "",
        "scope": ViewScope.PERSONAL,
        "conditions": json.dumps(conditions, indent=2),
        "columns": [c for c in view.columns if c != "subject"],
        "sort": sort if sort in SORT_KEYS else "-updated",
    }
    return initial, left_out


def field_help(custom: list[TicketField]) -> list[dict[str, Any]]:
    """The fields a condition may name, with their operators and values, for the editor's help."""
    rows = []
    for name, spec in rule_fields.available(custom).items():
        rows.append(
            {
                "name": name,
                "label": spec.label,
                "operators": ", ".join(spec.operators),
                "values": ", ".join(spec.choices) if spec.choices else "",
                "people": spec.people,
            }
        )
    return rows
