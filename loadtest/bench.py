"""`make bench`: a fixed set of closed-loop clients over the measured requests (issues 6, 16, 17).

Each simulated client signs in as three people (an agent who sees every ticket, a team-only
agent and the customer with the most tickets) and, with no pause between requests, picks one of
the measured requests at random, all equally likely. The server adds a Server-Timing header to
every answer (HELPDESK_SERVER_TIMING=everyone, set by scripts/bench.sh), from which each
request's SQL query count and SQL time are recorded beside its response time; scripts/bench_report.py
turns var/bench/samples.jsonl into BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, constant, events, task
from locust.clients import HttpSession

OUT = Path(os.environ.get("HELPDESK_BENCH_OUT", "var/bench"))
ACCOUNTS = json.loads((OUT / "accounts.json").read_text())
TIMING = re.compile(r'db;dur=([\d.]+);desc="(\d+) queries"')
CPU = re.compile(r"cpu;dur=([\d.]+)")
# Searches as people type them: a common word, two words, a rare order number, a quoted phrase.
SEARCHES = {
    "common word": "refund",
    "two words": "Salesforce sync",
    "order number": ACCOUNTS["rare_number"],
    "quoted phrase": '"wrong amount"',
}
SAMPLES: list[dict] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    header = response.headers.get("Server-Timing", "") if response is not None else ""
    timing, cpu = TIMING.search(header), CPU.search(header)
    SAMPLES.append(
        {
            "name": name,
            "ms": response_time,
            "ok": exception is None,
            "status": getattr(response, "status_code", 0),
            "queries": int(timing.group(2)) if timing else None,
            "db_ms": float(timing.group(1)) if timing else None,
            "cpu_ms": float(cpu.group(1)) if cpu else None,
        }
    )


@events.test_stop.add_listener
def _save(environment, **kwargs):
    # Sign-ins are set-up, not part of what is measured.
    with (OUT / "samples.jsonl").open("w") as out:
        for sample in SAMPLES:
            if not sample["name"].startswith("sign in"):
                out.write(json.dumps(sample) + "\n")


class Client(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.agent = self._signed_in("agent")
        self.team_agent = self._signed_in("team_agent")
        self.customer = self._signed_in("customer")
        self.agent_api = {"Authorization": f"Token {ACCOUNTS['agent']['token']}"}
        self.customer_api = {"Authorization": f"Token {ACCOUNTS['customer']['token']}"}

    def _signed_in(self, who: str) -> HttpSession:
        session = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        page = session.get("/accounts/login/", name="sign in (form)")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = session.post(
            "/accounts/login/",
            {"username": ACCOUNTS[who]["email"], "password": ACCOUNTS["password"], "csrfmiddlewaretoken": csrf},
            headers={"Referer": self.host + "/accounts/login/"},
            name="sign in",
        )
        if "/accounts/login/" in answer.url:
            raise RuntimeError(f"could not sign in as {ACCOUNTS[who]['email']}")
        return session

    @task
    def agent_queue(self):
        self.agent.get("/agent/", name="agent queue (default view)")

    @task
    def agent_queue_filtered(self):
        self.agent.get(
            "/agent/?view=all&priority=urgent&priority=high&sort=priority", name="agent queue (filtered, sorted)"
        )

    @task
    def team_queue(self):
        self.team_agent.get("/agent/", name="team agent queue")

    @task
    def my_tickets(self):
        self.customer.get("/portal/", name="customer My tickets")

    @task
    def customer_ticket(self):
        self.customer.get(
            f"/portal/tickets/{random.choice(ACCOUNTS['customer']['tickets'])}/", name="customer ticket page"
        )

    @task
    def agent_ticket(self):
        ticket = random.choice(ACCOUNTS["long_tickets"])
        self.agent.get(f"/agent/tickets/{ticket}/", name="agent ticket page (100-entry timeline)")

    @task
    def api_list(self):
        self.client.get(
            "/api/v1/tickets/?status=open&status=pending&priority=high",
            headers=self.agent_api,
            name="API ticket list (filtered)",
        )

    @task
    def api_create(self):
        self.client.post(
            "/api/v1/tickets/",
            json={
                "subject": f"Bench: export of orders fails at row {random.randint(1, 99999)}",
                "description": "The nightly export stops with an error since this morning.",
            },
            headers=self.customer_api,
            name="API ticket create",
        )

    @task
    def search(self):
        kind = random.choice(list(SEARCHES))
        self.client.get(
            "/api/v1/tickets/", params={"q": SEARCHES[kind]}, headers=self.agent_api, name=f"text search (API): {kind}"
        )

    @task
    def view_counts(self):
        self.team_agent.get("/agent/counts/", name="queue view counts (team agent)")

    @task
    def saved_view(self):
        view = ACCOUNTS["saved_views"]["agent"]["id"]
        self.agent.get(f"/agent/?view=saved-{view}", name="saved view (3 conditions incl. custom field)")

    @task
    def team_saved_view(self):
        view = ACCOUNTS["saved_views"]["team_agent"]["id"]
        self.team_agent.get(
            f"/agent/?view=saved-{view}", name="saved view (3 conditions incl. custom field), team agent"
        )

    @task
    def api_custom_field(self):
        self.client.get(
            "/api/v1/tickets/?cf_plan=gold", headers=self.agent_api, name="API list filtered by custom field"
        )

    @task
    def queue_next_breach(self):
        self.agent.get("/agent/?view=open&sort=sla", name="agent queue, All open, Next breach first")

    @task
    def queue_most_urgent(self):
        self.team_agent.get("/agent/?sort=priority", name="team agent queue, Most urgent first (SLA-aware)")

    @task
    def sla_breaching(self):
        self.agent.get("/agent/?view=sla_breaching", name="SLA view: Breaching within 1 h")

    @task
    def sla_breached(self):
        self.team_agent.get("/agent/?view=sla_breached", name="SLA view: Breached, team agent")

    @task
    def stats(self):
        self.agent.get("/agent/stats/?period=30", name="stats, 30 days")
