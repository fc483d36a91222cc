"""Defining the desk's own ticket fields (``TicketField``): create, change, deactivate — desk
managers only (the settings area and the API check ``accounts.permissions.can_manage_desk``).

A field's key and type are fixed once it exists: tickets store values under the key in the
type's shape (``tickets.services.custom_fields``), and rules name the key. A field is never
deleted, only deactivated: tickets keep their values, nobody can set it any more, and turning it
active again brings it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.models import Team, User
from accounts.permissions import can_manage_desk
from helpdesk.text import clean_label
from tickets.models import FieldType, TicketField
from tickets.services.custom_fields import OPTION_VALUE

#: A key: what the model allows, without "__" (lookups would read it as a path: ``custom_fields__a__b``).
KEY = re.compile(r"^(?!.*__)[a-z][a-z0-9_]{0,39}$")
MAX_OPTIONS = 200
OPTION_TYPES = (FieldType.DROPDOWN, FieldType.MULTISELECT)
#: What a definition holds besides its key and type (``ticket_field_update`` takes any of them).
EDITABLE = (
    "label",
    "description",
    "options",
    "pattern",
    "visible_to_customers",
    "required_in_portal",
    "required_on_solve",
    "teams",
    "position",
    "active",
)


def _require_manager(actor: User) -> None:
    if not can_manage_desk(actor):
        raise PermissionDenied(_("Only desk managers can define ticket fields."))


def clean_options(value: Any) -> list[dict[str, str]]:
    """``[{"value", "label"}, …]``: values unique and of ``OPTION_VALUE``, labels one line."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({"options": [_("Give the options as a list of values and labels.")]})
    if len(value) > MAX_OPTIONS:
        raise ValidationError({"options": [_("Use at most %(count)d options.") % {"count": MAX_OPTIONS}]})
    options: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise ValidationError({"options": [_("Each option needs a value and a label.")]})
        option_value = item["value"].strip()
        label = clean_label(str(item.get("label") or option_value))[:100]
        if not OPTION_VALUE.match(option_value) or len(option_value) > 60:
            raise ValidationError(
                {
                    "options": [
                        _(
                            "Option value “%(value)s” is not valid: use up to 60 lower-case letters, digits, "
                            "'-' or '_', starting with a letter or digit."
                        )
                        % {"value": option_value[:60]}
                    ]
                }
            )
        if option_value in seen:
            raise ValidationError({"options": [_("Option value “%(value)s” is used twice.") % {"value": option_value}]})
        seen.add(option_value)
        options.append({"value": option_value, "label": label})
    return options


def _clean(values: dict[str, Any], field_type: str) -> dict[str, Any]:
    """The definition ``values`` checked together (all problems at once)."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "label" in values:
        label = clean_label(str(values["label"] or ""))
        if not label:
            errors["label"] = [_("Give the field a label.")]
        elif len(label) > 100:
            errors["label"] = [_("Use at most %(count)d characters.") % {"count": 100}]
        clean["label"] = label
    if "description" in values:
        description = clean_label(str(values["description"] or ""))
        if len(description) > 255:
            errors["description"] = [_("Use at most %(count)d characters.") % {"count": 255}]
        clean["description"] = description
    if "options" in values:
        try:
            clean["options"] = clean_options(values["options"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "pattern" in values:
        pattern = str(values["pattern"] or "").strip()
        if len(pattern) > 200:
            errors["pattern"] = [_("Use at most %(count)d characters.") % {"count": 200}]
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                errors["pattern"] = [_("This is not a valid regular expression: %(error)s.") % {"error": exc}]
        clean["pattern"] = pattern
    for name in ("visible_to_customers", "required_in_portal", "required_on_solve", "active"):
        if name in values:
            if not isinstance(values[name], bool):
                errors[name] = [_("Give true or false.")]
            clean[name] = values[name]
    if "position" in values:
        position = values["position"]
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 1_000_000:
            errors["position"] = [_("Give a whole number from 0 to 1,000,000.")]
        clean["position"] = position
    if "teams" in values:
        teams = list(values["teams"] or [])
        if not all(isinstance(team, Team) for team in teams):
            errors["teams"] = [_("Give teams.")]
        clean["teams"] = teams
    if errors:
        raise ValidationError(errors)
    return clean


def _check_whole(field: TicketField) -> None:
    """What only the whole definition can say (after the given values are applied)."""
    errors: dict[str, list[str]] = {}
    if field.field_type in OPTION_TYPES and not field.options:
        errors["options"] = [_("A drop-down or multi-select field needs at least one option.")]
    if field.field_type not in OPTION_TYPES:
        field.options = []
    if field.field_type == FieldType.REGEX and not field.pattern:
        errors["pattern"] = [_("A pattern field needs a pattern.")]
    if field.field_type != FieldType.REGEX:
        field.pattern = ""
    if field.required_in_portal and not field.visible_to_customers:
        errors["required_in_portal"] = [_("Only a field visible to customers can be required in the portal.")]
    if errors:
        raise ValidationError(errors)


def ticket_field_create(*, actor: User, key: Any, field_type: Any, label: Any, **values: Any) -> TicketField:
    """Define a new field (active unless ``active=False``)."""
    _require_manager(actor)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("Unknown setting.")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    key = str(key or "").strip()
    if not KEY.match(key):
        errors["key"] = [
            _("Use 1 to 40 lower-case letters, digits and underscores, starting with a letter (e.g. order_number).")
        ]
    elif TicketField.objects.filter(key=key).exists():
        errors["key"] = [_("Another field already has the key “%(key)s”.") % {"key": key}]
    if field_type not in FieldType.values:
        errors["field_type"] = [_("Choose one of: %(types)s.") % {"types": ", ".join(FieldType.values)}]
    try:
        clean = _clean({"label": label, **values}, str(field_type))
    except ValidationError as exc:
        errors.update(exc.message_dict)
        clean = {}
    if errors:
        raise ValidationError(errors)
    teams = clean.pop("teams", [])
    field = TicketField(key=key, field_type=field_type, **clean)
    _check_whole(field)
    try:
        with transaction.atomic():
            field.save()
            field.teams.set(teams)
    except IntegrityError:
        raise ValidationError({"key": [_("Another field already has the key “%(key)s”.") % {"key": key}]}) from None
    return field


def ticket_field_update(*, actor: User, field: TicketField, **values: Any) -> TicketField:
    """Change any of ``EDITABLE`` of ``field`` (its key and type stay)."""
    _require_manager(actor)
    fixed = [name for name in ("key", "field_type") if name in values]
    if fixed:
        raise ValidationError(
            {name: [_("A field's key and type cannot change; create a new field instead.")] for name in fixed}
        )
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("Unknown setting.")] for name in sorted(unknown)})
    clean = _clean(values, field.field_type)
    teams = clean.pop("teams", None)
    with transaction.atomic():
        field = TicketField.objects.select_for_update().get(pk=field.pk)
        for name, value in clean.items():
            setattr(field, name, value)
        _check_whole(field)
        field.updated_at = timezone.now()
        field.save()
        if teams is not None:
            field.teams.set(teams)
    return field


def ticket_field_deactivate(*, actor: User, field: TicketField) -> TicketField:
    """Stop using ``field``: tickets keep their values; nobody can set it until it is active again."""
    return ticket_field_update(actor=actor, field=field, active=False)


@audit.untranslated
def definition_values(field: TicketField) -> audit.Values:
    """A definition as the audit log shows it (``accounts.audit``: labels and words translated
    when shown)."""
    teams = ", ".join(sorted(team.name for team in field.teams.all()))
    return {
        gettext_noop("Key"): field.key,
        gettext_noop("Label"): field.label,
        gettext_noop("Type"): str(FieldType(field.field_type).label),
        gettext_noop("Help text"): field.description or audit.NOTHING,
        gettext_noop("Options"): ", ".join(f"{o['value']} | {o['label']}" for o in field.options or [])
        or audit.NOTHING,
        gettext_noop("Pattern"): field.pattern or audit.NOTHING,
        gettext_noop("Visible to customers"): _yes_no(field.visible_to_customers),
        gettext_noop("Required in the portal"): _yes_no(field.required_in_portal),
        gettext_noop("Required before solving"): _yes_no(field.required_on_solve),
        gettext_noop("Teams"): teams or audit.NOTHING,
        gettext_noop("Position"): str(field.position),
        gettext_noop("Active"): _yes_no(field.active),
    }


def _yes_no(value: bool) -> str:
    return gettext_noop("Yes") if value else gettext_noop("No")


def ordered(fields: Iterable[TicketField]) -> list[TicketField]:
    return sorted(fields, key=lambda f: (f.position, f.pk or 0))
