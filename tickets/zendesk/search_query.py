"""Zendesk's search syntax for tickets, parsed and turned into the one ticket list's query.

    type:ticket status<solved priority:high assignee:me requester:ada@acme.test tags:vip
    -tags:spam created>2026-01-01 updated>4hours group:Billing "printer jam" toner

- A term is ``keyword`` + operator (``:``, ``<``, ``>``, ``<=``, ``>=``) + value (a word or a
  ``"quoted value"``), or free text (a word or a ``"quoted phrase"``); ``-`` before a term
  negates it.
- The same keyword given twice with ``:`` means either (``status:open status:pending``); different
  keywords must all hold; every comparison must hold.
- Statuses compare in Zendesk's order (new < open < pending < hold < solved < closed), priorities
  as low < normal < high < urgent. Dates are a day (``2026-01-01``: ``>`` after that day, ``:`` on
  it), an ISO instant, or a relative age (``4hours``, ``2days``, ``3weeks``, ``1months``).
- Free text goes to the full-text search (``tickets.search``) over what the caller may read.
- ``order_by:created|updated|priority|status`` and ``sort:asc|desc`` order the results.

Everything is scoped before it is filtered: the tickets come from ``selectors.ticket_list`` over
``tickets.permissions``' visible tickets, and internal fields (tags, group) are searched only where
the caller may read the internal side; customers cannot search by them at all.
An unknown keyword or a bad value is a ``QueryError`` with a message saying what to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts.addresses import normalize_email
from helpdesk.ids import parse_id
from tickets import permissions, search, selectors
from tickets.models import Channel, Status, Ticket
from tickets.zendesk.mapping import PRIORITY_ORDER, STATUS_ORDER

if TYPE_CHECKING:
    from accounts.models import User

MAX_LENGTH = 1000
MAX_TERMS = 40
OPERATORS = (":", "<", ">", "<=", ">=")
KEYWORDS = {
    "type", "status", "priority", "assignee", "requester", "submitter", "tags", "tag", "created", "updated",
    "solved", "organization", "group", "subject", "via", "order_by", "sort",
}  # fmt: skip
COMPARABLE = {"status", "priority", "created", "updated", "solved"}
INTERNAL = {"tags", "tag", "group"}
_TOKEN = re.compile(
    r"""\s*(?P<neg>-)?(?:
        (?P<key>[A-Za-z_]+)(?P<op><=|>=|:|<|>)(?:"(?P<qval>[^"]*)"|(?P<val>[^\s"]*))
      | "(?P<phrase>[^"]*)"
      | (?P<word>[^\s"]+)
    )""",
    re.VERBOSE,
)
_RELATIVE = re.compile(r"^(\d{1,6})(minute|hour|day|week|month|year)s?$")
_UNITS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365}


class QueryError(ValueError):
    """A search the desk cannot run; the message says why and what to write instead."""


@dataclass(frozen=True)
class Term:
    keyword: str | None  # None: free text
    op: str
    value: str
    negated: bool = False


def parse(text: str) -> list[Term]:
    """The terms of ``text``; ``QueryError`` for an unclosed quote, an unknown keyword, a keyword
    without a value or an operator the keyword does not take."""
    if len(text) > MAX_LENGTH:
        raise QueryError(_("A search can be at most %(count)d characters.") % {"count": MAX_LENGTH})
    terms: list[Term] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError(_('Close the quoted phrase: every " needs its partner.'))
        position = match.end()
        negated = bool(match["neg"])
        if match["key"] is not None:
            keyword, op = match["key"].lower(), match["op"]
            value = match["qval"] if match["qval"] is not None else match["val"]
            if keyword not in KEYWORDS:
                known = ", ".join(sorted(KEYWORDS))
                raise QueryError(
                    _("Unknown search keyword '%(keyword)s'. Use one of: %(known)s; or quote the text.")
                    % {"keyword": keyword, "known": known}
                )
            if value == "" and text.startswith('"', position):
                raise QueryError(_('Close the quoted phrase: every " needs its partner.'))
            if value == "":
                raise QueryError(_("'%(term)s' needs a value, e.g. %(term)ssomething.") % {"term": keyword + op})
            if op != ":" and keyword not in COMPARABLE:
                raise QueryError(
                    _("'%(keyword)s' takes ':' only; <, >, <= and >= are for status, priority and dates.")
                    % {"keyword": keyword}
                )
            if negated and keyword in ("type", "order_by", "sort"):
                raise QueryError(_("'%(keyword)s' cannot be negated.") % {"keyword": keyword})
            terms.append(Term(keyword, op, value, negated))
        else:
            value = match["phrase"] if match["phrase"] is not None else match["word"]
            if value.strip():
                terms.append(Term(None, ":", value.strip(), negated))
        if len(terms) > MAX_TERMS:
            raise QueryError(_("A search can have at most %(count)d terms.") % {"count": MAX_TERMS})
    return terms


# --- values -----------------------------------------------------------------------------------


def _ordered(values: list[str], term: Term, name: str) -> list[str]:
    value = term.value.lower()
    if value not in values:
        raise QueryError(
            _("%(name)s is one of %(values)s (got '%(value)s').")
            % {"name": name, "values": ", ".join(values), "value": term.value}
        )
    index = values.index(value)
    pick = {
        ":": lambda i: i == index,
        "<": lambda i: i < index,
        ">": lambda i: i > index,
        "<=": lambda i: i <= index,
        ">=": lambda i: i >= index,
    }[term.op]
    return [v for i, v in enumerate(values) if pick(i)]


def _status_q(names: list[str]) -> Q:
    where = Q(pk__in=[])
    for name in names:
        if name == "new":
            where |= Q(status=Status.OPEN, first_response_at__isnull=True)
        elif name == "open":
            where |= Q(status=Status.IN_PROGRESS) | Q(status=Status.OPEN, first_response_at__isnull=False)
        else:
            where |= Q(status={"hold": Status.ON_HOLD}.get(name, name))
    return where


def _moment(value: str) -> tuple[datetime, datetime | None]:
    """(start, end of day) for a date, (instant, None) for an instant or a relative age."""
    relative = _RELATIVE.match(value.lower())
    if relative:
        try:
            return timezone.now() - timedelta(days=int(relative[1]) * _UNITS[relative[2]]), None
        except OverflowError:
            raise QueryError(_("'%(value)s' reaches back too far.") % {"value": value}) from None
    try:
        instant = parse_datetime(value)
        day = None if instant else parse_date(value)
    except ValueError:
        instant = day = None
    if instant is not None:
        return (instant if timezone.is_aware(instant) else timezone.make_aware(instant)), None
    if isinstance(day, date):
        start = timezone.make_aware(datetime.combine(day, time.min))
        return start, start + timedelta(days=1)
    raise QueryError(
        _("'%(value)s' is not a date: write 2026-01-31, 2026-01-31T09:00:00Z or an age like 4hours.") % {"value": value}
    )


def _date_q(column: str, term: Term) -> Q:
    start, end = _moment(term.value)
    if end is None:  # an instant
        lookup = {":": "exact", "<": "lt", ">": "gt", "<=": "lte", ">=": "gte"}[term.op]
        return Q(**{f"{column}__{lookup}": start})
    return {
        ":": Q(**{f"{column}__gte": start, f"{column}__lt": end}),
        "<": Q(**{f"{column}__lt": start}),
        "<=": Q(**{f"{column}__lt": end}),
        ">": Q(**{f"{column}__gte": end}),
        ">=": Q(**{f"{column}__gte": start}),
    }[term.op]


def _person_q(field: str, value: str, user: User) -> Q:
    lowered = value.lower()
    if lowered == "me":
        return Q(**{field: user.pk})
    if lowered == "none":
        return Q(**{f"{field}__isnull": True})
    number = parse_id(value)
    if number is not None:
        return Q(**{field: number})
    if "@" in value:
        return Q(**{f"{field}__email": normalize_email(value)})
    return Q(**{f"{field}__name__icontains": value})


def _named_q(field: str, value: str) -> Q:
    if value.lower() == "none":
        return Q(**{f"{field}__isnull": True})
    number = parse_id(value)
    return Q(**{field: number}) if number is not None else Q(**{f"{field}__name__iexact": value})


def _term_q(term: Term, user: User) -> Q:
    key = term.keyword
    if key == "status":
        return _status_q(_ordered(STATUS_ORDER, term, "status"))
    if key == "priority":
        return Q(priority__in=_ordered(PRIORITY_ORDER, term, "priority"))
    if key in ("tags", "tag"):
        tag = term.value.lower()
        return Q(Exists(Ticket.tags.through.objects.filter(ticket=OuterRef("pk"), tag__name=tag)))
    if key == "created":
        return _date_q("created_at", term)
    if key == "updated":
        return _date_q(permissions.activity_column(user), term)
    if key == "solved":
        return _date_q("solved_at", term)
    if key == "assignee":
        return _person_q("assignee", term.value, user)
    if key == "requester":
        return _person_q("requester", term.value, user)
    if key == "submitter":
        return _person_q("created_by", term.value, user)
    if key == "organization":
        return _named_q("organization", term.value)
    if key == "group":
        return _named_q("team", term.value)
    if key == "subject":
        return Q(subject__icontains=term.value)
    if key == "via":
        channels = {"web": [Channel.WEB, Channel.AGENT], "api": [Channel.API], "email": [Channel.EMAIL]}
        if term.value.lower() not in channels:
            raise QueryError(_("via is one of web, api, email."))
        return Q(channel__in=channels[term.value.lower()])
    raise QueryError(
        _("Unknown search keyword '%(keyword)s'.") % {"keyword": key}
    )  # pragma: no cover (parse() refuses it first)


# --- the query --------------------------------------------------------------------------------

ORDERS = {"created": "created_at", "updated": "updated_at", "priority": "priority", "status": "status"}


@dataclass(frozen=True)
class TicketSearch:
    tickets: QuerySet[Ticket]
    sort: str


def _sort(terms: list[Term], params: dict[str, Any], text: str) -> str:
    order = next((t.value.lower() for t in terms if t.keyword == "order_by"), None) or params.get("sort_by")
    direction = next((t.value.lower() for t in terms if t.keyword == "sort"), None) or params.get("sort_order")
    if direction not in (None, "", "asc", "desc"):
        raise QueryError(_("sort is asc or desc."))
    if order in (None, "", "relevance"):
        return selectors.SEARCH_SORT if text else "-updated_at"
    if order in ("created_at", "updated_at"):
        order = order.removesuffix("_at")
    if order not in ORDERS:
        raise QueryError(_("order_by is one of %(values)s.") % {"values": ", ".join(ORDERS)})
    column = ORDERS[order]
    ascending = direction == "asc"
    if order == "priority":  # ours lists urgent first; Zendesk's descending is urgent first
        ascending = not ascending
    return column if ascending else f"-{column}"


def ticket_search(user: User, text: str, params: dict[str, Any] | None = None) -> TicketSearch:
    """The tickets ``user`` may see that ``text`` selects, in the order it asks for."""
    terms = parse(text)
    for term in terms:
        if term.keyword == "type" and term.value.lower() != "ticket":
            raise QueryError(_("Only tickets can be searched here: use type:ticket (users: users/search.json)."))
    used = {t.keyword for t in terms if t.keyword in INTERNAL}
    if used and permissions.refused_list_filters(user, ["tag"]):
        raise QueryError(_("Only people who work tickets can search by tags or group."))
    free = " ".join(t.value for t in terms if t.keyword is None and not t.negated)
    sort = _sort(terms, params or {}, free)
    from tickets.zendesk.tickets import tickets_for

    qs = selectors.ticket_list(user, selectors.TicketFilters(q=free[:200]), sort=sort, tickets=tickets_for(user))
    by_keyword: dict[str, Q] = {}
    for term in terms:
        if term.keyword is None or term.keyword in ("type", "order_by", "sort"):
            continue
        condition = _term_q(term, user)
        if term.negated:
            qs = qs.exclude(condition)
        elif term.op == ":" and term.keyword not in ("created", "updated", "solved"):
            by_keyword[term.keyword] = by_keyword.get(term.keyword, Q(pk__in=[])) | condition
        else:
            qs = qs.filter(condition)
    for condition in by_keyword.values():
        qs = qs.filter(condition)
    for term in terms:
        if term.keyword is None and term.negated:
            qs = qs.exclude(pk__in=search.matching(Ticket.objects.all(), user, term.value).values("pk"))
    if used:
        notes = permissions.readable_notes(user)
        qs = qs.filter(notes if notes is not None else Q(pk__in=[]))
    return TicketSearch(qs, sort)
