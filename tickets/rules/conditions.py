"""Conditions: ``{"all": [...], "any": [...]}`` of ``{"field", "operator", "value"}`` — checked
once (``parse``: every mistake named, in the person's words) and then compiled two ways that
must agree: ``ConditionSet.matches`` (one ticket in hand: triggers) and ``ConditionSet.q``
(one ORM filter: views, automations, counts). ``tickets/tests/test_rules_agreement.py`` proves
the two agree on every field and operator over generated tickets.

A ticket matches when every ``all`` condition holds and, if there are ``any`` conditions, at
least one of them does. An empty set matches every ticket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from tickets.rules import fields as f

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket, TicketField

MAX_CONDITIONS = 50


@dataclass(frozen=True)
class Condition:
    field: f.Field
    operator: str
    value: Any  # cleaned: a str, int, float, bool, date string or a tuple for listed operators

    def as_json(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        data: dict[str, Any] = {"field": self.field.name, "operator": self.operator}
        if self.operator not in f.UNARY:
            data["value"] = value
        return data


@dataclass(frozen=True)
class ConditionSet:
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        return {"all": [c.as_json() for c in self.all], "any": [c.as_json() for c in self.any]}

    @property
    def empty(self) -> bool:
        return not self.all and not self.any

    def uses_current_user(self) -> bool:
        return any(c.value == f.CURRENT_USER or f.CURRENT_USER in _as_tuple(c.value) for c in self.all + self.any)

    # --- one ORM filter ------------------------------------------------------------------------
    def q(self, *, now: datetime, current_user: User | None = None) -> Q:
        """The filter on ``Ticket`` selecting exactly the tickets ``matches`` accepts at ``now``."""
        result = Q()
        for condition in self.all:
            result &= _q(condition, now, current_user)
        if self.any:
            either = Q(pk__in=[])
            for condition in self.any:
                either |= _q(condition, now, current_user)
            result &= either
        return result

    # --- one ticket in hand -----------------------------------------------------------------------
    def matches(self, ticket: Ticket, *, now: datetime, current_user: User | None = None) -> bool:
        facts = _Facts(ticket)
        if not all(_holds(c, facts, now, current_user) for c in self.all):
            return False
        return not self.any or any(_holds(c, facts, now, current_user) for c in self.any)


# --- parsing --------------------------------------------------------------------------------------


def parse(data: Any, *, custom: list[TicketField] | None = None, allow_current_user: bool = True) -> ConditionSet:
    """Check ``data`` and return the condition set; ``ValidationError`` listing every mistake
    ("Condition 2 of "all": …") otherwise. ``custom``: the active custom fields, if the caller
    has them. ``allow_current_user``: whether "current_user" means someone where the rule runs."""
    if data in (None, ""):
        return ConditionSet()
    if not isinstance(data, dict):
        raise ValidationError(_('Conditions must be an object with "all" and/or "any" lists.'))
    unknown = sorted(set(data) - {"all", "any"})
    if unknown:
        raise ValidationError(_('Conditions have only "all" and "any"; not %(keys)s.') % {"keys": ", ".join(unknown)})
    available = f.available(custom)
    errors: list[str] = []
    parsed: dict[str, list[Condition]] = {"all": [], "any": []}
    total = 0
    for group in ("all", "any"):
        items = data.get(group) or []
        if not isinstance(items, list):
            errors.append(_('"%(group)s" must be a list of conditions.') % {"group": group})
            continue
        total += len(items)
        for index, item in enumerate(items, start=1):
            try:
                parsed[group].append(_parse_one(item, available, allow_current_user))
            except ValidationError as error:
                for message in error.messages:
                    errors.append(
                        _('Condition %(number)s of "%(group)s": %(message)s')
                        % {"number": index, "group": group, "message": message}
                    )
    if total > MAX_CONDITIONS:
        errors.append(_("At most %(limit)s conditions.") % {"limit": MAX_CONDITIONS})
    if errors:
        raise ValidationError(errors)
    return ConditionSet(tuple(parsed["all"]), tuple(parsed["any"]))


def _parse_one(item: Any, available: dict[str, f.Field], allow_current_user: bool) -> Condition:
    if not isinstance(item, dict):
        raise ValidationError(_('each condition is an object with "field", "operator" and "value".'))
    name, operator = item.get("field"), item.get("operator")
    if not isinstance(name, str) or name not in available:
        raise ValidationError(_('unknown field "%(field)s".') % {"field": name})
    field = available[name]
    if operator not in field.operators:
        raise ValidationError(
            _('"%(operator)s" does not apply to %(field)s; use one of: %(operators)s.')
            % {"operator": operator, "field": field.label, "operators": ", ".join(field.operators)}
        )
    if operator in f.UNARY:
        return Condition(field, operator, None)
    if "value" not in item:
        raise ValidationError(_("%(field)s needs a value.") % {"field": field.label})
    value = item["value"]
    if operator in f.LISTED:
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ValidationError(_("%(field)s needs at least one value.") % {"field": field.label})
        cleaned = tuple(_clean_value(field, v, allow_current_user) for v in values)
        return Condition(field, operator, tuple(dict.fromkeys(cleaned)))
    return Condition(field, operator, _clean_value(field, value, allow_current_user))


def _clean_value(field: f.Field, value: Any, allow_current_user: bool) -> Any:
    wrong = ValidationError(
        _("%(value)s is not a valid value for %(field)s.") % {"value": repr(value), "field": field.label}
    )
    if field.type == f.CHOICE:
        if value not in field.choices:
            raise ValidationError(
                _("%(field)s is one of: %(choices)s.") % {"field": field.label, "choices": ", ".join(field.choices)}
            )
        return value
    if field.type == f.REFERENCE:
        if field.people and value == f.CURRENT_USER:
            if not allow_current_user:
                raise ValidationError(_('"current_user" means no one here.'))
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        if not apps.get_model(field.model).objects.filter(pk=value).exists():
            raise ValidationError(_("%(field)s %(value)s does not exist.") % {"field": field.label, "value": value})
        return value
    if field.type in (f.TAGS, f.MULTI):
        if not isinstance(value, str) or not value.strip():
            raise wrong
        value = value.strip().lower()
        if field.type == f.MULTI and value not in field.custom.option_values:  # type: ignore[union-attr]
            raise ValidationError(
                _("%(field)s is one of: %(choices)s.")
                % {"field": field.label, "choices": ", ".join(field.custom.option_values)}  # type: ignore[union-attr]
            )
        return value
    if field.type == f.TEXT:
        if not isinstance(value, str) or not value or len(value) > 200:
            raise wrong
        return value
    if field.type in (f.HOURS, f.NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise wrong
        if field.type == f.HOURS and value < 0:
            raise wrong
        return value
    if field.type == f.DATE:
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise wrong from None
    if field.type == f.CHECKBOX:
        if not isinstance(value, bool):
            raise wrong
        return value
    raise AssertionError(field.type)  # pragma: no cover


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _person(value: Any, current_user: User | None) -> Any:
    if value == f.CURRENT_USER:
        return current_user.pk if current_user is not None else None
    return value


# --- the ORM filter ---------------------------------------------------------------------------


def _q(c: Condition, now: datetime, current_user: User | None) -> Q:
    field, op, value = c.field, c.operator, c.value
    if field.custom is not None:
        return _custom_q(field, op, value)
    if field.name == "mailbox":
        return _mailbox_q(op, value)
    if field.type == f.TAGS:
        from tickets.models import Ticket

        through = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name__in=list(value))
        return Q(Exists(through)) if op == f.INCLUDES else ~Q(Exists(through))
    column = field.column
    if op == f.PRESENT:
        return Q(**{f"{column}__isnull": False})
    if op == f.NOT_PRESENT:
        return Q(**{f"{column}__isnull": True})
    if field.type == f.HOURS:
        moment = now - timedelta(hours=value)
        return Q(**{f"{column}__lt": moment}) if op == f.GREATER_THAN else Q(**{f"{column}__gt": moment})
    if field.people:
        value = tuple(_person(v, current_user) for v in value) if op in f.LISTED else _person(value, current_user)
    if field.type == f.TEXT:
        lookup = "iexact" if op in (f.IS, f.IS_NOT) else "icontains"
        q = Q(**{f"{column}__{lookup}": value})
        return q if op in (f.IS, f.CONTAINS) else ~q
    if op in (f.IN, f.NOT_IN):
        known = [v for v in value if v is not None]
        q = Q(**{f"{column}__in": known})
        return q if op == f.IN else ~q
    if value is None:  # "current_user" with no one: an assignee is never "no one" by id
        return Q(pk__in=[]) if op == f.IS else Q()
    q = Q(**{column: value})
    return q if op == f.IS else ~q


def _mailbox_q(op: str, value: Any) -> Q:
    from tickets.models import InboundMessage

    messages = InboundMessage.objects.filter(ticket_id=OuterRef("pk"))
    if op in (f.PRESENT, f.NOT_PRESENT):
        q = Q(Exists(messages))
        return q if op == f.PRESENT else ~q
    ids = list(_as_tuple(value))
    q = Q(Exists(messages.filter(mailbox_id__in=ids)))
    return q if op in (f.IS, f.IN) else ~q


def _custom_q(field: f.Field, op: str, value: Any) -> Q:
    """Custom values live in ``Ticket.custom_fields``. On PostgreSQL equality and membership are
    jsonb containment (``@>``) and presence is ``?`` — both served by the GIN index; SQLite
    reads the key with JSON_EXTRACT. A missing key is "not set", so negations say so explicitly
    (SQL's NULL would otherwise drop those tickets)."""
    key = field.custom.key  # type: ignore[union-attr]
    postgres = connection.vendor == "postgresql"
    column = f"custom_fields__{key}"
    has = Q(custom_fields__has_key=key)

    def equals(v: Any) -> Q:
        return Q(custom_fields__contains={key: v}) if postgres else has & Q(**{column: v})

    def holds_option(v: str) -> Q:
        if postgres:
            return Q(custom_fields__contains={key: [v]})
        return has & Q(**{f"{column}__icontains": f'"{v}"'})  # a JSON array of slugs

    if op == f.PRESENT:
        return has
    if op == f.NOT_PRESENT:
        return ~has
    if field.type == f.CHECKBOX:
        return equals(True) if value else ~equals(True)
    if field.type == f.MULTI:
        q = Q(pk__in=[])
        for v in value:
            q |= holds_option(v)
        return q if op == f.INCLUDES else ~q
    if op in (f.IN, f.NOT_IN):
        q = Q(pk__in=[])
        for v in value:
            q |= equals(v)
        return q if op == f.IN else ~q
    if field.type == f.TEXT:
        q = has & Q(**{f"{column}__iexact" if op in (f.IS, f.IS_NOT) else f"{column}__icontains": value})
        return q if op in (f.IS, f.CONTAINS) else ~q
    if op in (f.LESS_THAN, f.GREATER_THAN):
        return has & Q(**{f"{column}__{'lt' if op == f.LESS_THAN else 'gt'}": value})
    q = equals(value)
    return q if op == f.IS else ~q


# --- one ticket -----------------------------------------------------------------------------------


class _Facts:
    """What the predicate reads of one ticket, loaded once per ticket and only if asked."""

    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        self._tags: set[str] | None = None
        self._mailboxes: set[int] | None = None

    @property
    def tags(self) -> set[str]:
        if self._tags is None:
            self._tags = {tag.name for tag in self.ticket.tags.all()}
        return self._tags

    @property
    def mailboxes(self) -> set[int]:
        if self._mailboxes is None:
            from tickets.models import InboundMessage

            self._mailboxes = set(
                InboundMessage.objects.filter(ticket=self.ticket).values_list("mailbox_id", flat=True)
            )
        return self._mailboxes


def _holds(c: Condition, facts: _Facts, now: datetime, current_user: User | None) -> bool:
    field, op, value = c.field, c.operator, c.value
    ticket = facts.ticket
    if field.name == "mailbox":
        if op in (f.PRESENT, f.NOT_PRESENT):
            return bool(facts.mailboxes) == (op == f.PRESENT)
        hit = bool(facts.mailboxes & set(_as_tuple(value)))
        return hit if op in (f.IS, f.IN) else not hit
    if field.type == f.TAGS:
        hit = bool(facts.tags & set(value))
        return hit if op == f.INCLUDES else not hit
    if field.custom is not None:
        actual = (ticket.custom_fields or {}).get(field.custom.key)
    else:
        actual = getattr(ticket, field.column)
    if op == f.PRESENT:
        return actual is not None
    if op == f.NOT_PRESENT:
        return actual is None
    if field.type == f.HOURS:
        if actual is None:
            return False
        moment = now - timedelta(hours=value)
        return actual < moment if op == f.GREATER_THAN else actual > moment
    if field.type == f.CHECKBOX:
        return (actual is True) == value
    if field.type == f.MULTI:
        hit = actual is not None and bool(set(actual) & set(value))
        return hit if op == f.INCLUDES else not hit
    if field.people:
        value = tuple(_person(v, current_user) for v in value) if op in f.LISTED else _person(value, current_user)
    if field.type == f.TEXT:
        if actual is None:
            hit = False
        elif op in (f.IS, f.IS_NOT):
            hit = actual.upper() == value.upper()
        else:
            hit = value.upper() in actual.upper()
        return hit if op in (f.IS, f.CONTAINS) else not hit
    if op in (f.IN, f.NOT_IN):
        hit = actual is not None and actual in value
        return hit if op == f.IN else not hit
    if op in (f.LESS_THAN, f.GREATER_THAN):
        if actual is None:
            return False
        return actual < value if op == f.LESS_THAN else actual > value
    if value is None:
        return op == f.IS_NOT
    hit = actual is not None and actual == value
    return hit if op == f.IS else not hit
