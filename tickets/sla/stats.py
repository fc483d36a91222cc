"""SLA achievement for a period (issue 17): how many clocks ended, how many met their target,
and how much of the target they used — per metric, team, agent (assignee) and priority.

What is counted. A clock *ends* when it is fulfilled (met within its target) or breached; each
end is a history event (``sla_fulfilled`` / ``sla_breached``, written by ``tickets.sla.refresh``
and the sweeper) stamped with the moment it happened. The clocks' own rows cannot answer for a
period: a next-reply or periodic-update clock starts its next cycle in the same row, so only the
history keeps every cycle. In a period ``[start, end)``:

- every cycle of next reply time and periodic update that ended in it counts;
- first reply, requester wait and resolution count once per ticket, by their *last* end in the
  period: a reopened ticket restarts its resolution clock, and a solve that did not hold is not
  a second achievement (nor a breach on top of an achievement);
- ``achieved``: fulfilled; ``breached``: breached (met late or never, it breached);
  ``achievement_percent``: achieved ÷ ended, one decimal, rounded down (100 only when every
  clock was met);
- ``elapsed_of_target``: the median and 90th percentile (nearest rank) of the target time used,
  as a whole percentage of the target (floored). A fulfilled clock records the business (or
  calendar, as its target counts) seconds it used (``elapsed_seconds``); a breached clock is
  known only to have used more than its target (after a breach the clock stops counting, pauses
  included), so it sorts above every fulfilled one: a percentile that falls among the breaches
  is "over target" (``over_target``) with no number. Fulfilments recorded before
  ``elapsed_seconds`` existed count as achieved but not in the percentiles. As a percentage of
  each clock's own target, figures of different targets (priorities, policies) combine.

A clock counts for a team and an agent by the ticket's *current* team and assignee (as in
``tickets.stats``), for a priority by the ticket's priority when the clock ended.

Who sees what: the same rules as ``tickets.stats``. Figures are counted over the tickets the
viewer may see (``permissions.visible_ticket_ids``); the agent rows are
``stats_visible_agents`` (admins every agent; an agent their own row), the team rows
``stats_visible_teams``.

Cost: one grouped query (the ended clocks by metric, team, assignee, priority, outcome and
percentage used — a number of rows bounded by those, not by the clocks), plus the people and
teams (read afresh every time). The grouped answer is cached per viewer and period under the
statistics version (ticket moves, access) and ``refresh.OUTCOMES_KEY`` (bumped by every
fulfilment and breach, the sweeper's included), so a figure is never stale.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import BigIntegerField, Case, CharField, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, NullIf

from tickets import caching, periods, permissions
from tickets.models import EventKind, Priority, TicketEvent
from tickets.sla import hook
from tickets.sla.clocks import CYCLIC
from tickets.sla.models import Metric
from tickets.sla.refresh import OUTCOMES_KEY

if TYPE_CHECKING:
    from accounts.models import Team, User

OUTCOMES = (EventKind.SLA_FULFILLED, EventKind.SLA_BREACHED)
ONCE_PER_TICKET = [m for m in Metric.values if m not in CYCLIC]
PERCENTILES = (("median", 50), ("p90", 90))
CACHE_SECONDS = 3600  # exact invalidation (the versions); this only bounds the memory


# --- one group's figures ---------------------------------------------------------------------------


@dataclass
class Tally:
    """The ended clocks of one group: achieved ones by the whole percentage of the target they
    used (None: not recorded), and the breaches."""

    achieved: Counter = field(default_factory=Counter)
    breached: int = 0

    def add(self, kind: str, percent: int | None, n: int) -> None:
        if kind == EventKind.SLA_BREACHED:
            self.breached += n
        else:
            self.achieved[percent] += n

    def figures(self) -> dict[str, Any]:
        achieved = sum(self.achieved.values())
        ended = achieved + self.breached
        return {
            "ended": ended,
            "achieved": achieved,
            "breached": self.breached,
            "achievement_percent": None if not ended else math.floor(achieved * 1000 / ended) / 10,
            "elapsed_of_target": {name: self.percentile(p) for name, p in PERCENTILES},
        }

    def percentile(self, p: int) -> dict[str, Any]:
        """The nearest-rank ``p``th percentile of the target used: the ``ceil(p/100 · n)``th
        smallest of the known values, breaches above every fulfilment."""
        known = sorted((percent, n) for percent, n in self.achieved.items() if percent is not None)
        total = sum(n for _, n in known) + self.breached
        if not total:
            return {"percent": None, "over_target": False}
        rank = math.ceil(p * total / 100)
        seen = 0
        for percent, n in known:
            seen += n
            if seen >= rank:
                return {"percent": percent, "over_target": False}
        return {"percent": None, "over_target": True}


# --- the grouped query ------------------------------------------------------------------------------


def _text(path: str) -> Cast:
    """A key of the event's data as plain text (compared and grouped as text, not as JSON)."""
    return Cast(KT(path), CharField())


def _ended(viewer: User, start: datetime, end: datetime, team: Team | None) -> list[dict[str, Any]]:
    """The ended clocks of ``[start, end)`` the viewer may see, grouped: rows of ``metric``,
    ``team``, ``assignee``, ``priority``, ``kind``, ``percent`` (None for breaches and for
    fulfilments without a recorded elapsed time) and ``n``."""
    events = TicketEvent.objects.filter(kind__in=OUTCOMES, created_at__gte=start, created_at__lt=end)
    if not permissions.sees_every_ticket(viewer):
        events = events.filter(ticket__in=permissions.visible_ticket_ids(viewer))
    if team is not None:
        events = events.filter(ticket__team=team)
    events = events.annotate(metric=_text("data__metric"))
    # A later end of the same clock in the period (first reply, requester wait, resolution).
    later = (
        TicketEvent.objects.filter(ticket=OuterRef("ticket"), kind__in=OUTCOMES, created_at__lt=end)
        .filter(Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id")))
        .annotate(later_metric=_text("data__metric"))
        .filter(later_metric=OuterRef("metric"))
    )
    events = events.exclude(Q(metric__in=ONCE_PER_TICKET) & Exists(later))
    used = Cast(KT("data__elapsed_seconds"), BigIntegerField())
    target = NullIf(Cast(KT("data__target_minutes"), BigIntegerField()) * 60, Value(0))
    rows = (
        events.annotate(
            priority=Coalesce(_text("data__priority"), F("ticket__priority"), output_field=CharField()),
            percent=Case(
                When(kind=EventKind.SLA_FULFILLED, then=used * 100 / target),
                default=Value(None),
                output_field=BigIntegerField(),
            ),
        )
        .values("metric", "ticket__team_id", "ticket__assignee_id", "priority", "kind", "percent")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {
            "metric": row["metric"],
            "team": row["ticket__team_id"],
            "assignee": row["ticket__assignee_id"],
            "priority": row["priority"],
            "kind": row["kind"],
            "percent": None if row["percent"] is None else int(row["percent"]),
            "n": row["n"],
        }
        for row in rows
    ]


def _cached_ended(viewer: User, start: datetime, end: datetime, team: Team | None) -> list[dict[str, Any]]:
    """``_ended``, cached per viewer (never shared, not even between two admins), their role and
    scope as loaded now, the period and the team, until a statistic or an SLA outcome changes."""
    key = (
        f"sla-stats:{viewer.pk}:{viewer.role}:{viewer.ticket_scope}:{start.isoformat()}:{end.isoformat()}"
        f":{team.pk if team is not None else ''}"
    )
    return caching.cached(
        key,
        lambda: _ended(viewer, start, end, team),
        timeout=CACHE_SECONDS,
        scope=[caching.STATISTICS_KEY, OUTCOMES_KEY],
    )


# --- the breakdowns -------------------------------------------------------------------------------


def _tallies(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, Tally]:
    found: dict[Any, Tally] = {}
    for row in rows:
        found.setdefault(row[key], Tally()).add(row["kind"], row["percent"], row["n"])
    return found


def achievement(
    *, viewer: User, since: date | datetime, until: date | datetime, team: Team | None = None
) -> dict[str, Any]:
    """SLA achievement of the period ``[since, until)`` (dates: whole days, ``until``
    included), optionally of one team's tickets (a team among ``stats_visible_teams``; the
    caller checks)::

        {"since", "until", "policies_active": bool, "overall": F,
         "metrics": [{"metric", "name", **F}],          # every metric, in Metric order
         "teams": [{"team": {"id", "name"}, **F}],       # stats_visible_teams (or ``team``)
         "agents": [{"agent": {"id", "name"}, **F}],     # stats_visible_agents (``team``'s members)
         "priorities": [{"priority", "name", **F}]}      # urgent first

    where F is ``{"ended", "achieved", "breached", "achievement_percent",
    "elapsed_of_target": {"median": P, "p90": P}}`` and P ``{"percent", "over_target"}``.
    See the module docstring for what each figure means.
    """
    start, end = periods.as_datetime(since, end=False), periods.as_datetime(until, end=True)
    # SLA clocks are the desk's internal side: whoever does not work tickets counts none of them.
    rows = _cached_ended(viewer, start, end, team) if permissions.works_tickets(viewer) else []
    blank = Tally().figures()

    agents = permissions.stats_visible_agents(viewer)
    if team is not None:
        agents = agents.filter(groups=team.group_id)
        teams = [team]
    else:
        teams = list(permissions.stats_visible_teams(viewer).order_by("name", "id"))
    people = list(agents.order_by("name", "id").values("id", "name"))

    overall = Tally()
    for row in rows:
        overall.add(row["kind"], row["percent"], row["n"])
    by_metric, by_team = _tallies(rows, "metric"), _tallies(rows, "team")
    by_agent, by_priority = _tallies(rows, "assignee"), _tallies(rows, "priority")

    def figures(found: dict[Any, Tally], key: Any) -> dict[str, Any]:
        tally = found.get(key)
        return blank if tally is None else tally.figures()

    return {
        "since": start,
        "until": end,
        "policies_active": hook.any_active(),
        "overall": overall.figures(),
        "metrics": [{"metric": m.value, "name": m.label, **figures(by_metric, m.value)} for m in Metric],
        "teams": [{"team": {"id": t.pk, "name": t.name}, **figures(by_team, t.pk)} for t in teams],
        "agents": [{"agent": {"id": p["id"], "name": p["name"]}, **figures(by_agent, p["id"])} for p in people],
        "priorities": [{"priority": p.value, "name": p.label, **figures(by_priority, p.value)} for p in Priority],
    }
