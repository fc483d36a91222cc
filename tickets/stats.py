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

Who sees what: ``stats_visible_agents`` is the single rule (admins every agent; agents
themselves and the members of their teams). Numbers are computed over the tickets the viewer may
see (``permissions.visible_tickets``), so a team-scoped agent's figures never reveal another
team's tickets, not even as a count.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, When
from django.utils import timezone

from tickets import permissions
from tickets.models import EventKind, Message, Status, Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import Team, User

STAFF_ROLES = ("agent", "admin")
UNSOLVED = (Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD)


# --- who may see whose numbers -------------------------------------------------------------------


# Who may see whose numbers is an access rule: it lives in tickets.permissions with the others.
stats_visible_agents = permissions.stats_visible_agents
stats_visible_teams = permissions.stats_visible_teams


# --- the period ---------------------------------------------------------------------------------


def _as_datetime(value: date | datetime, *, end: bool) -> datetime:
    """A datetime as given (made aware), or a date as the start of that day (``end``: of the
    next day, so a date range includes its last day) in the current time zone."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if end:
        value = value + timedelta(days=1)
    return timezone.make_aware(datetime.combine(value, time.min))


# --- the raw rows ---------------------------------------------------------------------------------


def _credited_agent() -> Case:
    """The agent a status change is credited to: the actor if staff, else the ticket's assignee."""
    return Case(
        When(actor__role__in=STAFF_ROLES, then=F("actor_id")),
        default=F("ticket__assignee_id"),
        output_field=IntegerField(),
    )


def _solves(tickets: QuerySet[Ticket], since: datetime, until: datetime) -> list[dict[str, Any]]:
    rows = (
        TicketEvent.objects.filter(
            ticket__in=tickets,
            kind=EventKind.STATUS_CHANGED,
            data__new=Status.SOLVED,
            created_at__gte=since,
            created_at__lt=until,
        )
        .annotate(credited=_credited_agent())
        .values("ticket_id", "ticket__team_id", "ticket__created_at", "created_at", "credited")
        .order_by("created_at", "id")
    )
    return list(rows)


def _first_responses(tickets: QuerySet[Ticket], since: datetime, until: datetime) -> list[dict[str, Any]]:
    responder = (
        Message.objects.filter(
            ticket=OuterRef("pk"),
            internal=False,
            author_role__in=STAFF_ROLES,
            created_at=OuterRef("first_response_at"),
        )
        .order_by("id")
        .values("author_id")[:1]
    )
    rows = (
        tickets.filter(first_response_at__gte=since, first_response_at__lt=until)
        .annotate(responder=Subquery(responder, output_field=IntegerField()))
        .values("team_id", "created_at", "first_response_at", "responder")
        .order_by()
    )
    return list(rows)


def _counts(queryset: QuerySet, key: str) -> dict[Any, int]:
    return {row[key]: row["n"] for row in queryset.values(key).annotate(n=Count("pk")).order_by()}


def _seconds(values: list[float]) -> dict[str, int | None]:
    if not values:
        return {"avg": None, "median": None}
    return {"avg": round(statistics.fmean(values)), "median": round(statistics.median(values))}


def _collect(
    *,
    viewer: User,
    since: datetime,
    until: datetime,
    ticket_key: str,
    keys: Iterable[Any],
    credit: Callable[[dict[str, Any], str], Any],
) -> dict[Any, dict[str, Any]]:
    """Metrics per key. ``ticket_key`` is the ticket column that groups counts ("assignee_id" for
    agents, "team_id" for teams); ``credit(row, what)`` maps a raw row to its key."""
    keys = list(keys)
    tickets = permissions.visible_tickets(viewer)
    wanted = set(keys)
    out: dict[Any, dict[str, Any]] = {
        key: {"assigned_open": 0, "solved": 0, "replies": 0, "first": [], "resolution": [], "reopened": 0}
        for key in keys
    }
    if not keys:
        return out

    for key, n in _counts(tickets.filter(status__in=UNSOLVED, assignee__isnull=False), ticket_key).items():
        if key in wanted:
            out[key]["assigned_open"] = n

    opening = Message.objects.filter(ticket=OuterRef("ticket")).order_by("created_at", "id").values("pk")[:1]
    replies = Message.objects.filter(
        ticket__in=tickets,
        internal=False,
        author_role__in=STAFF_ROLES,
        created_at__gte=since,
        created_at__lt=until,
    ).exclude(pk=Subquery(opening))  # the description of a ticket an agent filed is no reply
    reply_key = "author_id" if ticket_key == "assignee_id" else f"ticket__{ticket_key}"
    for key, n in _counts(replies, reply_key).items():
        if key in wanted:
            out[key]["replies"] = n

    for row in _first_responses(tickets, since, until):
        key = credit(row, "first")
        if key in wanted:
            out[key]["first"].append((row["first_response_at"] - row["created_at"]).total_seconds())

    last_solve: dict[int, dict[str, Any]] = {}
    for row in _solves(tickets, since, until):
        key = credit(row, "solve")
        if key in wanted:
            out[key]["solved"] += 1
        last_solve[row["ticket_id"]] = row  # rows come oldest first: the last one wins
    for row in last_solve.values():
        key = credit(row, "solve")
        if key in wanted:
            out[key]["resolution"].append((row["created_at"] - row["ticket__created_at"]).total_seconds())

    reopens = TicketEvent.objects.filter(
        ticket__in=tickets,
        kind=EventKind.STATUS_CHANGED,
        data__old=Status.SOLVED,
        data__new=Status.OPEN,
        created_at__gte=since,
        created_at__lt=until,
    )
    for key, n in _counts(reopens, f"ticket__{ticket_key}").items():
        if key in wanted:
            out[key]["reopened"] = n
    return out


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
    number of queries (six), whatever the number of agents. See the module docstring for what
    each number means and who is credited.
    """
    since_dt, until_dt = _as_datetime(since, end=False), _as_datetime(until, end=True)
    agents = stats_visible_agents(viewer)
    if team is not None:
        agents = agents.filter(groups=team.group_id)
    people = list(agents.order_by("name", "id").values("id", "name"))

    def credit(row: dict[str, Any], what: str) -> Any:
        return row["responder"] if what == "first" else row["credited"]

    metrics = _collect(
        viewer=viewer,
        since=since_dt,
        until=until_dt,
        ticket_key="assignee_id",
        keys=[p["id"] for p in people],
        credit=credit,
    )
    return [{"agent": {"id": p["id"], "name": p["name"]}, **_shape(metrics[p["id"]])} for p in people]


def team_stats(*, viewer: User, since: date | datetime, until: date | datetime) -> list[dict]:
    """The same numbers per team (``stats_visible_teams``), by the ticket's *current* team:
    ``{"team": {"id", "name"}, "assigned_open": n, ...}``. ``assigned_open`` counts the team's
    unsolved tickets that have an assignee; ``replies`` the agents' public replies on its tickets.
    """
    since_dt, until_dt = _as_datetime(since, end=False), _as_datetime(until, end=True)
    teams = list(stats_visible_teams(viewer).order_by("name", "id").values("id", "name"))

    def credit(row: dict[str, Any], what: str) -> Any:
        return row["team_id"] if what == "first" else row["ticket__team_id"]

    metrics = _collect(
        viewer=viewer,
        since=since_dt,
        until=until_dt,
        ticket_key="team_id",
        keys=[t["id"] for t in teams],
        credit=credit,
    )
    return [{"team": {"id": t["id"], "name": t["name"]}, **_shape(metrics[t["id"]])} for t in teams]
