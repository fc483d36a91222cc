"""The agent queue: built-in views and their counts (DESIGN §7 ``/agent/``).

Everything starts from ``selectors.ticket_list_for_agent``, so a queue can only ever hold the
tickets the agent may see. Views are named filters; their live counts come from ONE query with
conditional aggregation. Filters, sorts and keyset pages are the one ticket list's
(``tickets.selectors.listing``, shared with the portal and the API); the queue only names its
sort menu in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpdesk import keyset
from tickets import caching, permissions, selectors
from tickets.models import UNSOLVED_STATUSES, Status, Ticket
from tickets.selectors import listing

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import User

PAGE_SIZE = 50
SOLVED_RECENT_DAYS = 30
UNSOLVED = UNSOLVED_STATUSES  # the same tuple as the partial index ticket_unassigned_updated_idx


@dataclass(frozen=True)
class QueueView:
    key: str
    label: str | Promise


VIEWS = [
    QueueView("unassigned", pgettext_lazy("queue view", "Unassigned")),
    QueueView("mine", pgettext_lazy("queue view", "Mine")),
    QueueView("my_teams", pgettext_lazy("queue view", "My teams")),
    QueueView("open", pgettext_lazy("queue view", "All open")),
    QueueView("pending", pgettext_lazy("queue view", "Pending")),
    QueueView("on_hold", pgettext_lazy("queue view", "On hold")),
    QueueView("solved", pgettext_lazy("queue view", "Recently solved")),
    QueueView("sla_breaching", pgettext_lazy("queue view", "Breaching within 1 h")),
    QueueView("sla_breached", pgettext_lazy("queue view", "Breached")),
    QueueView("all", pgettext_lazy("queue view", "All")),
]
VIEW_KEYS = [v.key for v in VIEWS]
DEFAULT_VIEW = "unassigned"


def _my_team_ids(user: User) -> list[int]:
    """The agent's teams (read with their access profile, once per request). A list, not a
    sub-select: with the ids known PostgreSQL walks ``ticket_team_unsolved_idx`` in queue order
    and stops at the page (or count cap), where a sub-select made it fetch and sort every
    unsolved ticket of the team (158 ms at 1M)."""
    return list(permissions.team_ids(user))


EMPTY_TEXTS = {
    "unassigned": _("Every open ticket has someone on it. New tickets appear here until someone claims them."),
    "mine": _("You hold no open tickets. Claim one from Unassigned, or ask a colleague to assign you one."),
    "my_teams": _("Your teams have no open tickets right now."),
    "open": _("No ticket is open or in progress right now."),
    "pending": _("No ticket is waiting for a customer's answer."),
    "on_hold": _("No ticket is on hold."),
    "solved": _("No ticket was solved in the last 30 days."),
    "all": _("There are no tickets yet. They appear here when customers write in."),
    "sla_breaching": _("No ticket breaches its service level agreement within the next hour."),
    "sla_breached": _("No ticket has an unmet breached service level agreement target."),
}
#: The SLA views: what their lists and counts sort by (``ticket_sla_breach_idx``).
SLA_VIEWS = ("sla_breaching", "sla_breached")
SLA_SOON = timedelta(hours=1)
NO_TEAM_TEXT = _("You are not in a team yet — an admin adds you to teams, and their tickets appear here.")


def in_a_team(user: User) -> bool:
    """Whether ``user`` belongs to any team (the queue leaves "My teams" out for one who does not)."""
    return bool(_my_team_ids(user))


def empty_text(user: User, key: str) -> StrOrPromise:
    """Why view ``key`` is empty for ``user``, in a sentence (the page adds a hint on filters)."""
    if key == "my_teams" and not _my_team_ids(user):
        return NO_TEAM_TEXT
    return EMPTY_TEXTS.get(key, _("No tickets here."))


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
    # ``Ticket.sla_breach_at``: the earliest breach of a running clock or of a breached one not
    # yet met; both views are one range of ``ticket_sla_breach_idx``.
    if key == "sla_breaching":
        now = timezone.now()
        return Q(sla_breach_at__gt=now, sla_breach_at__lte=now + SLA_SOON)
    if key == "sla_breached":
        return Q(sla_breach_at__lte=timezone.now())
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

    from tickets import queue_views  # the saved views join the same query (issue 16)

    def count() -> dict[str, int]:
        saved = queue_views.counted(user)
        with connection.cursor() as cursor:
            cursor.execute(*view_counts_sql(user, saved))
            row = cursor.fetchone()
        return dict(zip(VIEW_KEYS + [key for key, _where in saved], row, strict=True))

    return caching.cached(_counts_key(user), count, scope=_counts_scope(user))


def _counts_key(user: User) -> str:
    from tickets import queue_views

    # The saved views' signature: a new, changed or removed view is a new key.
    return f"queue-counts:{user.pk}:{queue_views.signature(user)}"


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
    found = caching.peek(_counts_key(user), scope=_counts_scope(user))
    return found if isinstance(found, dict) else None


def view_counts_sql(user: User, saved: list[tuple[str, Q]] = ()) -> tuple[str, list[Any]]:  # type: ignore[assignment]
    """The SQL of ``view_counts``: ``SELECT (SELECT COUNT(*) FROM (<view 1> LIMIT cap)), …``,
    each view's rows selected by the ORM exactly as the queue lists them; then ``saved``, the
    (key, WHERE) of the agent's saved views (``queue_views.counted``), in the same query."""
    # In the queue's own order, so each sub-count walks the index that serves that view's list.
    visible = permissions.visible_tickets(user).order_by("-updated_at", "-id")
    parts: list[str] = []
    params: list[Any] = []
    # A saved view's count has no order: the planner may read whichever index serves its
    # conditions (the custom-field GIN index, say) and stop at the cap, where the queue's order
    # would make it walk the whole updated_at index for a rare match (docs/perf/saved-views.md).
    by_breach = visible.order_by("sla_breach_at", "id")  # the SLA views: off their own index
    wheres = [(by_breach if view.key in SLA_VIEWS else visible, view_filter(view.key, user)) for view in VIEWS]
    wheres += [(visible.order_by(), where) for _key, where in saved]
    for tickets, where in wheres:
        capped = tickets.filter(where).values("pk")[:COUNT_CAP]
        try:
            sql, view_params = capped.query.sql_with_params()
        except EmptyResultSet:  # e.g. "My teams" of an agent in no team
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS v{len(parts)})")  # noqa: S608 - compiled by the ORM
        params.extend(view_params)
    return f"SELECT {', '.join(parts)}", params  # noqa: S608 - every part compiled by the ORM


# --- sorting and pages: the one ticket list's (tickets.selectors.listing) ---------------------

# The queue's sort menu: its keys (in the URL) -> (label, the ticket-list sort they stand for).
SORTS: dict[str, tuple[str | Promise, str]] = {
    "-updated": (_("Recently updated"), "-updated_at"),
    "updated": (_("Least recently updated"), "updated_at"),
    "-created": (_("Newest"), "-created_at"),
    "created": (_("Oldest"), "created_at"),
    # SLA-aware (``listing.SORTS["urgency"]``): overdue first, then the next breach, then by
    # priority and age for tickets with nothing due.
    "priority": (_("Most urgent first"), "urgency"),
    "-priority": (_("Least urgent first"), "-urgency"),
    "status": (_("Status: open first"), "status"),
    "-status": (_("Status: closed first"), "-status"),
    # SLA: the soonest (or longest overdue) breach first; tickets with nothing due last.
    "sla": (_("Next breach first"), "sla"),
    "-sla": (_("Next breach last"), "-sla"),
    # Only with a search (``q``): best match first, as ranked by tickets.search.
    "relevance": (_("Best match (searches)"), listing.SEARCH_SORT),
}
DEFAULT_SORT = "-updated"
SEARCH_SORT = "relevance"


class BadCursor(ValueError):
    """A page link the queue cannot follow; the message says why, and the first page is shown."""


def filtered(user: User, view: str, data: dict[str, Any]) -> QuerySet[Ticket]:
    """The agent's tickets in built-in ``view``, narrowed by cleaned filter ``data`` (the
    ``QueueFilterForm``'s cleaned_data; missing or empty keys are ignored), in ``data["sort"]``
    order (the queue's default without one)."""
    tickets = selectors.ticket_list_for_agent(user).filter(view_filter(view, user))
    sort = SORTS[data.get("sort") or DEFAULT_SORT][1]
    return listing.ticket_list(user, listing.TicketFilters.from_data(data), sort=sort, tickets=tickets)


def apply_sort(qs: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    return qs.order_by(*keyset.order_by(listing.sort_keys(SORTS[sort][1]), qs))


def encode_cursor(sort: str, ticket: Ticket) -> str:
    """The link to the page after ``ticket`` in ``sort`` order."""
    return keyset.encode(keyset.NEXT, listing.sort_keys(SORTS[sort][1]), ticket)


def paginate(qs: QuerySet[Ticket], sort: str, cursor: str | None, size: int | None = None) -> listing.TicketPage:
    """One page of ``qs`` in ``sort`` order at ``cursor`` (``BadCursor`` propagates)."""
    try:
        return listing.ticket_page(qs, sort=SORTS[sort][1], cursor=cursor, size=size or PAGE_SIZE)
    except keyset.BadCursor as exc:
        if exc.other_order:
            raise BadCursor(_("This page link belongs to another sort order; showing the first page.")) from None
        raise BadCursor(_("This page link is damaged; showing the first page.")) from None
