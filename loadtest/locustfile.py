"""A realistic mix of customers and agents, driven against a local server (issue 7, `make stress`).

Accounts come from loadtest/accounts.json, written by scripts/load.sh: each simulated person signs
in through the login form (session, for pages) and also uses their API token.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

ACCOUNTS = json.loads(Path(os.environ.get("HELPDESK_LOAD_ACCOUNTS", "var/load/accounts.json")).read_text())
PASSWORD = ACCOUNTS["password"]


class _Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    kind = ""

    def on_start(self) -> None:
        self.account = random.choice(ACCOUNTS[self.kind])
        page = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post(
            "/accounts/login/",
            {"username": self.account["email"], "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )
        self.api = {"Authorization": f"Token {self.account['token']}"}
        self.tickets = self.account["tickets"] or [0]

    def api_list(self, query: str = "") -> None:
        self.client.get(f"/api/v1/tickets/{query}", headers=self.api, name=f"api ticket list [{self.kind}]")


class Customer(_Person):
    weight = 3
    kind = "customers"

    @task(4)
    def my_tickets(self):
        self.client.get("/portal/", name="portal my tickets")

    @task(3)
    def ticket_page(self):
        self.client.get(f"/portal/tickets/{random.choice(self.tickets)}/", name="portal ticket page")

    @task(4)
    def list_by_api(self):
        self.api_list()

    @task(1)
    def file_ticket(self):
        self.client.post(
            "/api/v1/tickets/",
            json={"subject": "Load test: printer offline", "description": "The printer on floor 2 is offline again."},
            headers=self.api,
            name="api create ticket",
        )


class Agent(_Person):
    weight = 1
    kind = "agents"

    @task(4)
    def queue(self):
        self.client.get("/agent/?view=unassigned", name="agent queue")

    @task(2)
    def queue_filtered(self):
        self.client.get("/agent/?view=all&priority=urgent&priority=high&sort=priority", name="agent queue filtered")

    @task(3)
    def ticket_page(self):
        self.client.get(f"/agent/tickets/{random.choice(self.tickets)}/", name="agent ticket page")

    @task(4)
    def list_by_api(self):
        self.api_list()
