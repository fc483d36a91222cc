"""Customer satisfaction (CSAT) in the statistics: per agent, per team and for the period.

CSAT = good / (good + bad) answers, as a percentage, over the surveys of the solves in the
period (``SatisfactionRating.created_at`` is the solve's time), credited to the assignee and the
team *at the solve* (kept on the survey), with the counts beside it: ``good``, ``bad``, ``rated``
(good + bad) and ``offered`` (surveys sent, answered or not). A survey answered later still
counts in its solve's period. Over the tickets the viewer may see
(``permissions.visible_ticket_ids``), for the agents and teams whose figures they may see —
the same rules as the rest of the statistics page.

One grouped query (counts per assignee and team, aggregated by the database off the
``created_at`` index), then sums in Python over those few rows: a fixed query count whatever the
number of surveys, agents or teams. Not cached: the query is as cheap as a cache round trip.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q

from tickets import periods, permissions
from tickets.satisfaction.models import SatisfactionRating, Score

if TYPE_CHECKING:
    from accounts.models import User


def figures(good: int, bad: int, offered: int) -> dict[str, Any]:
    """``{"good", "bad", "rated", "offered", "percent"}``: percent of good among the answers, one
    decimal, None without any answer."""
    rated = good + bad
    return {
        "good": good,
        "bad": bad,
        "rated": rated,
        "offered": offered,
        "percent": round(100 * good / rated, 1) if rated else None,
    }


def _counts(viewer: User, since: datetime, until: datetime) -> list[dict[str, Any]]:
    surveys = SatisfactionRating.objects.filter(created_at__gte=since, created_at__lt=until)
    if not permissions.sees_every_ticket(viewer):
        surveys = surveys.filter(ticket__in=permissions.visible_ticket_ids(viewer))
    return list(
        surveys.values("assignee_id", "team_id")
        .annotate(
            good=Count("pk", filter=Q(score=Score.GOOD)),
            bad=Count("pk", filter=Q(score=Score.BAD)),
            offered=Count("pk"),
        )
        .order_by()
    )


def csat(
    *,
    viewer: User,
    since: date | datetime,
    until: date | datetime,
    agents: list[dict[str, Any]],
    teams: list[dict[str, Any]],
    team_id: int | None = None,
) -> dict[str, Any]:
    """CSAT for the period ``[since, until)`` (dates: whole days, ``until`` inclusive):
    ``{"total": figures, "agents": [{"agent": {"id", "name"}, **figures}], "teams": [{"team":
    {"id", "name"}, **figures}]}``. ``agents`` and ``teams`` are the ``{"id", "name"}`` the viewer
    may see (``permissions.stats_visible_agents`` / ``stats_visible_teams``), already read by the
    caller; ``team_id`` narrows the total to that team's solves. One query."""
    since_dt, until_dt = periods.as_datetime(since, end=False), periods.as_datetime(until, end=True)
    by_agent: defaultdict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_team: defaultdict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    total = [0, 0, 0]
    for row in _counts(viewer, since_dt, until_dt):
        numbers = (row["good"], row["bad"], row["offered"])
        for key, out in ((row["assignee_id"], by_agent), (row["team_id"], by_team)):
            if key is not None:
                out[key] = [a + b for a, b in zip(out[key], numbers, strict=True)]
        if team_id is None or row["team_id"] == team_id:
            total = [a + b for a, b in zip(total, numbers, strict=True)]
    return {
        "total": figures(*total),
        "agents": [{"agent": {"id": a["id"], "name": a["name"]}, **figures(*by_agent[a["id"]])} for a in agents],
        "teams": [{"team": {"id": t["id"], "name": t["name"]}, **figures(*by_team[t["id"]])} for t in teams],
    }


def page_section(
    viewer: User, since: date | datetime, until: date | datetime, *, rows: list[dict], team_rows: list[dict], team: Any
) -> dict[str, Any]:
    """The statistics page's "Customer satisfaction" section, for the agents and teams its tables
    show (``rows``, ``team_rows`` of ``tickets.stats``)."""
    return csat(
        viewer=viewer,
        since=since,
        until=until,
        agents=[row["agent"] for row in rows],
        teams=[row["team"] for row in team_rows],
        team_id=team.pk if team is not None else None,
    )
