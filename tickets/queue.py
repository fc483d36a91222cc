"""The agent queue: built-in views, filters, sorting and keyset pagination (DESIGN §7 ``/agent/``).

Everything starts from ``selectors.ticket_list_for_agent``, so a queue can only ever hold the
tickets the agent may see. Views are named filters; their live counts come from ONE query with
conditional aggregation. Pages are cut with a cursor on (sort key, id) — never OFFSET, and never
a full COUNT for paging: the page size plus one row tells whether there is a next page.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tickets import caching, permissions, search, selectors
from tickets.models import UNSOLVED_STATUSES, Status, Ticket

if TYPE_CHECKING:
    from accounts.models import User

PAGE_SIZE = 50
SOLVED_RECENT_DAYS = 30
UNSOLVED = UNSOLVED_STATUSES  # the same tuple as the partial index ticket_unassigned_updated_idx


@dataclass(frozen=True)
class QueueView:
    key: str
    label: str


VIEWS = [
    QueueView("unassigned", "Unassigned"),
    QueueView("mine", "Mine"),
    QueueView("my_teams", "My teams"),
    QueueView("open", "All open"),
    QueueView("pending", "Pending"),
    QueueView("on_hold", "On hold"),
    QueueView("solved", "Recently solved"),
    QueueView("all", "All"),
]
VIEW_KEYS = [v.key for v in VIEWS]
DEFAULT_VIEW = "unassigned"


def _my_team_ids(user: User) -> list[int]:
    """The agent's teams, looked up once per request (kept on the user object, which lives as
    long as the request). A list, not a sub-select: with the ids known PostgreSQL walks
    ``ticket_team_unsolved_idx`` in queue order and stops at the page (or count cap), where a
    sub-select made it fetch and sort every unsolved ticket of the team (158 ms at 1M)."""
    from accounts.models import Team

    if "_helpdesk_team_ids" not in user.__dict__:
        user.__dict__["_helpdesk_team_ids"] = list(Team.objects.filter(group__user=user).values_list("pk", flat=True))
    return user.__dict__["_helpdesk_team_ids"]


def view_filter(key: str, user: User) -> Q:
    """The condition of built-in view ``key`` for ``user`` (unsolved unless the view says otherwise)."""
    if key == "unassigned":
        return Q(assignee__isnull=True, status__in=UNSOLVED)
    if key == "mine":
        return Q(assignee=user.pk, status__in=UNSOLVED)
    if key == "my_teams":
        return Q(team__in=_my_team_ids(user), status__in=UNSOLVED)
    if key == "open":
        return Q(status__in=(Status.OPEN, Status.IN_PROGRESS))
    if key == "pending":
        return Q(status=Status.PENDING)
    if key == "on_hold":
        return Q(status=Status.ON_HOLD)
    if key == "solved":
        return Q(status=Status.SOLVED, solved_at__gte=timezone.now() - timedelta(days=SOLVED_RECENT_DAYS))
    if key == "all":
        return Q()
    raise ValueError(f"unknown view {key!r}")


#: Views are counted up to this many tickets; a tab at the cap reads "1,000+".
COUNT_CAP = 1000


def view_counts(user: User) -> dict[str, int]:
    """How many tickets each built-in view holds for ``user``, counted up to ``COUNT_CAP``.

    One query of one capped sub-count per view, each reading at most ``COUNT_CAP`` rows off the
    view's own index — so the cost does not grow with the desk: an exact count of "All" at a
    million tickets is a million rows every time anything changes (556 ms for a team agent),
    while "1,000+" tells an agent what they need. Cached until any ticket or anyone's access
    changes (``tickets.caching``), so a count is never stale after one's own action.
    """

    def count() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute(*view_counts_sql(user))
            row = cursor.fetchone()
        return dict(zip(VIEW_KEYS, row, strict=True))

    return caching.cached(_counts_key(user), count, scope=_counts_scope(user))


def _counts_key(user: User) -> str:
    return f"queue-counts:{user.pk}"


def _counts_scope(user: User) -> list[str] | None:
    """What an agent's counts depend on (``tickets.caching``): for an agent who sees every ticket,
    the whole desk; for a team agent, their teams, their assignments and access — every ticket
    they see is routed to one of their teams. One who also sees tickets for another reason (their
    own request, a collaboration, an organization's shared tickets) depends on the whole desk."""
    if permissions.sees_every_ticket(user) or permissions.sees_beyond_teams(user):
        return None
    return [
        caching.ACCESS_KEY,
        caching.person_key(user.pk),
        *(caching.team_key(pk) for pk in _my_team_ids(user)),
    ]


def known_view_counts(user: User) -> dict[str, int] | None:
    """The view counts if they are already cached for the desk as it is now, else None: the
    queue page shows them at once when it can and otherwise asks ``/agent/counts/`` after it
    has shown the tickets (so a list is never held up by counting)."""
    return caching.peek(_counts_key(user), scope=_counts_scope(user))


def view_counts_sql(user: User) -> tuple[str, list]:
    """The SQL of ``view_counts``: ``SELECT (SELECT COUNT(*) FROM (<view 1> LIMIT cap)), …``,
    each view's rows selected by the ORM exactly as the queue lists them."""
    # In the queue's own order, so each sub-count walks the index that serves that view's list.
    visible = permissions.visible_tickets(user).order_by("-updated_at", "-id")
    parts, params = [], []
    for view in VIEWS:
        capped = visible.filter(view_filter(view.key, user)).values("pk")[:COUNT_CAP]
        try:
            sql, view_params = capped.query.sql_with_params()
        except EmptyResultSet:  # e.g. "My teams" of an agent in no team
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS v{len(parts)})")  # noqa: S608 - compiled by the ORM
        params.extend(view_params)
    return f"SELECT {', '.join(parts)}", params  # noqa: S608 - every part compiled by the ORM


# --- sorting ------------------------------------------------------------------------------------

# sort key -> (label, column, descending). Ties are broken by id in the same direction.
SORTS: dict[str, tuple[str, str, bool]] = {
    "-updated": ("Recently updated", "updated_at", True),
    "updated": ("Least recently updated", "updated_at", False),
    "-created": ("Newest", "created_at", True),
    "created": ("Oldest", "created_at", False),
    "priority": ("Most urgent first", "priority_rank", False),
    "-priority": ("Least urgent first", "priority_rank", True),
    "status": ("Status: open first", "status_rank", False),
    "-status": ("Status: closed first", "status_rank", True),
    # Only with a search (``q``): best match first, as ranked by tickets.search.
    "relevance": ("Best match (searches)", search.RANK, True),
}
DEFAULT_SORT = "-updated"
SEARCH_SORT = "relevance"


def apply_sort(qs: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    _, column, desc = SORTS[sort]
    return qs.order_by(f"-{column}", "-id") if desc else qs.order_by(column, "id")


# --- cursors ----------------------------------------------------------------------------------


class BadCursor(ValueError):
    pass


def encode_cursor(sort: str, ticket: Ticket) -> str:
    _, column, _ = SORTS[sort]
    value = getattr(ticket, column)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, ticket.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[Any, int]:
    """The (sort value, id) a cursor points after; ``BadCursor`` if it is malformed or was made
    for another sort order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, value, pk = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadCursor("This page link is damaged; showing the first page.") from None
    if made_for != sort or not isinstance(pk, int) or not 0 < pk < 2**31:
        raise BadCursor("This page link belongs to another sort order; showing the first page.")
    _, column, _ = SORTS[sort]
    if column.endswith("_at"):
        value = parse_datetime(value) if isinstance(value, str) else None
        if value is None:
            raise BadCursor("This page link is damaged; showing the first page.")
    elif column == search.RANK:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e6:
            raise BadCursor("This page link is damaged; showing the first page.")
        value = float(value)
    elif not isinstance(value, int) or not 0 <= value < 100:
        raise BadCursor("This page link is damaged; showing the first page.")
    return value, pk


def after_cursor(qs: QuerySet[Ticket], sort: str, value: Any, pk: int) -> QuerySet[Ticket]:
    """Rows strictly after (value, pk) in ``sort`` order: a keyset condition the index serves."""
    _, column, desc = SORTS[sort]
    op = "lt" if desc else "gt"
    return qs.filter(Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"id__{op}": pk}))


@dataclass
class Page:
    tickets: list[Ticket]
    next_cursor: str | None


def paginate(qs: QuerySet[Ticket], sort: str, cursor: str | None, size: int | None = None) -> Page:
    """One page of ``qs`` in ``sort`` order after ``cursor`` (``BadCursor`` propagates)."""
    size = size or PAGE_SIZE
    qs = apply_sort(qs, sort)
    if cursor:
        value, pk = decode_cursor(sort, cursor)
        qs = after_cursor(qs, sort, value, pk)
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(tickets=rows, next_cursor=encode_cursor(sort, rows[-1]) if more and rows else None)


# --- filters ----------------------------------------------------------------------------------


def filtered(user: User, view: str, data: dict[str, Any]) -> QuerySet[Ticket]:
    """The agent's tickets in built-in ``view``, narrowed by cleaned filter ``data`` (the
    ``QueueFilterForm``'s cleaned_data; missing or empty keys are ignored)."""
    qs = selectors.ticket_list_for_agent(user).filter(view_filter(view, user))
    if data.get("status"):
        qs = qs.filter(status__in=data["status"])
    if data.get("priority"):
        qs = qs.filter(priority__in=data["priority"])
    assignee = data.get("assignee")
    if assignee == "me":
        qs = qs.filter(assignee=user.pk)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee and assignee != "anyone":
        qs = qs.filter(assignee=int(assignee))
    team = data.get("team")
    if team == "none":
        qs = qs.filter(team__isnull=True)
    elif team:
        qs = qs.filter(team=int(team))
    if data.get("tag"):
        qs = qs.filter(Exists(Ticket.tags.through.objects.filter(ticket=OuterRef("pk"), tag__name=data["tag"])))
    if data.get("category"):
        qs = qs.filter(category=data["category"])
    requester = data.get("requester")
    if requester:
        if isinstance(requester, int):
            qs = qs.filter(requester=requester)
        elif "@" in requester:
            qs = qs.filter(requester__email__iexact=requester)
        else:
            qs = qs.filter(requester__name__icontains=requester)
    if data.get("organization"):
        qs = qs.filter(organization=int(data["organization"]))
    for field, lookup in (
        ("created_after", "created_at__date__gte"),
        ("created_before", "created_at__date__lte"),
        ("updated_after", "updated_at__date__gte"),
        ("updated_before", "updated_at__date__lte"),
    ):
        if data.get(field):
            qs = qs.filter(**{lookup: data[field]})
    if data.get("q"):
        # Ranked (best match first, among the most recent matches) only when sorted that way;
        # any other order lists every match.
        rank = search.ranked if data.get("sort") == SEARCH_SORT else search.matching
        qs = rank(qs, user, data["q"])
    return qs
