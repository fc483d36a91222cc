"""The agent statistics page (``/agent/stats/``): per-agent and per-team figures for a period as
tables and SVG bar charts, with the "Over time" section of ``tickets.views.trend``."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from tickets import permissions, stats
from tickets.satisfaction import stats as satisfaction_stats
from tickets.views import trend
from tickets.views.agent import agent_required

# --- statistics -------------------------------------------------------------------------------

CHARTS = [
    ("solved", gettext_lazy("Tickets solved"), "count"),
    ("replies", gettext_lazy("Public replies"), "count"),
    ("first_response_median", gettext_lazy("Median first response"), "duration"),
    ("resolution_median", gettext_lazy("Median resolution time"), "duration"),
]


def _duration(seconds: int | None) -> str:
    return trend.duration_text(seconds)  # 45s, 12m, 3h 05m, 2d 4h in the reader's language


def _chart(rows: list[dict], key: str, kind: str, label_of) -> dict:
    """Bars for one metric: geometry for a server-rendered horizontal SVG bar chart."""
    values = []
    for row in rows:
        if key == "first_response_median":
            value = row["first_response_seconds"]["median"]
        elif key == "resolution_median":
            value = row["resolution_seconds"]["median"]
        else:
            value = row[key]
        values.append((label_of(row), value))
    top = max((v for _, v in values if v), default=0)
    bar_height, gap, label_width, width = 18, 6, 150, 520
    bars = []
    for i, (label, value) in enumerate(values):
        length = 0 if not top or not value else max(2, round((width - label_width - 70) * value / top))
        text = _duration(value) if kind == "duration" else str(value)
        y = i * (bar_height + gap)
        bars.append(
            {
                "label": label if len(label) <= 22 else label[:21] + "…",
                "full_label": label,
                "y": y,
                "text_y": y + bar_height - 5,
                "length": length,
                "value_x": label_width + length + 6,
                "text": text,
            }
        )
    return {
        "bars": bars,
        "height": max(len(bars) * (bar_height + gap), bar_height),
        "width": width,
        "label_width": label_width,
        "bar_height": bar_height,
    }


@agent_required
@require_GET
def stats_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Per-agent and per-team statistics for a period, as tables and SVG bar charts."""
    user = request.user
    picked = trend.choice(user, request.GET)
    form, teams, since, until, team = picked.form, picked.teams, picked.since, picked.until, picked.team
    rows = stats.agent_stats(viewer=user, since=since, until=until, team=team)
    team_rows = stats.team_stats(viewer=user, since=since, until=until, teams=teams)
    if team is not None:
        team_rows = [r for r in team_rows if r["team"]["id"] == team.pk]
    for row in rows + team_rows:
        row["first_response_text"] = {k: _duration(v) for k, v in row["first_response_seconds"].items()}
        row["resolution_text"] = {k: _duration(v) for k, v in row["resolution_seconds"].items()}
    charts = [
        {
            "title": title,
            "label": gettext("%(title)s per agent") % {"title": title},
            **_chart(rows, key, kind, lambda r: r["agent"]["name"]),
        }
        for key, title, kind in CHARTS
    ]
    return render(
        request,
        "agent/stats.html",
        {
            "form": form,
            "since": since,
            "until": until,
            "team": team,
            "rows": rows,
            "team_rows": team_rows,
            "charts": charts,
            "teams": teams,
            "sees_everyone": permissions.stats_sees_everyone(user),
            "sees_every_team": permissions.stats_sees_every_team(user),
            "trend": trend.section(user, since, until, picked.granularity, team),
            # Customer satisfaction (tickets.satisfaction.stats): its own section and template.
            "satisfaction": satisfaction_stats.page_section(
                user, since, until, rows=rows, team_rows=team_rows, team=team
            ),
            "export_query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
            "nav": "stats",
        },
    )
