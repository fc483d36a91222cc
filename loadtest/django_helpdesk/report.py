"""The side-by-side report of ``make bench-django-helpdesk``: var/bench-dh/report.md.

    python loadtest/django_helpdesk/report.py --out var/bench-dh

Reads the phases that scripts/bench_django_helpdesk.sh ran (``phases.jsonl``: desk, request,
clients, seconds, the web workers' CPU ticks before and after, and, for ours, the Celery worker's)
and each phase's request times (``raw/<phase>.jsonl``), and writes per request and client count:
p50 and p95 in ms, requests per second (answers that passed their check, over the phase's
seconds), failures, and the web workers' CPU milliseconds per request (their process CPU over the
phase divided by the requests answered) for both desks, with the ratio ours / django-helpdesk.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import desks
from desks import DH, LABELS, OURS, REQUESTS


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def phase_figures(out: Path, phase: dict) -> dict:
    samples = [json.loads(line) for line in (out / "raw" / f"{phase['name']}.jsonl").read_text().splitlines()]
    ok = [s["ms"] for s in samples if s["ok"]]
    answered = len(samples)
    ticks = phase["cpu_end"] - phase["cpu_start"]
    background = phase.get("bg_end", 0) - phase.get("bg_start", 0)
    per_tick = 1000 / phase["clk_tck"]
    # The phase's own span, from the first request's start to the last one's end (locust's run
    # time also counts its start-up), else the run time asked for.
    ends = [s["t"] for s in samples if "t" in s]
    starts = [s["t"] - s["ms"] / 1000 for s in samples if "t" in s]
    span = max(ends) - min(starts) if ends else phase["seconds"]
    errors = sorted({s["error"] for s in samples if not s["ok"] and s.get("error")})
    return {
        "p50": percentile(ok, 50),
        "p95": percentile(ok, 95),
        "mean": statistics.fmean(ok) if ok else float("nan"),
        "rps": len(ok) / span if span > 0 else float("nan"),
        "ok": len(ok),
        "failed": answered - len(ok),
        "cpu_ms": ticks * per_tick / answered if answered else float("nan"),
        "bg_cpu_ms": background * per_tick / answered if answered and "bg_start" in phase else None,
        "errors": errors[:3],
    }


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or value != value:  # NaN
        return "–"
    return f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("var/bench-dh"))
    args = parser.parse_args()
    out: Path = args.out
    phases = [json.loads(line) for line in (out / "phases.jsonl").read_text().splitlines() if line.strip()]
    meta = json.loads((out / "meta.json").read_text())
    figures = {(p["desk"], p["request"], p["clients"]): phase_figures(out, p) for p in phases}
    clients = sorted({p["clients"] for p in phases})
    lines = [
        "# Side by side: Helpdesk and django-helpdesk 2.6.1",
        "",
        f"Run {meta['finished']} on {meta['machine']}; load average at the start {meta['loadavg_start']}, "
        f"at the end {meta['loadavg_end']}. {meta['seconds']} s per phase (one request kind, one client count, "
        "closed-loop clients with no pause), after a warm-up of every request.",
        "",
        f"- **Helpdesk (ours)**: `{meta['ours_database']}`, {meta['ours_tickets']:,} tickets; gunicorn, "
        f"{meta['workers']} {meta['ours_worker_class']} workers, Redis cache, cached-db sessions, a Celery worker "
        "for notifications.",
        f"- **django-helpdesk {meta['dh_version']}** (from PyPI): `{meta['dh_database']}`, "
        f"{meta['dh_tickets']:,} tickets; gunicorn, {meta['workers']} {meta['dh_worker_class']} workers, "
        "whitenoise, database sessions, mail rendered and dropped in the request.",
        "",
        "p50/p95: milliseconds of the answers that passed their check; req/s: those answers per second; "
        "CPU: the web workers' process CPU (user + system, /proc/<pid>/stat) over the phase divided by the "
        "requests answered. ours/dh: ratio of the p50s and of the CPU (below 1: ours is cheaper).",
        "",
    ]
    for n in clients:
        lines += [
            f"## {n} client{'s' if n != 1 else ''}",
            "",
            "| request | ours p50 | ours p95 | ours req/s | ours CPU ms/req | dh p50 | dh p95 | dh req/s "
            "| dh CPU ms/req | ours/dh p50 | ours/dh CPU | failures (ours, dh) |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for request in REQUESTS:
            ours, dh = figures.get((OURS, request, n)), figures.get((DH, request, n))
            if ours is None and dh is None:
                continue
            cells = [LABELS[request]]
            for fig in (ours, dh):
                cells += (
                    [fmt(fig["p50"]), fmt(fig["p95"]), fmt(fig["rps"], 1), fmt(fig["cpu_ms"], 1)] if fig else ["–"] * 4
                )
            both = ours is not None and dh is not None
            cells.append(fmt(ours["p50"] / dh["p50"], 2) if both and dh["p50"] else "–")
            cells.append(fmt(ours["cpu_ms"] / dh["cpu_ms"], 2) if both and dh["cpu_ms"] else "–")
            cells.append(f"{ours['failed'] if ours else '–'}, {dh['failed'] if dh else '–'}")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    background = [
        (request, n, fig["bg_cpu_ms"])
        for (desk, request, n), fig in sorted(figures.items())
        if desk == OURS and fig["bg_cpu_ms"] and fig["bg_cpu_ms"] >= 0.5
    ]
    if background:
        lines += [
            "Ours hands notifications to a Celery worker, whose CPU is not in the column above; per request "
            "it was: "
            + "; ".join(f"{LABELS[r]} at {n} client{'s' if n != 1 else ''}: {fmt(ms, 1)} ms" for r, n, ms in background)
            + ". django-helpdesk renders its notification mails inside the request (counted above).",
            "",
        ]
    failures = [(desk, request, n, fig["errors"]) for (desk, request, n), fig in figures.items() if fig["errors"]]
    if failures:
        lines += ["## Failures", ""]
        for desk, request, n, errors in failures:
            lines.append(f"- {desk}, {LABELS[request]}, {n} clients: " + "; ".join(errors))
        lines.append("")
    pairs = (desks.__doc__ or "").split("The pairs (README, Performance):", 1)[-1].split("Each check", 1)[0]
    lines += ["## The pairs", "", pairs.strip(), ""]
    (out / "report.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
