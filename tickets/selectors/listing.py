"""The one ticket list: its filters, parsed once, its sorts, and its keyset pages.

The customer portal (My tickets), the agent queue and the API's ticket list all list tickets
through ``ticket_list``; they differ only in the tickets they start from (the portal's, a queue
view's, the API's — each already scoped by ``tickets.permissions``) and in which filters they
offer. So a filter means the same on every surface:

- ``TicketFilterForm`` is the one description of the filters: what each parameter accepts and
  the message when it does not. Surfaces parse their query string with it (the queue's form is a
  subclass that adds its pickers; the API names a wrong parameter in a 400).
- ``TicketFilters`` is the parsed result; ``ticket_list`` turns it into one WHERE.
- ``SORTS`` whitelists the orders (each ends with the id, the tie-breaker); ``ticket_page`` cuts
  keyset pages of any of them with ``helpdesk.keyset``. "Updated" is the activity the lister may
  know of (``sorts_for``): every change for agents, public changes for customers.

Dates: a bare date is the whole day in the current time zone (``created_before=2026-01-31``
includes the 31st); a date and time is that instant (``after`` inclusive, ``before`` exclusive).
Both become a range on the column itself, which its index serves. A search (``q``) narrows the
list (``tickets.search.matching``); only the relevance sort ranks it (``search.ranked``: the best
of the most recent matches).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.addresses import normalize_email
from accounts.models import Organization
from helpdesk import keyset
from helpdesk.ids import parse_id
from tickets import permissions, search
from tickets.models import Category, Channel, Priority, Status, Ticket
from tickets.satisfaction import selectors as satisfaction_selectors
from tickets.selectors.custom_fields import CUSTOM_PREFIX, FieldFilter, custom_field_filters

if TYPE_CHECKING:
    from accounts.models import User

#: A tag as stored (the Tag model's CHECK constraint); filters lower-case what they are given.
_TAG = re.compile(r"^[a-z0-9_-]{1,50}$")

# --- sorts ----------------------------------------------------------------------------------------

#: Public sort name -> column; ``-`` before a name reverses it, ``-`` before a column makes its
#: natural order descending. Every sort ends with the id in the same direction (keyset.Key).
SORTS: dict[str, str | tuple[str, ...]] = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    # By urgency, not alphabet: ``priority`` lists urgent first, ``-priority`` low first.
    "priority": "priority_rank",
    # By lifecycle: open first.
    "status": "status_rank",
    # By SLA: the earliest breach (overdue first) first, tickets with nothing due last (a
    # nullable column: ``helpdesk.keyset`` orders it NULLS LAST, ``-sla`` NULLS FIRST).
    "sla": "sla_breach_at",
    # Most urgent first, as a support lead triages (agents only, like ``sla``): overdue SLA
    # targets first (longest overdue first), then the next breach soonest; then the tickets with
    # nothing due, most urgent priority first, oldest first. ``-urgency`` is its exact reverse.
    # Served by ``ticket_urgency_idx`` (sla_breach_at, priority_rank, id).
    "urgency": ("sla_breach_at", "priority_rank"),
    # Only with a search: best match first (``-relevance`` reverses), as ranked by tickets.search.
    "relevance": "-" + search.RANK,
}
DEFAULT_SORT = "-updated_at"
SEARCH_SORT = "relevance"


def sorts_for(user: User | None) -> dict[str, str | tuple[str, ...]]:
    """``SORTS`` as ``user`` may sort: ``updated_at`` is the activity they may know of
    (``permissions.activity_column``: every change for agents, public changes for customers);
    ``sla`` and ``urgency`` only for people who work tickets.
    Without a user, the agents' columns."""
    if user is None:
        return SORTS
    sorts = {**SORTS, "updated_at": permissions.activity_column(user)}
    if not permissions.works_tickets(user):
        sorts.pop("sla")  # SLA due times are internal: a customer may not even order by them
        sorts.pop("urgency")
    return sorts


def sort_keys(sort: str, user: User | None = None) -> list[keyset.Key]:
    """The keyset keys of ``sort`` (a name of ``SORTS``, ``-`` reverses) for ``user`` (see
    ``sorts_for``); ``keyset.BadOrdering``."""
    return keyset.ordering_keys(sorts_for(user), sort)


# --- the filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilters:
    """Parsed filters; an empty value filters nothing. Date bounds are instants: ``*_after``
    inclusive, ``*_before`` exclusive (``TicketFilterForm`` turns a date into its whole day)."""

    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    assignee: int | str | None = None  # a user id, "me" or "none"
    team: int | str | None = None  # a team id or "none"
    requester: int | str | None = None  # a user id; in the queue also an email or part of a name
    organization: int | None = None
    tag: str = ""
    category: str = ""
    channel: str = ""
    q: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    #: Custom field filters (``custom_fields.FieldFilter``), from ``field``/``value`` and ``cf_<key>``.
    custom_fields: tuple[FieldFilter, ...] = ()
    #: SLA (agents only): an unmet target past its breach time (True) or none (False); a next
    #: breach before this instant (``Ticket.sla_breach_at``, its index).
    sla_breached: bool | None = None
    sla_breach_before: datetime | None = None
    #: The answer to the ticket's latest satisfaction survey: good, bad or unrated (agents only).
    satisfaction: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> TicketFilters:
        """From a ``TicketFilterForm``'s cleaned data (missing or empty keys filter nothing)."""
        bounds = {name: _bound(data[name], end=name.endswith("_before")) for name in _BOUNDS if data.get(name)}
        return cls(
            status=tuple(data.get("status") or ()),
            priority=tuple(data.get("priority") or ()),
            assignee=_id_or_keyword(data.get("assignee"), ("me", "none")),
            team=_id_or_keyword(data.get("team"), ("none",)),
            requester=data.get("requester") or None,
            organization=int(data["organization"]) if data.get("organization") else None,
            tag=data.get("tag") or "",
            category=data.get("category") or "",
            channel=data.get("channel") or "",
            q=(data.get("q") or "").strip(),
            custom_fields=tuple(data.get("custom_fields") or ()),
            sla_breached=data.get("sla_breached"),
            satisfaction=data.get("satisfaction") or "",
            **bounds,
        )

    def condition(self, user: User) -> Q:
        """The WHERE of these filters for ``user`` (``me`` is them)."""
        where = Q()
        if self.status:
            where &= Q(status__in=self.status)
        if self.priority:
            where &= Q(priority__in=self.priority)
        if self.assignee == "me":
            where &= Q(assignee=user.pk)
        elif self.assignee == "none":
            where &= Q(assignee__isnull=True)
        elif self.assignee is not None:
            where &= Q(assignee=self.assignee)
        if self.team == "none":
            where &= Q(team__isnull=True)
        elif self.team is not None:
            where &= Q(team=self.team)
        if self.sla_breached is True:
            where &= Q(sla_breach_at__lte=timezone.now())
        elif self.sla_breached is False:
            where &= Q(sla_breach_at__isnull=True) | Q(sla_breach_at__gt=timezone.now())
        if self.satisfaction:
            where &= satisfaction_selectors.ticket_condition(self.satisfaction)
        # SLA and satisfaction are internal too: filtering by them is for the people who work the ticket.
        sla = self.sla_breached is not None or self.sla_breach_before is not None or bool(self.satisfaction)
        if sla or self.team is not None or self.tag or any(not f.visible_to_customers for f in self.custom_fields):
            # Team, tags and agents-only custom fields are internal: they never make a ticket turn up for someone who may not
            # read its internal side (a customer asking ``?tag=vip`` learns nothing).
            notes = permissions.readable_notes(user)
            where &= Q(pk__in=[]) if notes is None else notes
        if isinstance(self.requester, int):
            where &= Q(requester=self.requester)
        elif self.requester and "@" in self.requester:
            where &= Q(requester__email=normalize_email(self.requester))
        elif self.requester:
            where &= Q(requester__name__icontains=self.requester)
        if self.organization is not None:
            where &= Q(organization=self.organization)
        if self.tag:
            # EXISTS, not a join: a ticket is listed once whatever else the query joins.
            where &= Q(Exists(Ticket.tags.through.objects.filter(ticket=OuterRef("pk"), tag__name=self.tag)))
        for field_filter in self.custom_fields:
            where &= field_filter.condition()
        if self.category:
            where &= Q(category=self.category)
        if self.channel:
            where &= Q(channel=self.channel)
        for name, lookup in _BOUNDS.items():
            if getattr(self, name) is not None:
                if lookup.startswith("updated_at__"):  # the activity ``user`` may know of
                    lookup = lookup.replace("updated_at", permissions.activity_column(user), 1)
                where &= Q(**{lookup: getattr(self, name)})
        return where


_BOUNDS = {
    "created_after": "created_at__gte",
    "created_before": "created_at__lt",
    "updated_after": "updated_at__gte",
    "updated_before": "updated_at__lt",
    "sla_breach_before": "sla_breach_at__lt",
}


def _id_or_keyword(value: Any, keywords: tuple[str, ...]) -> int | str | None:
    if value in (None, "", "anyone"):
        return None
    if isinstance(value, int):
        return value
    number = parse_id(value)
    if number is not None:
        return number
    return value if value in keywords else None


def _bound(value: date | datetime, *, end: bool) -> datetime:
    """An instant as given, or a date as the start of that day — of the next one for an end, so a
    range of dates includes its last day — in the current time zone."""
    if isinstance(value, datetime):
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts (+17:36).
        return value.astimezone(UTC) if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value + timedelta(days=1) if end else value, time.min))


class IdField(forms.Field):
    """A positive id that fits a bigint column; ``by_name`` fields also take a text of at most
    ``max_length`` characters, which ``named`` turns into their value."""

    default_error_messages = {"invalid": _("Give a numeric id.")}
    max_length = 254

    def __init__(self, *, by_name: bool = False, **kwargs):
        self.by_name = by_name
        super().__init__(**kwargs)

    def to_python(self, value):
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        if self.by_name:
            if len(text) > self.max_length:
                raise ValidationError(_("Use at most %(count)d characters.") % {"count": self.max_length})
            return self.named(text)
        found = parse_id(text)
        if found is not None:
            return found
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def named(self, text: str) -> Any:
        raise NotImplementedError


class IdOrKeywordField(forms.Field):
    """A positive id, or one of a few keywords (``me``, ``none``)."""

    def __init__(self, *, keywords: tuple[str, ...] = (), **kwargs):
        self.keywords = keywords
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip().lower()
        if value in self.keywords:
            return value
        found = parse_id(value)
        if found is not None:
            return found
        options = _(" or ").join([*(f"'{k}'" for k in self.keywords), str(_("a numeric id"))])
        raise ValidationError(_("Give %(options)s.") % {"options": options})


class RequesterField(IdField):
    """A user id; ``by_name``: also an email (exact) or part of a name."""

    def named(self, text: str) -> int | str:
        number = parse_id(text)
        return number if number is not None and number < 10**9 else text


class OrganizationField(IdField):
    """An organization id; ``by_name``: also its name (any case), looked up once."""

    max_length = 200

    def named(self, text: str) -> int:
        number = parse_id(text)
        match = Organization.objects.filter(pk=number) if number is not None and number < 10**9 else None
        if match is None or not match.exists():
            match = Organization.objects.filter(name__iexact=text)
        pk = match.values_list("pk", flat=True).first()
        if pk is None:
            raise ValidationError(_("No organization is called “%(name)s”.") % {"name": text})
        return pk


class TagField(forms.CharField):
    """One tag, any case (tags are stored lower-case)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_python(self, value):
        return (super().to_python(value) or "").strip().lower()

    def validate(self, value):
        super().validate(value)
        if value and not _TAG.match(value):
            raise ValidationError(_("Tags are 1–50 letters, digits, '-' or '_'."))


class YesNoField(forms.Field):
    """``true`` or ``false`` (also ``1``/``0``), or nothing; any other value is an error, not
    "no filter" as Django's NullBooleanField takes it (its widget reads an unknown value as None)."""

    default_error_messages = {"invalid": _("Give true or false.")}
    WORDS = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        if isinstance(value, bool):
            return value
        found = self.WORDS.get(str(value).strip().lower())
        if found is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return found


class MomentField(forms.Field):
    """A date (the whole day) or an ISO 8601 date and time (that instant)."""

    default_error_messages = {"invalid": _("Give a date (2026-11-01) or a date and time (2026-11-01T09:00:00Z).")}

    def to_python(self, value) -> date | datetime | None:
        if value in self.empty_values:
            return None
        for field in (forms.DateField(), forms.DateTimeField()):
            try:
                return field.to_python(str(value).strip())
            except ValidationError:
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class TicketFilterForm(forms.Form):
    """The ticket-list filters as query parameters: each parsed and checked here, for every surface."""

    status = forms.MultipleChoiceField(choices=Status.choices, required=False, help_text="Repeatable.")
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False, help_text="Repeatable.")
    assignee = IdOrKeywordField(
        keywords=("me", "none"), required=False, help_text="A user id, `me` or `none` (unassigned)."
    )
    team = IdOrKeywordField(keywords=("none",), required=False, help_text="A team id or `none`. Agents only.")
    requester = RequesterField(required=False)
    organization = OrganizationField(required=False)
    tag = TagField(required=False, help_text="Agents only.")
    category = forms.ChoiceField(choices=[("", _("Any")), *Category.choices], required=False)
    channel = forms.ChoiceField(choices=[("", _("Any")), *Channel.choices], required=False)
    q = forms.CharField(
        label="Search", required=False, max_length=200, help_text="Text in the subject or in messages you may read."
    )
    created_after = MomentField(required=False)
    created_before = MomentField(required=False)
    updated_after = MomentField(required=False)
    updated_before = MomentField(required=False)
    field = forms.CharField(
        required=False,
        max_length=60,
        help_text="A custom field's key: tickets whose field equals `value` (a multi-select: includes it). "
        "Also `cf_<key>=<value>`, repeatable over fields.",
    )
    value = forms.CharField(required=False, max_length=1000, help_text="The value for `field`.")
    sla_breached = YesNoField(
        required=False,
        help_text="`true`: tickets with an SLA target past its breach time and not met; `false`: the others. "
        "Agents only.",
    )
    sla_breach_before = MomentField(
        required=False,
        help_text="Tickets whose next SLA breach (still to come, or past and not met) is before this moment. "
        "Agents only.",
    )
    satisfaction = forms.ChoiceField(
        choices=[("", _("Any")), *[(str(v), str(v)) for v in satisfaction_selectors.FILTER_VALUES]],
        required=False,
        help_text="The answer to the satisfaction survey of the ticket's latest solve: `good`, `bad`, or "
        "`unrated` (sent, not answered). Agents only.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["custom_fields"] = self._custom_field_filters(data)
        for name in _BOUNDS:  # dates become the instants that bound their days
            if data.get(name):
                try:
                    data[name] = _bound(data[name], end=name.endswith("_before"))
                except (OverflowError, ValueError):
                    self.add_error(name, _("That date is out of range."))
        for start, end in (("created_after", "created_before"), ("updated_after", "updated_before")):
            if data.get(start) and data.get(end) and data[start] >= data[end]:
                self.add_error(end, _("This date is before the start of the range."))
        return data

    def _custom_field_filters(self, data: dict[str, Any]) -> list[FieldFilter]:
        """``field``/``value`` and every ``cf_<key>`` parameter with a value, parsed by the field's
        type (one query, only when one is given); a wrong one is an error on its parameter."""
        given: list[tuple[str, str, str]] = []
        if data.get("field") and (data.get("value") or "").strip():
            given.append(("value", data["field"].strip(), data["value"]))
        for name in getattr(self.data, "keys", lambda: [])():
            if isinstance(name, str) and name.startswith(CUSTOM_PREFIX):
                value = self.data.get(name)
                if isinstance(value, str) and value.strip():
                    given.append((name, name[len(CUSTOM_PREFIX) :], value[:1000]))
        if not given:
            return []
        filters, errors = custom_field_filters(given)
        for name, message in errors.items():
            # Not add_error: it only takes declared fields, and these are the dynamic cf_<key> names.
            # (Called from clean(), so ``errors`` is the form's error dict, already made.)
            self.errors[name] = self.error_class([message])
        return filters

    def filters(self) -> TicketFilters:
        """The parsed filters (only the valid ones when the form has errors)."""
        return TicketFilters.from_data(getattr(self, "cleaned_data", {}))


# --- the list -------------------------------------------------------------------------------------


def ticket_list(
    user: User,
    filters: TicketFilters | None = None,
    *,
    sort: str = DEFAULT_SORT,
    tickets: QuerySet[Ticket] | None = None,
) -> QuerySet[Ticket]:
    """The tickets of ``tickets`` (default: every ticket ``user`` may see) that ``filters``
    select, ordered by ``sort`` (a ``SORTS`` name; ``keyset.BadOrdering`` otherwise).

    ``tickets`` must already be scoped by ``permissions.visible_tickets``: filters only narrow.
    A search ranks only under the relevance sort; any other order lists every match.
    """
    keys = sort_keys(sort, user)
    filters = filters or TicketFilters()
    qs = permissions.visible_tickets(user) if tickets is None else tickets
    qs = qs.filter(filters.condition(user))
    if keys[0][0] == search.RANK:
        qs = search.ranked(qs, user, filters.q)
    elif filters.q:
        qs = search.matching(qs, user, filters.q)
    return qs.order_by(*keyset.order_by(keys, qs))


class TicketPage(keyset.Page):
    """A page of tickets (``items``; the queue calls them ``tickets``) and its cursors."""

    @property
    def tickets(self) -> list[Ticket]:
        return self.items


def ticket_page(
    qs: QuerySet[Ticket],
    *,
    sort: str = DEFAULT_SORT,
    cursor: str | None,
    size: int,
    user: User | None = None,
    heads: Sequence[QuerySet[Ticket]] = (),
) -> TicketPage:
    """The keyset page of ``ticket_list``'s ``qs`` in ``sort`` order at ``cursor`` (the first
    page without one); ``keyset.BadCursor`` for a damaged cursor or one of another order.
    ``user``: the one ``ticket_list`` listed for (its sort columns, ``sorts_for``). ``heads``:
    parts of the list that together hold all of it (``keyset.page``)."""
    page = keyset.page(qs, sort_keys(sort, user), cursor=cursor, size=size, heads=heads)
    return TicketPage(page.items, page.next_cursor, page.previous_cursor)
