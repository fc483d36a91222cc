"""The statistics page's "SLA achievement" tab (``/agent/stats/sla/``) and its CSV download
(``/agent/stats/sla/export/``): the figures of ``tickets.sla.stats`` for the period and team the
statistics page's form chooses, under the same rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from tickets import periods, permissions
from tickets.sla import stats as sla_stats
from tickets.views import trend
from tickets.views.agent import agent_required

# Achievement at or above GOOD reads as on track, at or above FAIR as slipping, below as missing.
GOOD, FAIR = 95, 80


def _percent(value: float) -> str:
    return formats.number_format(value, 0 if value == int(value) else 1)


def achievement_text(figures: dict[str, Any]) -> str:
    """ "92 % achieved", or "—" when no clock ended."""
    value = figures["achievement_percent"]
    if value is None:
        return "—"
    return _("%(percent)s %% achieved") % {"percent": _percent(value)}


def tone(figures: dict[str, Any]) -> str:
    """The colour class that goes with ``achievement_text`` (never instead of it)."""
    value = figures["achievement_percent"]
    if value is None:
        return ""
    return "sla-rate-good" if value >= GOOD else "sla-rate-fair" if value >= FAIR else "sla-rate-poor"


def elapsed_text(point: dict[str, Any]) -> str:
    """A percentile of the target used: "42 % of target", "over target" or "—"."""
    if point["over_target"]:
        return _("over target")
    if point["percent"] is None:
        return "—"
    return _("%(percent)s %% of target") % {"percent": point["percent"]}


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "rate_text": achievement_text(row),
        "rate_tone": tone(row),
        "median_text": elapsed_text(row["elapsed_of_target"]["median"]),
        "p90_text": elapsed_text(row["elapsed_of_target"]["p90"]),
    }


@agent_required
@require_GET
def sla_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """SLA achievement per metric, team, agent and priority for the statistics page's period."""
    user = request.user
    picked = trend.choice(user, request.GET)
    result = sla_stats.achievement(viewer=user, since=picked.since, until=picked.until, team=picked.team)
    tables = [
        ("metrics", _("By metric"), _("Metric"), [(r["name"], _shown(r)) for r in result["metrics"]]),
        ("teams", _("By team"), _("Team"), [(r["team"]["name"], _shown(r)) for r in result["teams"]]),
        ("agents", _("By agent"), _("Assignee"), [(r["agent"]["name"], _shown(r)) for r in result["agents"]]),
        ("priorities", _("By priority"), _("Priority"), [(r["name"], _shown(r)) for r in result["priorities"]]),
    ]
    return render(
        request,
        "agent/stats_sla.html",
        {
            "form": picked.form,
            "since": picked.since,
            "until": picked.until,
            "team": picked.team,
            "result": result,
            "overall": _shown(result["overall"]),
            "tables": [{"key": k, "title": t, "first": f, "rows": rows} for k, t, f, rows in tables if rows],
            "sees_everyone": permissions.stats_sees_everyone(user),
            "sees_every_team": permissions.stats_sees_every_team(user),
            "export_query": request.GET.urlencode() if picked.form.is_bound and picked.form.is_valid() else "",
            "nav": "stats",
        },
    )


# --- CSV ------------------------------------------------------------------------------------------


def _percentile_cell(point: dict[str, Any]) -> str:
    if point["over_target"]:
        return ">100"
    return "" if point["percent"] is None else str(point["percent"])


def export(viewer, since: date | datetime, until: date | datetime, team) -> HttpResponse:
    """Every breakdown of the tab in one CSV file: one row per metric, team, agent and priority,
    the first column saying which. Names that start like a formula are made text."""
    start, end = periods.period(since, until)
    result = sla_stats.achievement(viewer=viewer, since=start, until=end, team=team)
    header = [
        _("Breakdown"),
        _("Name"),
        _("Clocks ended"),
        pgettext("SLA clocks counted", "Achieved"),
        pgettext("SLA clocks counted", "Breached"),
        _("Achievement (%)"),
        _("Median target used (%)"),
        _("90th percentile target used (%)"),
    ]
    named = (
        [(_("Metric"), r["name"], r) for r in result["metrics"]]
        + [(_("Team"), r["team"]["name"], r) for r in result["teams"]]
        + [(_("Assignee"), r["agent"]["name"], r) for r in result["agents"]]
        + [(_("Priority"), r["name"], r) for r in result["priorities"]]
    )
    rows = [
        [
            breakdown,
            trend.safe_text(str(name)),
            r["ended"],
            r["achieved"],
            r["breached"],
            "" if r["achievement_percent"] is None else f"{r['achievement_percent']:.1f}",
            _percentile_cell(r["elapsed_of_target"]["median"]),
            _percentile_cell(r["elapsed_of_target"]["p90"]),
        ]
        for breakdown, name, r in named
    ]
    span = f"{timezone.localtime(start).date().isoformat()}_{trend.last_day(end).isoformat()}"
    suffix = "" if team is None else f"-team-{team.pk}"
    return trend.csv_response(f"sla-achievement-{span}{suffix}.csv", header, rows)


@agent_required
@require_GET
def sla_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET /agent/stats/sla/export/?<the tab's parameters>: its figures as a CSV file. Agents
    and admins only (404 for anyone else, like the page); parameters the page would refuse are a
    400 naming them, never a file of other figures."""
    picked = trend.choice(request.user, request.GET)
    errors = [f"{field}: {message}" for field, messages in picked.form.errors.items() for message in messages]
    if not errors:
        try:
            return export(request.user, picked.since, picked.until, picked.team)
        except ValidationError as exc:
            errors = [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
    return HttpResponse("\n".join(errors) + "\n", status=400, content_type="text/plain; charset=utf-8")
