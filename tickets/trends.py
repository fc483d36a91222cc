"""Statistics over time (issue 14 §6): per day or per ISO week of a period, for the tickets a
viewer may see, optionally one team's.

Per bucket (a local day, or a week from Monday, in the active time zone; the first and the last
bucket are cut to the period):

- ``created``: tickets created in the bucket;
- ``solved``: times a ticket *entered* ``solved`` (the definition of ``tickets.stats``: closing
  is not solving; solving the same ticket twice counts twice);
- ``reopened``: ``solved`` → ``open`` transitions;
- ``backlog``: tickets open at the end of the bucket — created before that instant and, at that
  instant, in a status that is not ``solved`` or ``closed``;
- ``first_response_seconds``: ``{"avg", "median"}`` over the tickets whose first public agent
  reply happened in the bucket (creation to that reply);
- ``resolution_seconds``: ``{"avg", "median"}`` over the tickets solved in the bucket, creation
  to the last time they entered ``solved`` in that bucket.

A ticket counts for a team by its *current* team, as in ``tickets.stats``; tickets the viewer may
not see (``permissions.visible_ticket_ids``) never count, not even in the backlog.

How the backlog is found without a query per day. A ticket leaves the backlog only by entering
``solved`` and comes back only by leaving it for ``open`` (the transition table of
``tickets.services.lifecycle``: ``closed`` is reached from ``solved`` only and is final), and it
joins the backlog when it is created unless it was created solved. So, reading the status
changes from ``solved`` or to ``solved`` (both served by partial indexes):

- the backlog at the period's start = the tickets created before it that are unsolved *now*,
  minus what their changes since the start did (each reopen added one, each solve took one);
- each bucket's end = the previous end + tickets created in it that started unsolved + reopens
  − solves in it.

Three queries whatever the period or the number of tickets: the tickets created or first
answered in the period (one row each, with their starting status), the solve and reopen events
since the period's start (one row each), and one count. Medians in Python, so PostgreSQL and
SQLite give the same numbers. Results are cached in two parts (``_cached_compute``): the buckets
that have ended under the statistics version, the running one under the desk version (every
committed change, new tickets included, makes the next request compute that bucket afresh).
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.db.router import primary_reads
from tickets import caching, permissions
from tickets.models import UNSOLVED_STATUSES, EventKind, Status, Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import Team, User

DAY, WEEK = "day", "week"
GRANULARITIES = (DAY, WEEK)
#: Periods up to this many days default to days, longer ones to weeks.
DAILY_UP_TO = 31
#: The longest period shown over time (a year, leap day included).
MAX_DAYS = 366
TREND_CACHE_SECONDS = 3600

TOO_LONG = _("Statistics over time cover at most 366 days: choose a shorter period.")
BAD_GRANULARITY = _("Choose “day” or “week”.")
NO_SUCH_TEAM = _("No such team.")

UNSOLVED = frozenset(UNSOLVED_STATUSES)


@dataclass(frozen=True)
class Bucket:
    key: date  # the local day, or the Monday of the week
    start: datetime
    end: datetime  # exclusive


# --- the period and its buckets --------------------------------------------------------------------


def days_in(start: datetime, end: datetime) -> int:
    """The period's length in whole days (rounded: a daylight-saving change makes a day 23 or 25 hours)."""
    return round((end - start) / timedelta(days=1))


def check_period(start: datetime, end: datetime) -> None:
    """``ValidationError`` keyed ``until`` when the period is longer than ``MAX_DAYS``."""
    if days_in(start, end) > MAX_DAYS:
        raise ValidationError({"until": [TOO_LONG]})


def default_granularity(start: datetime, end: datetime) -> str:
    return DAY if days_in(start, end) <= DAILY_UP_TO else WEEK


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def buckets(start: datetime, end: datetime, granularity: str) -> list[Bucket]:
    """The buckets of ``[start, end)`` in the active time zone, the first and last cut to the period."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - timedelta(microseconds=1)).date()
    step = timedelta(days=1 if granularity == DAY else 7)
    key = first if granularity == DAY else first - timedelta(days=first.weekday())
    out = []
    while key <= last:
        out.append(Bucket(key, max(start, _local_midnight(key)), min(end, _local_midnight(key + step))))
        key += step
    return out


def _bucket_finder(plan: list[Bucket]) -> Callable[[datetime], int]:
    """The index in ``plan`` of the bucket holding an instant of the period. The buckets' bounds
    are local midnights (``buckets``), so this is ``TruncDay``/``TruncWeek`` in the active zone —
    found by bisection in Python rather than by the database, which would hand back one more
    date-time per row to decode and convert."""
    starts = [b.start.astimezone(UTC) for b in plan]  # rows come in UTC: same-zone comparisons are cheap

    def find(moment: datetime) -> int:
        return bisect_right(starts, moment) - 1

    return find


# --- the computation -------------------------------------------------------------------------------


def _seconds(values: list[float]) -> dict[str, int | None]:
    if not values:
        return {"avg": None, "median": None}
    return {"avg": round(statistics.fmean(values)), "median": round(statistics.median(values))}


def _compute(
    viewer: User,
    start: datetime,
    end: datetime,
    granularity: str,
    team_id: int | None,
    backlog_at_start: int | None = None,
) -> dict[str, Any]:
    """The figures of ``[start, end)``. ``backlog_at_start``, when the caller knows it (the end
    of the buckets before ``start``), saves finding it: no count, no rewinding."""
    works = permissions.works_tickets(viewer)
    # Viewers who see every ticket get no per-ticket filter: the semi-join would cost more than the figure.
    visible = None if permissions.sees_every_ticket(viewer) else permissions.visible_ticket_ids(viewer)

    def scoped(qs: QuerySet, path: str = "") -> QuerySet:
        """``qs`` limited to the visible tickets (of the team), ``path`` leading to the ticket."""
        if not works:  # the statistics are the support team's: nobody else's tickets count
            return qs.none()
        if visible is not None:
            qs = qs.filter(**{f"{path}pk__in": visible})
        if team_id is not None:
            qs = qs.filter(**{f"{path}team_id": team_id})
        return qs

    plan = buckets(start, end, granularity)
    bucket_of = _bucket_finder(plan)
    rows: list[dict[str, Any]] = [
        {"created": 0, "created_unsolved": 0, "solved": 0, "reopened": 0, "flow": 0, "first": [], "resolution": {}}
        for _b in plan
    ]

    # 1. Tickets created or first answered in the period, with the status each started in: the
    # "old" side of its first status change, or its status now if it never changed.
    first_change = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.STATUS_CHANGED)
        .order_by("created_at", "id")
        .values(old=KT("data__old"))[:1]
    )
    tickets = scoped(Ticket.objects.all()).filter(
        Q(created_at__gte=start, created_at__lt=end) | Q(first_response_at__gte=start, first_response_at__lt=end)
    )
    for created_at, responded_at, initial in (
        tickets.annotate(initial=Coalesce(Subquery(first_change), F("status"), output_field=TextField()))
        .values_list("created_at", "first_response_at", "initial")
        .order_by()
    ):
        if start <= created_at < end:
            row = rows[bucket_of(created_at)]
            row["created"] += 1
            row["created_unsolved"] += initial in UNSOLVED
        if responded_at is not None and start <= responded_at < end:
            rows[bucket_of(responded_at)]["first"].append((responded_at - created_at).total_seconds())

    # 2. Every solve and reopen since the start: those in the period per bucket, and those (even
    # after the period) of tickets created before the start, to wind the backlog back to it.
    wanted = (
        Q(created_at__lt=end)
        if backlog_at_start is not None
        else Q(created_at__lt=end) | Q(ticket__created_at__lt=start)
    )
    changes = scoped(
        TicketEvent.objects.filter(kind=EventKind.STATUS_CHANGED).filter(
            Q(data__new=Status.SOLVED) | Q(data__old=Status.SOLVED)
        ),
        "ticket__",
    ).filter(wanted, created_at__gte=start)
    rewind = 0
    for ticket_id, at, ticket_created_at, old, new in (
        changes.annotate(old=KT("data__old"), new=KT("data__new"))
        .values_list("ticket_id", "created_at", "ticket__created_at", "old", "new")
        .order_by("created_at", "id")
    ):
        delta = (new in UNSOLVED) - (old in UNSOLVED)  # +1 a reopen, -1 a solve, 0 solved -> closed
        if ticket_created_at < start:
            rewind += delta
        if at >= end:
            continue
        row = rows[bucket_of(at)]
        row["flow"] += delta
        if new == Status.SOLVED:
            row["solved"] += 1
            row["resolution"][ticket_id] = (at - ticket_created_at).total_seconds()  # oldest first: the last wins
        elif old == Status.SOLVED and new == Status.OPEN:
            row["reopened"] += 1

    # 3. The backlog at the start: tickets created before it and unsolved now, rewound.
    if backlog_at_start is None:
        open_now = scoped(Ticket.objects.filter(created_at__lt=start, status__in=UNSOLVED_STATUSES)).count()
        backlog_at_start = open_now - rewind
    backlog = backlog_at_start

    results = []
    for bucket, row in zip(plan, rows, strict=True):
        backlog += row["created_unsolved"] + row["flow"]
        results.append(
            {
                "start": bucket.start,
                "end": bucket.end,
                "created": row["created"],
                "solved": row["solved"],
                "reopened": row["reopened"],
                "backlog": backlog,
                "first_response_seconds": _seconds(row["first"]),
                "resolution_seconds": _seconds(list(row["resolution"].values())),
            }
        )
    return {"backlog_at_start": backlog_at_start, "buckets": results}


def _cached_compute(
    key: str, viewer: User, start: datetime, end: datetime, granularity: str, team_id: int | None
) -> dict[str, Any]:
    """``_compute``, cached in two parts, so a busy desk does not recompute the whole period for
    every new ticket. The buckets that ended before now are history: what they count changes only
    with changes that statistics count (status changes, team moves — a ticket counts for its
    current team — access, imports and deletions: ``tickets.caching``), so they are kept under the
    statistics version. The bucket still running (today, or this week) is computed alone from the
    backlog the history ended with — a day's rows, not the period's — and kept for
    ``HELPDESK_TREND_RUNNING_SECONDS`` whatever changes meanwhile (``_running_cache``). When both
    are cold, the period is computed once and stored in its two parts (the same three queries as
    one part)."""
    plan = buckets(start, end, granularity)
    now = timezone.now()
    closed = sum(1 for bucket in plan if bucket.end <= now)
    if closed == len(plan):
        return caching.cached(
            key,
            lambda: _compute(viewer, start, end, granularity, team_id),
            timeout=TREND_CACHE_SECONDS,
            scope=[caching.STATISTICS_KEY],
        )
    if closed == 0:
        return caching.cached(key, lambda: _compute(viewer, start, end, granularity, team_id), **_running_cache())
    cut = plan[closed - 1].end
    history_key = f"{key}:to:{cut.isoformat()}"
    history = cast("dict[str, Any] | None", caching.peek(history_key, scope=[caching.STATISTICS_KEY]))
    if history is None:
        # Both parts cold: one computation of the whole period (three queries), kept in two.
        with primary_reads():  # as ``caching.cached`` computes: what is stored must not come from a replica behind
            whole = _compute(viewer, start, end, granularity, team_id)
        history = {"backlog_at_start": whole["backlog_at_start"], "buckets": whole["buckets"][:closed]}
        caching.store(history_key, history, timeout=TREND_CACHE_SECONDS, scope=[caching.STATISTICS_KEY])
        backlog = history["buckets"][-1]["backlog"]
        running = {"buckets": whole["buckets"][closed:]}
        caching.store(_running_key(key, cut, backlog), running, **_running_cache())
        return whole
    backlog = history["buckets"][-1]["backlog"]
    running = caching.cached(
        _running_key(key, cut, backlog),
        lambda: _compute(viewer, cut, end, granularity, team_id, backlog_at_start=backlog),
        **_running_cache(),
    )
    return {"backlog_at_start": history["backlog_at_start"], "buckets": history["buckets"] + running["buckets"]}


def _running_cache() -> dict[str, Any]:
    """How the running bucket is kept: ``HELPDESK_TREND_RUNNING_SECONDS`` under the access version
    only (who may see what still drops it at once; the key names the viewer), or with 0 under
    the desk version (every change)."""
    seconds = settings.HELPDESK_TREND_RUNNING_SECONDS
    if seconds:
        return {"timeout": seconds, "scope": [caching.ACCESS_KEY]}
    return {"timeout": TREND_CACHE_SECONDS, "scope": [caching.VERSION_KEY]}


def _running_key(key: str, cut: datetime, backlog: int) -> str:
    return f"{key}:from:{cut.isoformat()}:{backlog}"


def trend(
    *, viewer: User, start: datetime, end: datetime, granularity: str | None = None, team: Team | None = None
) -> dict[str, Any]:
    """The trend of ``[start, end)`` as ``viewer`` may see it::

        {"since": start, "until": end, "granularity": "day"|"week", "team": team|None,
         "backlog_at_start": n,
         "buckets": [{"start", "end", "created", "solved", "reopened", "backlog",
                      "first_response_seconds": {"avg", "median"},
                      "resolution_seconds": {"avg", "median"}}, ...]}

    ``granularity`` None: days for up to ``DAILY_UP_TO`` days, else weeks. ``team`` must be one of
    ``permissions.stats_visible_teams(viewer)`` (callers pick it from there: ``visible_team``).
    Raises ``ValidationError`` (keyed ``until``) for a period longer than ``MAX_DAYS`` and (keyed
    ``granularity``) for an unknown granularity. For viewers who do not work tickets (customers)
    every figure is zero: the pages and the API refuse them before asking.
    """
    check_period(start, end)
    granularity = granularity or default_granularity(start, end)
    if granularity not in GRANULARITIES:
        raise ValidationError({"granularity": [BAD_GRANULARITY]})
    team_id = None if team is None else team.pk
    zone = timezone.get_current_timezone_name()
    key = (
        f"trend:{viewer.pk}:{viewer.role}:{viewer.ticket_scope}:{zone}:{start.isoformat()}:{end.isoformat()}"
        f":{granularity}:{team_id}"
    )
    data = _cached_compute(key, viewer, start, end, granularity, team_id)
    return {"since": start, "until": end, "granularity": granularity, "team": team, **data}


def visible_team(viewer: User, team_id: int) -> Team | None:
    """The team with ``team_id`` if ``viewer`` may see its figures, else None (whether or not it exists)."""
    return permissions.stats_visible_teams(viewer).filter(pk=team_id).first()
