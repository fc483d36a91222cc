"""Settings → Ticket fields: the desk's own ticket fields (issue 16) — list in position order,
create, edit, deactivate. Desk managers only (``accounts.settings_pages.common.settings_view``).

Registered in the settings area by ``TicketsConfig.ready()``; every change goes through
``tickets.services.ticket_fields`` with its audit entry (``accounts.audit``) in one transaction.
"""

from __future__ import annotations

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
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Team
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import RecordsChoiceField
from helpdesk.forms import apply_errors
from tickets.models import FieldType, TicketField
from tickets.services import ticket_fields as definitions

SECTION = "ticket-fields"


class TicketFieldForm(forms.Form):
    key = forms.CharField(
        label=gettext_lazy("Key"),
        max_length=40,
        help_text=gettext_lazy("How rules, the API and filters name the field, e.g. order_number. Fixed once created."),
    )
    field_type = forms.ChoiceField(
        label=gettext_lazy("Type"), choices=FieldType.choices, help_text=gettext_lazy("Fixed once created.")
    )
    label = forms.CharField(label=gettext_lazy("Label"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Help text"), max_length=255, required=False)
    options = forms.CharField(
        label=gettext_lazy("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Drop-down and multi-select fields: one option a line, as “value | label”, e.g. “gold | Gold”."
        ),
    )
    pattern = forms.CharField(
        label=gettext_lazy("Pattern"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Pattern fields: a regular expression the whole value must match."),
    )
    visible_to_customers = forms.BooleanField(label=gettext_lazy("Visible to customers"), required=False)
    required_in_portal = forms.BooleanField(
        label=gettext_lazy("Required when a customer files a ticket"), required=False
    )
    required_on_solve = forms.BooleanField(label=gettext_lazy("Required before solving"), required=False)
    teams = RecordsChoiceField(
        label=gettext_lazy("Teams"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only tickets of these teams have the field. None: every ticket."),
    )
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=1_000_000, initial=0)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, existing: TicketField | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if existing is not None:  # key and type are fixed: shown, not sent
            del self.fields["key"]
            del self.fields["field_type"]

    def clean_options(self) -> list[dict[str, str]]:
        options = []
        for line in (self.cleaned_data.get("options") or "").splitlines():
            if not line.strip():
                continue
            value, _sep, label = line.partition("|")
            options.append({"value": value.strip(), "label": label.strip() or value.strip()})
        try:
            return definitions.clean_options(options)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["options"]) from None


def _initial(field: TicketField) -> dict[str, Any]:
    return {
        "label": field.label,
        "description": field.description,
        "options": "\n".join(f"{o['value']} | {o['label']}" for o in field.options or []),
        "pattern": field.pattern,
        "visible_to_customers": field.visible_to_customers,
        "required_in_portal": field.required_in_portal,
        "required_on_solve": field.required_on_solve,
        "teams": [team.pk for team in field.teams.all()],
        "position": field.position,
        "active": field.active,
    }


@settings_view
@require_http_methods(["GET"])
def ticket_fields(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = TicketField.objects.prefetch_related("teams").order_by("position", "id")
    return common.render_page(
        request, "settings/ticket_fields.html", {"ticket_fields": rows}, section=SECTION, landing=True
    )


@settings_view
@require_http_methods(["GET", "POST"])
def ticket_field_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TicketFieldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                field = definitions.ticket_field_create(actor=request.user, **form.cleaned_data)
                audit.record_addition(request.user, field, definitions.definition_values(field))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Field “%(label)s” is created.") % {"label": field.label})
            return redirect("settings:ticket_fields")
    return common.render_page(
        request,
        "settings/ticket_field.html",
        {"form": form, "ticket_field": None},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def ticket_field(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    field = common.get_or_404(TicketField.objects.prefetch_related("teams"), pk)
    if request.method == "GET":
        form = TicketFieldForm(initial=_initial(field), existing=field)
        return common.render_page(
            request, "settings/ticket_field.html", {"form": form, "ticket_field": field}, section=SECTION
        )
    form = TicketFieldForm(request.POST, existing=field)
    if form.is_valid():
        try:
            _change(request.user, field, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Field “%(label)s” is saved.") % {"label": form.cleaned_data["label"]})
            return redirect("settings:ticket_fields")
    return common.render_page(
        request, "settings/ticket_field.html", {"form": form, "ticket_field": field}, section=SECTION, status=400
    )


@settings_view
@require_POST
def ticket_field_deactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Deactivate (tickets keep their values; "Active" on the field's page brings it back)."""
    field = common.get_or_404(TicketField.objects.prefetch_related("teams"), pk)
    _change(request.user, field, {"active": False})
    messages.success(request, _("Field “%(label)s” is no longer in use.") % {"label": field.label})
    return redirect("settings:ticket_fields")


def _change(actor: Any, field: TicketField, values: dict[str, Any]) -> None:
    with transaction.atomic():
        before = definitions.definition_values(field)
        definitions.ticket_field_update(actor=actor, field=field, **values)
        after = TicketField.objects.prefetch_related("teams").get(pk=field.pk)
        audit.record_change(actor, after, before, definitions.definition_values(after))


urlpatterns = [
    path("", ticket_fields, name="ticket_fields"),
    path("new/", ticket_field_new, name="ticket_field_new"),
    path("<int:pk>/", ticket_field, name="ticket_field"),
    path("<int:pk>/deactivate/", ticket_field_deactivate, name="ticket_field_deactivate"),
]
