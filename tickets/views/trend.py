"""The statistics page's "Over time" section and the statistics CSV downloads.

The charts are inline SVG drawn here from the figures of ``tickets.trends`` (no script, no chart
library): created and solved as paired bars (solved hatched, so colour is never the only
difference), the backlog as a line, and the median first response and resolution times as a
solid and a dashed line with different markers. Each chart is an image with a title and a
description; the table under them is the accessible version of the same figures.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from tickets import periods, permissions, stats, trends
from tickets.forms.stats import StatsForm

# --- the page's parameters ---------------------------------------------------------------------------


@dataclass
class Choice:
    """What the statistics page shows, read from its query string by ``StatsForm``: the period's
    bounds (dates, or date-times typed into the URL), the team (one of the viewer's) and the
    grouping over time. An invalid form keeps its errors and falls back to the defaults."""

    form: StatsForm
    teams: list[Any]
    since: date | datetime
    until: date | datetime
    team: Any
    granularity: str


def choice(viewer, query: QueryDict) -> Choice:
    teams = list(stats.stats_visible_teams(viewer).order_by("name"))
    form = StatsForm(query or None, initial={"period": "30"}, teams=teams)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("period") == "custom":
        since, until = data["since"], data["until"]
    else:
        since, until = periods.last_days(int(data.get("period") or periods.DEFAULT_DAYS))
    team = next((t for t in teams if str(t.pk) == data.get("team")), None)
    return Choice(form, teams, since, until, team, data.get("granularity") or "")


# --- formatting --------------------------------------------------------------------------------------


def duration_text(seconds: int | None) -> str:
    """A duration as people read it: 45s, 12m, 3h 05m, 2d 4h; "—" for none."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(n)ss") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)sm") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(h)sh %(m)02dm") % {"h": seconds // 3600, "m": seconds % 3600 // 60}
    return _("%(d)sd %(h)sh") % {"d": seconds // 86400, "h": seconds % 86400 // 3600}


def last_day(end: datetime) -> date:
    """The last local day of a period or bucket that ends (exclusively) at ``end``."""
    return timezone.localtime(end - timedelta(microseconds=1)).date()


def bucket_label(bucket: dict[str, Any], granularity: str) -> str:
    first = timezone.localtime(bucket["start"]).date()
    if granularity == trends.DAY:
        return formats.date_format(first, "D j M")
    last = last_day(bucket["end"])
    return _("%(first)s – %(last)s") % {
        "first": formats.date_format(first, "j M"),
        "last": formats.date_format(last, "j M"),
    }


# --- chart geometry ----------------------------------------------------------------------------------

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 34, 40  # room for the y labels, the legend and the x labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 4
MAX_X_LABELS = 6


def _nice_step(top: float, *, whole: bool) -> float:
    """A round step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) such that ``TICKS`` steps reach ``top``."""
    raw = top / TICKS if top > 0 else 1
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= raw)
    return max(1, math.ceil(step)) if whole else step


def _axis(values: Iterable[float | None], *, whole: bool, unit: Callable[[float], str]) -> dict[str, Any]:
    top = max((v for v in values if v is not None), default=0)
    step = _nice_step(top, whole=whole)
    ticks = [
        {"y": round(TOP + PLOT_H - PLOT_H * i / TICKS, 1), "text": unit(step * i), "x": LEFT - 8}
        for i in range(TICKS + 1)
    ]
    return {"max": step * TICKS, "ticks": ticks}


def _y(value: float, axis: dict[str, Any]) -> float:
    return round(TOP + PLOT_H - PLOT_H * value / axis["max"], 1)


def _x_labels(labels: list[str]) -> list[dict[str, Any]]:
    slot = PLOT_W / max(len(labels), 1)
    every = math.ceil(len(labels) / MAX_X_LABELS) or 1
    return [
        {"x": round(LEFT + slot * (i + 0.5), 1), "y": HEIGHT - BOTTOM + 18, "text": text}
        for i, text in enumerate(labels)
        if i % every == 0
    ]


def _count(n: float) -> str:
    return formats.number_format(int(n)) if n == int(n) else formats.number_format(n, 1)


def _hours(n: float) -> str:
    return _("%(n)s h") % {"n": formats.number_format(n, 0 if n == int(n) else 1)}


def _frame(title: str, description: str, ident: str, axis: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    return {
        "id": ident,
        "title": title,
        "description": description,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + PLOT_H,
        "axis": axis,
        "x_labels": _x_labels(labels),
    }


def _polylines(points: list[tuple[float, float] | None]) -> list[str]:
    """SVG ``points`` of each unbroken run (a bucket with no value breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [" ".join(f"{x},{y}" for x, y in run) for run in runs if run]


def charts(buckets: list[dict[str, Any]], labels: list[str], short: list[str]) -> list[dict[str, Any]]:
    """The three charts' geometry, for ``templates/agent/_stats_trend.html``: ``labels`` name the
    buckets in the hover titles, ``short`` under the x axis."""
    n = len(buckets)
    slot = PLOT_W / max(n, 1)
    centres = [round(LEFT + slot * (i + 0.5), 1) for i in range(n)]

    # 1. Created and solved, side by side in each bucket.
    flow_axis = _axis([v for b in buckets for v in (b["created"], b["solved"])], whole=True, unit=_count)
    bar = max(round(slot * 0.38, 1), 0.8)
    flow = _frame(
        _("Created and solved"),
        _("Tickets created (solid bars) and solved (hatched bars) in each period; the table below has the figures."),
        "trend-flow",
        flow_axis,
        short,
    )
    flow["bars"] = [
        {
            "created": {"x": round(c - bar, 1), "y": _y(b["created"], flow_axis), "w": bar},
            "solved": {"x": c, "y": _y(b["solved"], flow_axis), "w": bar},
            "created_h": round(TOP + PLOT_H - _y(b["created"], flow_axis), 1),
            "solved_h": round(TOP + PLOT_H - _y(b["solved"], flow_axis), 1),
            "title": _("%(period)s: %(created)s created, %(solved)s solved")
            % {"period": label, "created": b["created"], "solved": b["solved"]},
        }
        for b, c, label in zip(buckets, centres, labels, strict=True)
    ]

    # 2. The backlog at the end of each bucket.
    backlog_axis = _axis([b["backlog"] for b in buckets], whole=True, unit=_count)
    backlog = _frame(
        _("Backlog"),
        _("Tickets neither solved nor closed at the end of each period, as a line; the table below has the figures."),
        "trend-backlog",
        backlog_axis,
        short,
    )
    backlog["lines"] = _polylines([(c, _y(b["backlog"], backlog_axis)) for b, c in zip(buckets, centres, strict=True)])
    backlog["points"] = [
        {
            "x": c,
            "y": _y(b["backlog"], backlog_axis),
            "title": _("%(period)s: %(n)s open") % {"period": label, "n": b["backlog"]},
        }
        for b, c, label in zip(buckets, centres, labels, strict=True)
    ]

    # 3. Median first response and resolution times, in hours.
    def hours(b: dict[str, Any], key: str) -> float | None:
        seconds = b[key]["median"]
        return None if seconds is None else seconds / 3600

    time_axis = _axis(
        [hours(b, k) for b in buckets for k in ("first_response_seconds", "resolution_seconds")],
        whole=False,
        unit=_hours,
    )
    times = _frame(
        _("Median times"),
        _(
            "Median first response time (solid line, round markers) and median resolution time (dashed line, "
            "square markers) in hours for each period; the table below has the figures."
        ),
        "trend-times",
        time_axis,
        short,
    )
    for key, name in (("first_response_seconds", "first"), ("resolution_seconds", "resolution")):
        points = [
            None if hours(b, key) is None else (c, _y(hours(b, key), time_axis))  # type: ignore[arg-type]
            for b, c in zip(buckets, centres, strict=True)
        ]
        times[f"{name}_lines"] = _polylines(points)
        times[f"{name}_points"] = [
            {
                "x": p[0],
                "y": p[1],
                "corner_x": round(p[0] - 4, 1),  # the square marker's corner
                "corner_y": round(p[1] - 4, 1),
                "title": f"{label}: {duration_text(b[key]['median'])}",
            }
            for p, b, label in zip(points, buckets, labels, strict=True)
            if p is not None
        ]
    return [flow, backlog, times]


# --- the section ------------------------------------------------------------------------------------


def section(viewer, since: date | datetime, until: date | datetime, granularity: str, team) -> dict[str, Any]:
    """The "Over time" section's context: ``{"error": message}`` when the period is too long for
    it, else the trend, its table rows and its charts."""
    try:
        start, end = periods.period(since, until)
        result = trends.trend(viewer=viewer, start=start, end=end, granularity=granularity or None, team=team)
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    labels = [bucket_label(b, result["granularity"]) for b in result["buckets"]]
    # Under a chart's axis only the first day fits: "23 Mar" for that day or the week from it.
    short = [formats.date_format(timezone.localtime(b["start"]).date(), "j M") for b in result["buckets"]]
    rows = [
        {
            **b,
            "label": label,
            "first_text": duration_text(b["first_response_seconds"]["median"]),
            "resolution_text": duration_text(b["resolution_seconds"]["median"]),
        }
        for b, label in zip(result["buckets"], labels, strict=True)
    ]
    return {"result": result, "rows": rows, "charts": charts(result["buckets"], labels, short)}


# --- CSV ------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not run: one that starts like a formula gets an apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _hours_cell(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def csv_response(name: str, header: list[str], rows: Iterable[list[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


EXPORTS = ("trend", "agents", "teams")


def export(viewer, table: str, since: date | datetime, until: date | datetime, granularity: str, team) -> HttpResponse:
    """One table of the statistics page as a CSV download, under the page's rules and period.
    Raises ``ValidationError`` (keyed like the page's form) for a period the table cannot take."""
    start, end = periods.period(since, until)
    span = f"{timezone.localtime(start).date().isoformat()}_{last_day(end).isoformat()}"
    suffix = "" if team is None else f"-team-{team.pk}"
    if table == "trend":
        result = trends.trend(viewer=viewer, start=start, end=end, granularity=granularity or None, team=team)
        header = [
            _("Period start"),
            _("Period end"),
            pgettext("tickets counted", "Created"),
            pgettext("tickets counted", "Solved"),
            pgettext("tickets counted", "Reopened"),
            _("Backlog"),
            _("Median first response (hours)"),
            _("Median resolution (hours)"),
        ]
        rows = [
            [
                timezone.localtime(b["start"]).isoformat(),
                timezone.localtime(b["end"]).isoformat(),
                b["created"],
                b["solved"],
                b["reopened"],
                b["backlog"],
                _hours_cell(b["first_response_seconds"]["median"]),
                _hours_cell(b["resolution_seconds"]["median"]),
            ]
            for b in result["buckets"]
        ]
        return csv_response(f"statistics-over-time-{result['granularity']}-{span}{suffix}.csv", header, rows)
    if table == "agents":
        people = stats.agent_stats(viewer=viewer, since=start, until=end, team=team)
        named = [(row["agent"]["name"], row) for row in people]
        first = _("Agent")
    else:
        teams = stats.team_stats(viewer=viewer, since=start, until=end)
        named = [(row["team"]["name"], row) for row in teams if team is None or row["team"]["id"] == team.pk]
        first = _("Team")
    header = [
        first,
        _("Assigned, open"),
        pgettext("tickets counted", "Solved"),
        _("Replies"),
        _("Average first response (hours)"),
        _("Median first response (hours)"),
        _("Average resolution (hours)"),
        _("Median resolution (hours)"),
        pgettext("tickets counted", "Reopened"),
    ]
    rows = [
        [
            safe_text(name),
            row["assigned_open"],
            row["solved"],
            row["replies"],
            _hours_cell(row["first_response_seconds"]["avg"]),
            _hours_cell(row["first_response_seconds"]["median"]),
            _hours_cell(row["resolution_seconds"]["avg"]),
            _hours_cell(row["resolution_seconds"]["median"]),
            row["reopened"],
        ]
        for name, row in named
    ]
    return csv_response(f"statistics-{table}-{span}{suffix}.csv", header, rows)


@require_GET
def stats_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET /agent/stats/export/?table=trend|agents|teams&<the page's parameters>: that table as a
    CSV file. Agents and admins only (404 for anyone else, like the page); parameters the page
    would refuse are a 400 naming them, never a file of other figures."""
    if not permissions.works_tickets(request.user):
        raise Http404("No such page.")
    picked = choice(request.user, request.GET)
    table = request.GET.get("table", "")
    errors = [f"{field}: {message}" for field, messages in picked.form.errors.items() for message in messages]
    if table not in EXPORTS:
        errors.append(_("table: Choose one of %(tables)s.") % {"tables": ", ".join(EXPORTS)})
    if not errors:
        try:
            return export(request.user, table, picked.since, picked.until, picked.granularity, picked.team)
        except ValidationError as exc:
            errors = [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
    return HttpResponse("\n".join(errors) + "\n", status=400, content_type="text/plain; charset=utf-8")
