"""Agent and team performance statistics (API.md "Statistics", the agent stats page).

Everything here is computed from the history (``TicketEvent``), the conversation (``Message``)
and the ticket timestamps, in a fixed number of queries whatever the number of agents or
tickets: a handful of grouped queries, then sums, averages and medians in Python.

Definitions, for a period ``[since, until)``:

- ``assigned_open``: tickets assigned to the agent right now that are not solved or closed
  (open, in progress, pending, on hold). A snapshot, not limited to the period.
- ``solved``: times a ticket *entered* ``solved`` in the period (``status_changed`` events with
  ``new == "solved"``). Closing a solved ticket is not a solve; solving the same ticket twice
  counts twice. The solve is credited to the actor when an agent or admin made the change,
  otherwise (the requester marked it solved, or the system did) to the ticket's assignee.
- ``replies``: public messages written by the agent in the period. Internal notes do not count,
  nor does the opening message of a ticket an agent filed for a customer.
- ``first_response_seconds``: for tickets whose first response happened in the period, the time
  from creation to the first *public* reply by an agent (``Ticket.first_response_at``, which the
  services set on the first public agent reply only: internal notes never count). Credited to
  the agent who wrote that reply.
- ``resolution_seconds``: for tickets solved in the period, creation to the *last* time they
  entered ``solved`` in the period, credited like ``solved``.
- ``reopened``: ``solved`` → ``open`` transitions in the period, counted against the ticket's
  assignee (the agent whose solve did not hold).

Who sees what: ``stats_visible_agents`` is the single rule (admins every agent; agents their
own row only) and ``stats_visible_teams`` for team totals (admins every team; agents theirs, every
team when they work every ticket). Numbers are computed over the tickets the viewer may
see (``permissions.visible_tickets``), so a team-scoped agent's figures never reveal another
team's tickets, not even as a count.

Caching: the metrics of one viewer and period are kept in the cache under the desk version of
``tickets.caching``, which every committed ticket change and access change bumps, so a figure is
never stale after anybody's change; the list of people and teams is read afresh every time.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, When

from accounts.permissions import STAFF_ROLES
from helpdesk import memo
from tickets import caching, periods, permissions
from tickets.models import EventKind, Message, Status, Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import Team, User

UNSOLVED = (Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD)
# Exact invalidation (the desk version) makes a long life safe; this only bounds the memory.
STATS_CACHE_SECONDS = 3600


# --- who may see whose numbers -------------------------------------------------------------------


# Who may see whose numbers is an access rule: it lives in tickets.permissions with the others.
stats_visible_agents = permissions.stats_visible_agents
stats_visible_teams = permissions.stats_visible_teams


# --- the period ---------------------------------------------------------------------------------

# Dates and date-times to the period's bounds: one rule for the page, the API and these functions.
_as_datetime = periods.as_datetime


# --- the raw rows ---------------------------------------------------------------------------------


def _credited_agent() -> Case:
    """The agent a status change is credited to: the actor if staff, else the ticket's assignee."""
    return Case(
        When(actor__role__in=STAFF_ROLES, then=F("actor_id")),
        default=F("ticket__assignee_id"),
        output_field=IntegerField(),
    )


def _seconds(values: list[float]) -> dict[str, int | None]:
    if not values:
        return {"avg": None, "median": None}
    return {"avg": round(statistics.fmean(values)), "median": round(statistics.median(values))}


def _blank() -> dict[str, Any]:
    return {"assigned_open": 0, "solved": 0, "replies": 0, "first": [], "resolution": [], "reopened": 0}


def _metrics(viewer: User, since: datetime, until: datetime) -> dict[str, dict[int, dict[str, Any]]]:
    """Every metric of the period, per agent and per team, over the tickets ``viewer`` may see:
    ``{"agents": {agent_id: row}, "teams": {team_id: row}}`` in the ``_shape`` form.

    Five grouped queries serve both groupings. A viewer who sees every ticket gets no per-ticket
    filter at all: over a large desk the permission semi-join would cost more than the metric.
    """
    if permissions.sees_every_ticket(viewer):

        def visible(qs: QuerySet, path: str) -> QuerySet:
            return qs

    else:
        tickets = permissions.visible_ticket_ids(viewer)

        def visible(qs: QuerySet, path: str) -> QuerySet:
            return qs.filter(**{f"{path}__in": tickets})

    agents: defaultdict[Any, dict[str, Any]] = defaultdict(_blank)
    teams: defaultdict[Any, dict[str, Any]] = defaultdict(_blank)

    def count(what: str, agent_id: Any, team_id: Any, n: int = 1) -> None:
        for key, out in ((agent_id, agents), (team_id, teams)):
            if key is not None:
                out[key][what] += n

    def measure(what: str, agent_id: Any, team_id: Any, seconds: float) -> None:
        for key, out in ((agent_id, agents), (team_id, teams)):
            if key is not None:
                out[key][what].append(seconds)

    assigned = visible(Ticket.objects.filter(status__in=UNSOLVED, assignee__isnull=False), "pk")
    for row in assigned.values("assignee_id", "team_id").annotate(n=Count("pk")).order_by():
        count("assigned_open", row["assignee_id"], row["team_id"], row["n"])

    opening = Message.objects.filter(ticket=OuterRef("ticket")).order_by("created_at", "id").values("pk")[:1]
    replies = visible(
        Message.objects.filter(
            created_at__gte=since, created_at__lt=until, internal=False, author_role__in=STAFF_ROLES
        ).exclude(pk=Subquery(opening)),  # the description of a ticket an agent filed is no reply
        "ticket",
    )
    for row in replies.values("author_id", "ticket__team_id").annotate(n=Count("pk")).order_by():
        count("replies", row["author_id"], row["ticket__team_id"], row["n"])

    responder = (
        Message.objects.filter(
            ticket=OuterRef("pk"), created_at=OuterRef("first_response_at"), internal=False, author_role__in=STAFF_ROLES
        )
        .order_by("id")
        .values("author_id")[:1]
    )
    first_responses = visible(Ticket.objects.filter(first_response_at__gte=since, first_response_at__lt=until), "pk")
    for row in (
        first_responses.annotate(responder=Subquery(responder, output_field=IntegerField()))
        .values("team_id", "created_at", "first_response_at", "responder")
        .order_by()
    ):
        measure(
            "first", row["responder"], row["team_id"], (row["first_response_at"] - row["created_at"]).total_seconds()
        )

    last_solve: dict[int, dict[str, Any]] = {}
    for row in solve_rows(since, until, visible):
        count("solved", row["credited"], row["ticket__team_id"])
        last_solve[row["ticket_id"]] = row  # rows come oldest first: the last one wins
    for row in last_solve.values():
        seconds = (row["created_at"] - row["ticket__created_at"]).total_seconds()
        measure("resolution", row["credited"], row["ticket__team_id"], seconds)

    reopens = visible(
        TicketEvent.objects.filter(
            created_at__gte=since,
            created_at__lt=until,
            kind=EventKind.STATUS_CHANGED,
            data__old=Status.SOLVED,
            data__new=Status.OPEN,
        ),
        "ticket",
    )
    for row in reopens.values("ticket__assignee_id", "ticket__team_id").annotate(n=Count("pk")).order_by():
        count("reopened", row["ticket__assignee_id"], row["ticket__team_id"], row["n"])

    return {
        "agents": {key: _shape(metrics) for key, metrics in agents.items()},
        "teams": {key: _shape(metrics) for key, metrics in teams.items()},
    }


def solve_rows(
    since: datetime, until: datetime, visible: Callable[[QuerySet, str], QuerySet] | None = None
) -> QuerySet:
    """What the "solved" and "resolution" metrics read: every time a ticket entered ``solved`` in
    [since, until) (``event_solved_idx``), oldest first, with the agent credited. ``visible``
    narrows it to the viewer's tickets (``_metrics``); none: every ticket."""
    solves = TicketEvent.objects.filter(
        created_at__gte=since, created_at__lt=until, kind=EventKind.STATUS_CHANGED, data__new=Status.SOLVED
    )
    if visible is not None:
        solves = visible(solves, "ticket")
    return (
        solves.annotate(credited=_credited_agent())
        .values("ticket_id", "ticket__team_id", "ticket__created_at", "created_at", "credited")
        .order_by("created_at", "id")
    )


def _cached_metrics(viewer: User, since: datetime, until: datetime) -> dict[str, dict[int, dict[str, Any]]]:
    """``_metrics``, kept in the cache until the desk next changes (``tickets.caching``).

    The key holds everything that decides which tickets the numbers are counted over: the viewer
    (never shared between people, not even two admins), their role and ticket scope as loaded by
    this request, and the period. Team membership and every ticket change bump the desk version.
    """
    key = f"stats:{viewer.pk}:{viewer.role}:{viewer.ticket_scope}:{since.isoformat()}:{until.isoformat()}"
    # Once per request (helpdesk.memo): the page asks for the agents' and the teams' rows, both
    # from these metrics, which ``agent_stats`` and ``team_stats`` copy and do not change.
    return memo.remember(
        ("stats-metrics", key),
        lambda: caching.cached(
            key, lambda: _metrics(viewer, since, until), timeout=STATS_CACHE_SECONDS, scope=[caching.STATISTICS_KEY]
        ),
    )


def _shape(metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "assigned_open": metrics["assigned_open"],
        "solved": metrics["solved"],
        "replies": metrics["replies"],
        "first_response_seconds": _seconds(metrics["first"]),
        "resolution_seconds": _seconds(metrics["resolution"]),
        "reopened": metrics["reopened"],
    }


# --- public functions -------------------------------------------------------------------------------


def agent_stats(
    *, viewer: User, since: date | datetime, until: date | datetime, team: Team | None = None
) -> list[dict]:
    """One row per agent ``viewer`` may see (``stats_visible_agents``), ordered by name, in the
    API.md shape::

        {"agent": {"id", "name"}, "assigned_open": n, "solved": n, "replies": n,
         "first_response_seconds": {"avg": s|None, "median": s|None},
         "resolution_seconds": {"avg": s|None, "median": s|None}, "reopened": n}

    ``since``/``until`` bound the period ``[since, until)``; dates mean whole days (``until``
    inclusive). ``team`` keeps only that team's members. Seconds are whole numbers. A fixed
    number of queries whatever the number of agents: the people (always read afresh, so who may
    see whom is never cached) and the five metric queries, which a repeated request finds in the
    cache. See the module docstring for what each number means and who is credited.
    """
    since_dt, until_dt = _as_datetime(since, end=False), _as_datetime(until, end=True)
    agents = stats_visible_agents(viewer)
    if team is not None:
        agents = agents.filter(groups=team.group_id)
    people = list(agents.order_by("name", "id").values("id", "name"))
    if not people:
        return []
    metrics = _cached_metrics(viewer, since_dt, until_dt)["agents"]
    return [{"agent": {"id": p["id"], "name": p["name"]}, **(metrics.get(p["id"]) or _shape(_blank()))} for p in people]


def team_stats(
    *, viewer: User, since: date | datetime, until: date | datetime, teams: list[Team] | None = None
) -> list[dict]:
    """The same numbers per team (``stats_visible_teams``; ``teams``: those of them, already
    loaded), by the ticket's *current* team: ``{"team": {"id", "name"}, "assigned_open": n, ...}``.
    ``assigned_open`` counts the team's unsolved tickets that have an assignee; ``replies`` the
    agents' public replies on its tickets.
    """
    since_dt, until_dt = _as_datetime(since, end=False), _as_datetime(until, end=True)
    if teams is None:
        teams = list(stats_visible_teams(viewer).order_by("name", "id"))
    if not teams:
        return []
    metrics = _cached_metrics(viewer, since_dt, until_dt)["teams"]
    return [{"team": {"id": t.pk, "name": t.name}, **(metrics.get(t.pk) or _shape(_blank()))} for t in teams]
