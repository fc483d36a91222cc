"""Form fields for the desk's own ticket fields: one typed widget per ``TicketField`` (text,
number, date, checkbox, drop-down, multiple checkboxes), named ``cf_<key>``. The forms only
collect; ``tickets.services.custom_fields`` checks the values (pattern, options, team) and its
errors (``custom_fields.<key>``) come back on these fields through ``aliases``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import FieldType, TicketField
from tickets.services.custom_fields import TEXT_MAX, error_key

PREFIX = "cf_"


def form_field(field: TicketField, *, required: bool = False) -> forms.Field:
    """The Django form field for ``field``."""
    common: dict[str, Any] = {"label": field.label, "required": required, "help_text": field.description}
    kind = field.field_type
    if kind == FieldType.NUMBER:
        return forms.FloatField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(**{**common, "required": False})
    if kind == FieldType.DROPDOWN:
        choices = [("", _("Choose…"))] + [(o["value"], o["label"]) for o in field.options or []]
        return forms.ChoiceField(choices=choices, **common)
    if kind == FieldType.MULTISELECT:
        return forms.MultipleChoiceField(
            choices=[(o["value"], o["label"]) for o in field.options or []],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    return forms.CharField(max_length=TEXT_MAX, **common)


def add_fields(form: forms.Form, fields: list[TicketField], *, required_in_portal: bool = False) -> list[str]:
    """Add ``fields`` to ``form`` (required: those required in the portal, when asked); return
    their form names in order."""
    names = []
    for field in fields:
        name = PREFIX + field.key
        form.fields[name] = form_field(field, required=required_in_portal and field.required_in_portal)
        names.append(name)
    return names


def initial_values(fields: list[TicketField], values: dict[str, Any]) -> dict[str, Any]:
    """A ticket's stored ``values`` as the initial data of the form fields."""
    return {PREFIX + f.key: values[f.key] for f in fields if f.key in values}


def cleaned_values(form: forms.Form, fields: list[TicketField]) -> dict[str, Any]:
    """The form's values by field key, typed as the service takes them (None: no value)."""
    values: dict[str, Any] = {}
    for field in fields:
        value = form.cleaned_data.get(PREFIX + field.key)
        if field.field_type == FieldType.NUMBER and isinstance(value, float) and value.is_integer():
            value = int(value)
        values[field.key] = None if value in (None, "", []) else value
    return values


def aliases(fields: list[TicketField]) -> dict[str, str]:
    """Where the service's errors go on the form (``apply_errors``)."""
    return {error_key(field.key): PREFIX + field.key for field in fields}
