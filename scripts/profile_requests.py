"""Profile the requests `make bench` measures, one at a time, in this process (issue 19).

Serves each measured request through Django's test client against the benchmark database (the
people, tickets and views ``loadtest/prepare.py`` set up, read from ``$HELPDESK_BENCH_OUT/accounts.json``),
warms it up, then repeats it under cProfile and records the CPU time of each run. Writes one
summary per request to ``docs/perf/profile/`` (the functions that cost the most, by own time and
by cumulative time) and prints a table of CPU ms per request (median of the runs, without the
profiler's overhead: the timed runs and the profiled runs are separate).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python scripts/profile_requests.py [--runs 20] [--only substring] [--out docs/perf/profile]

CPU time is this thread's (``time.thread_time``), so it holds on a busy machine better than wall
time does; SQL runs in PostgreSQL's process and is not in it (the driver's side of it is).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402

Request = Callable[[], object]


def requests_to_profile(accounts: dict) -> dict[str, Request]:
    """The measured requests of loadtest/bench.py, by the same names."""
    people = {role: User.objects.get(email=accounts[role]["email"]) for role in ("agent", "team_agent", "customer")}
    browsers = {}
    for role, person in people.items():
        browser = Client(HTTP_HOST="127.0.0.1")
        browser.force_login(person)
        browsers[role] = browser
    api = Client(HTTP_HOST="127.0.0.1")
    visitor = Client(HTTP_HOST="127.0.0.1")  # one client: a new one loads the middleware (whitenoise's scan) again
    agent_token = {"HTTP_AUTHORIZATION": f"Token {accounts['agent']['token']}"}
    customer_token = {"HTTP_AUTHORIZATION": f"Token {accounts['customer']['token']}"}
    agent, team_agent, customer = browsers["agent"], browsers["team_agent"], browsers["customer"]
    saved = accounts["saved_views"]
    chosen = random.Random(0)

    def create() -> object:
        return api.post(
            "/api/v1/tickets/",
            {
                "subject": f"Profile: export of orders fails at row {chosen.randint(1, 99999)}",
                "description": "The nightly export stops with an error since this morning.",
            },
            content_type="application/json",
            **customer_token,
        )

    return {
        "agent queue (default view)": lambda: agent.get("/agent/"),
        "agent queue (filtered, sorted)": lambda: agent.get(
            "/agent/?view=all&priority=urgent&priority=high&sort=priority"
        ),
        "team agent queue": lambda: team_agent.get("/agent/"),
        "customer My tickets": lambda: customer.get("/portal/"),
        "customer ticket page": lambda: customer.get(
            f"/portal/tickets/{chosen.choice(accounts['customer']['tickets'])}/"
        ),
        "agent ticket page (100-entry timeline)": lambda: agent.get(
            f"/agent/tickets/{chosen.choice(accounts['long_tickets'])}/"
        ),
        "API ticket list (filtered)": lambda: api.get(
            "/api/v1/tickets/?status=open&status=pending&priority=high", **agent_token
        ),
        "API ticket create": create,
        "text search (API): common word": lambda: api.get("/api/v1/tickets/", {"q": "refund"}, **agent_token),
        "text search (API): quoted phrase": lambda: api.get("/api/v1/tickets/", {"q": '"wrong amount"'}, **agent_token),
        "stats, 30 days": lambda: agent.get("/agent/stats/?period=30"),
        "queue view counts (team agent)": lambda: team_agent.get("/agent/counts/"),
        "saved view (3 conditions incl. custom field)": lambda: agent.get(f"/agent/?view=saved-{saved['agent']['id']}"),
        "API list filtered by custom field": lambda: api.get("/api/v1/tickets/?cf_plan=gold", **agent_token),
        "SLA view: Breaching within 1 h": lambda: agent.get("/agent/?view=sla_breaching"),
        "sign-in page": lambda: visitor.get("/accounts/login/"),
    }


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-").replace("--", "-")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default="")
    parser.add_argument("--out", default="docs/perf/profile")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    folder = Path(os.environ.get("HELPDESK_BENCH_OUT", "var/bench"))
    accounts = json.loads((folder / "accounts.json").read_text())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, request in requests_to_profile(accounts).items():
        if args.only and args.only not in name:
            continue
        for _ in range(3):  # warm: imports, caches, template loading, the first connection
            answer = request()
            assert answer.status_code in (200, 201), (name, answer.status_code)
        cpu = []
        for _ in range(args.runs):
            started = time.thread_time()
            request()
            cpu.append((time.thread_time() - started) * 1000)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.runs):
            request()
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        text.write(f"# {name}: {args.runs} runs under cProfile; CPU ms per request without it: ")
        text.write(f"median {statistics.median(cpu):.1f}, min {min(cpu):.1f}\n\n## by own time\n")
        stats.sort_stats("tottime").print_stats(args.top)
        text.write("\n## by cumulative time\n")
        stats.sort_stats("cumulative").print_stats(args.top)
        cleaned = text.getvalue().replace(str(Path(sys.prefix)), "<venv>").replace(str(Path.cwd()), ".")
        (out / f"{slug(name)}.txt").write_text(cleaned)
        rows.append((name, statistics.median(cpu), min(cpu)))
        print(f"{name:60} CPU ms median {statistics.median(cpu):6.1f}  min {min(cpu):6.1f}", flush=True)
    summary = ["| request | CPU ms (median) | CPU ms (min) |", "|---|---:|---:|"]
    summary += [f"| {name} | {median:.1f} | {least:.1f} |" for name, median, least in rows]
    (out / "SUMMARY.md").write_text("\n".join(summary) + "\n")


if __name__ == "__main__":
    main()
