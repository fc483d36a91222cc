"""Query-parameter filters of the API's lists.

The ticket list's filters are the one ticket list's (``tickets.selectors.listing``): the view
parses them with ``TicketFilterForm`` — a malformed or unknown value is a 400 naming the
parameter (``{"status": ["..."]}``), never an empty list that looks like "no tickets" — and
``ticket_list_parameters`` describes the same form in the OpenAPI schema. Filters narrow a
queryset the selectors already scoped to what the caller may see; they never widen it.

(``IdFilter``, the django-filter of a positive id for the other lists, is ``helpdesk.api.fields``'.)
"""

from __future__ import annotations

from typing import Any

from django import forms
from drf_spectacular.utils import OpenApiParameter

from helpdesk.ids import MAX_ID
from tickets.selectors import listing


def _choices(field: forms.ChoiceField) -> list[tuple[Any, Any]]:
    """The field's (value, label) pairs: the filter form's choices are plain lists."""
    return list(field.choices)  # type: ignore[arg-type]  # stubs allow lazy choices; ours are lists


def _schema(field: forms.Field) -> dict[str, Any]:
    if isinstance(field, forms.NullBooleanField | listing.YesNoField):
        return {"type": "boolean"}
    if isinstance(field, forms.MultipleChoiceField):
        return {"type": "array", "items": {"type": "string", "enum": sorted(v for v, _ in _choices(field) if v)}}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": sorted(v for v, _ in _choices(field) if v)}
    if isinstance(field, listing.IdOrKeywordField):
        return {"type": "string", "pattern": f"^([0-9]{{1,18}}|{'|'.join(field.keywords)})$"}
    if isinstance(field, listing.IdField):
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    if isinstance(field, listing.MomentField):
        return {"type": "string", "format": "date-time"}
    return {"type": "string"}


def _description(field: forms.Field) -> str:
    parts = [str(field.help_text)] if field.help_text else []
    if isinstance(field, listing.MomentField):
        parts.append("A date and time, or a date: the whole day (`_before` includes it).")
    if isinstance(field, forms.ChoiceField):
        parts.append("\n".join(f"* `{value}` - {label}" for value, label in _choices(field) if value))
    return "\n\n".join(parts)


def ticket_list_parameters() -> list[OpenApiParameter]:
    """The ticket list's filters as OpenAPI query parameters, read off ``TicketFilterForm``."""
    return [
        OpenApiParameter(
            name,
            _schema(field),
            OpenApiParameter.QUERY,
            description=_description(field),
            explode=True if isinstance(field, forms.MultipleChoiceField) else None,
            style="form" if isinstance(field, forms.MultipleChoiceField) else None,
        )
        for name, field in listing.TicketFilterForm.base_fields.items()
    ]
