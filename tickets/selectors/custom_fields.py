"""Reading custom ticket fields: filtering ticket lists on them, and the fields (with their
values) a page shows for a ticket.

A list filter is an equality on the stored value (``tickets.services.custom_fields`` stores
values typed), "includes" for a multi-select. On PostgreSQL it is ``custom_fields @> '{"key":
value}'``, which the column's GIN index serves; SQLite has no JSON containment, so there it
compares the extracted key (``JSON_EXTRACT``) — or looks through the list (``json_each``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from helpdesk import memo
from tickets import caching, permissions
from tickets.models import FieldType, TicketField

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

T = TypeVar("T")

#: Query parameters ``cf_<key>=<value>`` filter on custom field ``key``.
CUSTOM_PREFIX = "cf_"
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_INT = re.compile(r"^-?\d{1,16}$")


@dataclass(frozen=True)
class FieldFilter:
    key: str
    value: Any
    multiple: bool = False  # a multi-select: the stored list includes ``value``
    visible_to_customers: bool = False

    def condition(self) -> Q:
        """Tickets whose field ``key`` has ``value`` (an unchecked checkbox: false or no key)."""
        if self.value is False:
            return _equals(self.key, False) | ~Q(custom_fields__has_key=self.key)
        if self.multiple:
            if connection.vendor == "postgresql":
                return Q(custom_fields__contains={self.key: [self.value]})
            sql = "EXISTS (SELECT 1 FROM json_each(tickets_ticket.custom_fields, %s) WHERE json_each.value = %s)"
            # Parameters only (the key is one of TicketField's: ^[a-z][a-z0-9_]*$, and is a parameter too).
            return Q(RawSQL(sql, (f'$."{self.key}"', self.value), output_field=BooleanField()))  # noqa: S611
        return _equals(self.key, self.value)


def _equals(key: str, value: Any) -> Q:
    if connection.vendor == "postgresql":
        return Q(custom_fields__contains={key: value})  # jsonb @>: the GIN index
    # JSON_EXTRACT(custom_fields, '$."key"') = the value (keys never hold "__": ticket_fields.KEY).
    return Q(**{f"custom_fields__{key}__exact": value})  # "__exact": a key named like a lookup stays a key


def custom_field_filters(given: list[tuple[str, str, str]]) -> tuple[list[FieldFilter], dict[str, str]]:
    """``(parameter, key, text)`` triples as filters, and the error of each parameter that is not
    one (an unknown field, a value of the wrong type): one query."""
    fields = {f.key: f for f in TicketField.objects.filter(key__in=[key for _name, key, _text in given])}
    filters: list[FieldFilter] = []
    errors: dict[str, str] = {}
    for name, key, text in given:
        field = fields.get(key)
        if field is None:
            errors[name] = _("There is no ticket field “%(key)s”.") % {"key": key[:60]}
            continue
        try:
            value = parse_filter_value(field, text.strip())
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        filters.append(
            FieldFilter(
                key=field.key,
                value=value,
                multiple=field.field_type == FieldType.MULTISELECT,
                visible_to_customers=field.visible_to_customers,
            )
        )
    return filters, errors


def parse_filter_value(field: TicketField, text: str) -> Any:
    """The typed value ``text`` means for ``field`` (``ValueError`` with a message otherwise)."""
    kind = field.field_type
    if kind == FieldType.NUMBER:
        try:
            number: int | float = int(text) if _INT.match(text) else float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(_("“%(label)s” takes a number.") % {"label": field.label})
        return int(number) if isinstance(number, float) and number.is_integer() else number
    if kind == FieldType.CHECKBOX:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(_("“%(label)s” takes true or false.") % {"label": field.label})
    if kind == FieldType.DATE:
        try:
            return date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date(field)
        except ValueError:
            return _bad_date(field)
    if kind in (FieldType.DROPDOWN, FieldType.MULTISELECT) and text not in field.option_values:
        raise ValueError(
            _("%(value)s is not an option of “%(label)s”; use one of: %(options)s.")
            % {"value": repr(text)[:60], "label": field.label, "options": ", ".join(field.option_values)}
        )
    return text


def _bad_date(field: TicketField) -> Any:
    raise ValueError(_("“%(label)s” takes a date such as 2026-01-31.") % {"label": field.label})


# --- for pages ----------------------------------------------------------------------------------


@dataclass
class ShownField:
    field: TicketField
    value: Any  # as stored; None: no value
    text: str  # the value in words (option labels), "" for none


#: Bumped on every write to a field definition (``definitions_changed``, connected in
#: ``TicketsConfig.ready`` to TicketField's save, delete and team changes).
DEFINITIONS_KEY = caching.read_together("helpdesk:ticket-fields:version")


def definitions_changed(**kwargs: Any) -> None:
    # Now (this process, this transaction) and again at commit (another process may have cached
    # the old definitions meanwhile).
    from tickets.sla.hook import DESK_MEMO  # the SLA policies' conditions name fields

    caching.changed_now_and_at_commit(DEFINITIONS_KEY)
    memo.forget(("active-ticket-fields",))
    memo.forget(DESK_MEMO)


def active_fields() -> list[TicketField]:
    """Every active field, in position order: one query when the definitions changed, else none
    (cached until a definition is written; remembered for the request). The queue, the rules
    engine and the filters all read it, so a page pays for the fields at most once."""
    return _definitions()[0]


def field_teams() -> dict[int, set[int]]:
    """The teams of each active field that is limited to some (a field of every ticket is not
    in it), read and cached with ``active_fields``."""
    return _definitions()[1]


def _definitions() -> tuple[list[TicketField], dict[int, set[int]]]:
    def read() -> tuple[list[TicketField], dict[int, set[int]]]:
        # One row per field and team (a field of every ticket: one row, no team), in one query.
        rows = TicketField.objects.filter(active=True).annotate(team_ref=F("teams")).order_by("position", "id")
        fields: dict[int, TicketField] = {}
        teams: dict[int, set[int]] = {}
        for row in rows:
            team = row.__dict__.pop("team_ref")
            fields.setdefault(row.pk, row)
            if team is not None:
                teams.setdefault(row.pk, set()).add(team)
        return list(fields.values()), teams

    return memo.remember(("active-ticket-fields",), lambda: _kept("active-ticket-field-definitions", read))


def field_keys() -> tuple[frozenset[str], frozenset[str]]:
    """The keys of every field, active or not, and of those visible to customers (what
    ``permissions.visible_custom_field_keys`` allows): cached as the definitions are, so an API
    answer for a customer no longer reads the field table."""

    def read() -> tuple[frozenset[str], frozenset[str]]:
        rows = list(TicketField.objects.values_list("key", "visible_to_customers"))
        return frozenset(key for key, _shown in rows), frozenset(key for key, shown in rows if shown)

    return _kept("ticket-field-keys", read)


_by_version: dict[str, tuple[int, Any]] = {}


def _kept(name: str, read: Callable[[], T]) -> T:
    """``read()``, kept in the process under the definitions' version (as ``tickets.sla.hook.desk``)
    and in the cache for the other processes: a request reads the version only, not the pickled
    value."""
    version = caching.version(DEFINITIONS_KEY)
    kept = _by_version.get(name)
    if kept is None or kept[0] != version:
        kept = (version, caching.cached(name, read, timeout=3600, scope=[DEFINITIONS_KEY]))
        _by_version[name] = kept
    return kept[1]


def fields_applying_to(team_id: int | None) -> list[TicketField]:
    """The active fields a ticket of team ``team_id`` (None: no team) has, in position order —
    those of every ticket and those of its team (``services.custom_fields.applies``): from the
    cached definitions, no query while they are unchanged."""
    from tickets.services.custom_fields import applies

    teams = field_teams()
    return [field for field in active_fields() if applies(team_id, teams.get(field.pk, set()))]


def fields_for_new_ticket(user: User) -> list[TicketField]:
    """The active fields ``user`` may fill in on a new ticket (which has no team yet)."""
    every = permissions.sees_every_custom_field(user)
    return [field for field in fields_applying_to(None) if every or field.visible_to_customers]


def fields_for_ticket(user: User, ticket: Ticket) -> list[ShownField]:
    """The active fields of ``ticket``'s team that ``user`` may see, with the ticket's values."""
    every = permissions.sees_every_custom_field(user, ticket)
    values = ticket.custom_fields or {}
    return [
        ShownField(field, values.get(field.key), value_text(field, values.get(field.key)))
        for field in fields_applying_to(ticket.team_id)
        if every or field.visible_to_customers
    ]


def value_text(field: TicketField, value: Any) -> str:
    """A stored value in words: option labels, Yes/No, the value itself; "" for none."""
    from tickets.history import custom_value_text
    from tickets.services.custom_fields import display_text

    if value is None:
        return ""
    if field.field_type in (FieldType.DROPDOWN, FieldType.MULTISELECT):
        return display_text(field, value) or ""
    return custom_value_text(value)
