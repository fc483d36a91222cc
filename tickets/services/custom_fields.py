"""The desk's own ticket fields (``tickets.models.TicketField``): checking the values a person
gives a ticket, the history of their changes, and what solving a ticket requires.

Values are stored typed and never empty (the storage contract the rules engine compiles
conditions against): text, pattern and drop-down values as ``str``; numbers as ``int`` or
``float`` (an integral number is an ``int``); dates as ``"YYYY-MM-DD"``; checkboxes as ``bool``
(a missing key is unchecked too); multi-selects as a sorted, non-empty list of option values.
A field without a value has no key: ``None``, ``""`` and ``[]`` remove it.

Who may set which field is ``tickets.permissions``' question (``custom_field_visible``): people
who work the ticket set any field; customers only the fields ``visible_to_customers`` — for them
an agents-only field does not exist.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Team, User
from tickets import permissions
from tickets.models import EventKind, FieldType, Ticket, TicketField

#: The longest text a text or pattern field keeps.
TEXT_MAX = 1000
#: Numbers beyond this are refused: every client (JavaScript included) reads them exactly.
NUMBER_MAX = 10**15
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Option values (``TicketField.options``): what rules, filters and the API match on.
OPTION_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
EMPTY: tuple[Any, ...] = (None, "", [], ())


def error_key(key: str) -> str:
    """Where a field's messages go in a ``ValidationError`` (the API's 400 names it as is)."""
    return f"custom_fields.{key}"


def applies(team_id: int | None, team_ids: set[int]) -> bool:
    """Whether a field of teams ``team_ids`` (none: every ticket) is a field of tickets of ``team_id``."""
    return not team_ids or team_id in team_ids


def clean_custom_fields(
    values: Any,
    *,
    ticket_team: Team | int | None,
    actor: User,
    partial: bool,
    existing: dict[str, Any] | None,
    ticket: Ticket | None = None,
) -> dict[str, Any]:
    """The ticket's custom field values after ``values`` (``{"key": value}``) are applied.

    ``partial``: the given keys change and the others stay as in ``existing``; otherwise the
    given keys are all the values. Each key must name an active field that applies to tickets of
    ``ticket_team`` and that ``actor`` may set (on ``ticket``); each value must have the field's
    type. Every problem is reported at once, under ``custom_fields.<key>``."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": [_("Give the custom fields as an object of field keys and values.")]})
    result = dict(existing or {}) if partial else {}
    if not values:
        return result
    team_id = ticket_team.pk if isinstance(ticket_team, Team) else ticket_team
    fields = {f.key: f for f in TicketField.objects.filter(key__in=[str(k) for k in values]).prefetch_related("teams")}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        field = fields.get(str(key))
        if field is None or not permissions.custom_field_visible(actor, field, ticket):
            errors[error_key(str(key)[:60])] = [_("There is no ticket field “%(key)s”.") % {"key": str(key)[:60]}]
            continue
        if not field.active:
            errors[error_key(field.key)] = [_("The field “%(label)s” is no longer in use.") % {"label": field.label}]
            continue
        if not applies(team_id, {team.pk for team in field.teams.all()}):
            message = (
                _("The field “%(label)s” is not used on tickets without a team.")
                if team_id is None
                else _("The field “%(label)s” is not used on tickets of this team.")
            )
            errors[error_key(field.key)] = [message % {"label": field.label}]
            continue
        try:
            clean = clean_value(field, value)
        except ValidationError as exc:
            errors[error_key(field.key)] = exc.messages
            continue
        if clean is None:
            result.pop(field.key, None)
        else:
            result[field.key] = clean
    if errors:
        raise ValidationError(errors)
    return result


def clean_value(field: TicketField, value: Any) -> Any:
    """``value`` as ``field`` stores it, ``None`` for no value; ``ValidationError`` with a
    message that names the field otherwise."""
    if isinstance(value, str) and field.field_type not in (FieldType.TEXT, FieldType.REGEX):
        value = value.strip()
    if value in EMPTY:
        return None
    label = field.label
    kind = field.field_type
    if kind in (FieldType.TEXT, FieldType.REGEX):
        if not isinstance(value, str):
            raise ValidationError(_("“%(label)s” takes text.") % {"label": label})
        text = value.strip()
        if not text:
            return None
        if len(text) > TEXT_MAX:
            raise ValidationError(
                _("“%(label)s” takes at most %(count)s characters.") % {"label": label, "count": f"{TEXT_MAX:,}"}
            )
        if kind == FieldType.REGEX and field.pattern and not _full_match(field.pattern, text):
            raise ValidationError(
                _("“%(value)s” is not in the form “%(label)s” takes.") % {"value": text[:60], "label": label}
            )
        return text
    if kind == FieldType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(_("“%(label)s” takes a number.") % {"label": label})
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(_("“%(label)s” takes a finite number.") % {"label": label})
        if abs(value) > NUMBER_MAX:
            raise ValidationError(
                _("“%(label)s” takes numbers up to %(max)s.") % {"label": label, "max": f"{NUMBER_MAX:,}"}
            )
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if kind == FieldType.DATE:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str) and _DATE.match(value):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise ValidationError(_("“%(label)s” takes a date such as 2026-01-31.") % {"label": label})
    if kind == FieldType.CHECKBOX:
        if not isinstance(value, bool):
            raise ValidationError(_("“%(label)s” takes true or false.") % {"label": label})
        return value
    if kind == FieldType.DROPDOWN:
        if not isinstance(value, str) or value not in field.option_values:
            raise ValidationError(_option_message(field, value))
        return value
    if kind == FieldType.MULTISELECT:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValidationError(_("“%(label)s” takes a list of options.") % {"label": label})
        for item in value:
            if not isinstance(item, str) or item not in field.option_values:
                raise ValidationError(_option_message(field, item))
        return sorted(set(value)) or None
    raise ValidationError(_("“%(label)s” cannot be set.") % {"label": label})


def _option_message(field: TicketField, value: Any) -> str:
    return _("%(value)s is not an option of “%(label)s”; use one of: %(options)s.") % {
        "value": repr(value)[:60],
        "label": field.label,
        "options": ", ".join(field.option_values),
    }


def _full_match(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return False


# --- on a ticket ---------------------------------------------------------------------------------


def record_changes(change: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    """One history event per field whose value differs between ``old`` and ``new`` (the
    ticket's values before and after), public when the field is visible to customers."""
    keys = sorted({key for key in old.keys() | new.keys() if old.get(key) != new.get(key)})
    if not keys:
        return
    fields = {f.key: f for f in TicketField.objects.filter(key__in=keys)}
    for key in keys:
        field = fields.get(key)
        data = {
            "field": key,
            "label": field.label if field else key,
            "type": field.field_type if field else None,
            "old": old.get(key),
            "new": new.get(key),
        }
        if field is not None and field.field_type in (FieldType.DROPDOWN, FieldType.MULTISELECT):
            data["old_text"] = display_text(field, old.get(key))
            data["new_text"] = display_text(field, new.get(key))
        change.record(
            EventKind.CUSTOM_FIELD_CHANGED, data, public=bool(field is not None and field.visible_to_customers)
        )


def display_text(field: TicketField, value: Any) -> str | None:
    """A drop-down or multi-select value as its option labels (the history keeps them as they
    were when the value changed); None for no value."""
    if value in EMPTY:
        return None
    if isinstance(value, list):
        return ", ".join(field.option_label(item) for item in value)
    return field.option_label(value)


def missing_for_solve(ticket: Ticket) -> list[TicketField]:
    """The active fields required before solving that apply to ``ticket`` and have no value."""
    from tickets.selectors.custom_fields import fields_applying_to

    values = ticket.custom_fields or {}
    return [
        field for field in fields_applying_to(ticket.team_id) if field.required_on_solve and field.key not in values
    ]


def check_solvable(ticket: Ticket) -> None:
    """``ValidationError`` naming the required-on-solve fields ``ticket`` still lacks."""
    missing = missing_for_solve(ticket)
    if missing:
        raise ValidationError(
            {
                "status": [
                    _("Fill in %(fields)s before solving this ticket.")
                    % {"fields": ", ".join(f"“{field.label}”" for field in missing)}
                ]
            }
        )


def missing_for_portal(values: dict[str, Any], team_id: int | None = None) -> dict[str, list[str]]:
    """Errors for the active customer-visible fields a customer must fill in when filing a
    ticket (``required_in_portal``) that ``values`` lacks."""
    from tickets.selectors.custom_fields import fields_applying_to

    return {
        error_key(field.key): [_("This field is required.")]
        for field in fields_applying_to(team_id)
        if field.visible_to_customers and field.required_in_portal and field.key not in values
    }
