"""`make bench-django-helpdesk`: closed-loop clients over one paired request on one desk.

    DH_BENCH_TARGET=ours|django-helpdesk DH_BENCH_REQUEST=<request>|all DH_BENCH_PHASE=<name> \
    DH_BENCH_OUT=var/bench-dh locust -f loadtest/django_helpdesk/locustfile.py --host ...

The requests and why they are paired are in ``desks.py``. The clients reuse the sessions that
``desks.py signin`` made before the phase (no sign-in is measured) and wait for nothing between
requests. Every answer is checked — status code and a marker of the real page — and a wrong one
is a failure. Each request's time is written to DH_BENCH_OUT/raw/<phase>.jsonl for
scripts/bench_django_helpdesk.sh's report (``report.py``).
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

from desks import DESKS, DH, LABELS, OURS, REQUESTS, accounts
from locust import HttpUser, constant, events, task
from locust.clients import HttpSession

OUT = Path(os.environ.get("DH_BENCH_OUT", "var/bench-dh"))
TARGET = os.environ.get("DH_BENCH_TARGET", OURS)
REQUEST = os.environ.get("DH_BENCH_REQUEST", "all")
PHASE = os.environ.get("DH_BENCH_PHASE", f"{TARGET}-{REQUEST}")
DESK = DESKS[TARGET]
PEOPLE = accounts(TARGET, OUT)
SESSIONS = json.loads((OUT / f"sessions-{TARGET}.json").read_text())
SAMPLES: list[dict] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    SAMPLES.append(
        {
            "name": name,
            "t": time.time(),  # when it ended
            "ms": response_time,
            "ok": exception is None,
            "status": getattr(response, "status_code", 0),
            "error": None if exception is None else str(exception)[:200],
        }
    )


@events.test_stop.add_listener
def _save(environment, **kwargs):
    raw = OUT / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    with (raw / f"{PHASE}.jsonl").open("w") as out:
        for sample in SAMPLES:
            out.write(json.dumps(sample) + "\n")


class Client(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.customer = self._session("customer")
        self.agent = self._session("agent")
        self.anonymous = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)

    def _session(self, role: str) -> HttpSession:
        session = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        session.cookies.update(SESSIONS[role]["cookies"])
        return session

    @staticmethod
    def _check(answer, status: int, marker: str | None = None, location: str | None = None) -> None:
        if answer.status_code != status:
            answer.failure(f"status {answer.status_code}, expected {status} ({answer.url})")
        elif marker is not None and marker not in answer.text:
            answer.failure(f"the page lacks {marker!r} ({answer.url})")
        elif location is not None and not answer.headers.get("Location", "").startswith(location):
            answer.failure(f"redirected to {answer.headers.get('Location')!r}, expected {location}…")
        else:
            answer.success()

    @task
    def login(self):
        with self.anonymous.get(DESK.login_path, name=LABELS["login"], catch_response=True) as answer:
            self._check(answer, 200, 'name="password"')
        self.anonymous.cookies.clear()  # every time a first visit

    @task
    def customer_ticket(self):
        ticket = random.choice(PEOPLE["customer_tickets"])
        if TARGET == OURS:
            url, marker = f"/portal/tickets/{ticket}/", f"#{ticket}"
        else:
            url, marker = f"/view/?ticket={ticket}&email={PEOPLE['customer']['email']}", f"[{ticket}]"
        with self.customer.get(url, name=LABELS["customer_ticket"], catch_response=True) as answer:
            self._check(answer, 200, marker)

    @task
    def agent_ticket(self):
        ticket = random.choice(PEOPLE["short_tickets"])
        url = f"/agent/tickets/{ticket}/" if TARGET == OURS else f"/tickets/{ticket}/"
        marker = f"#{ticket}"  # both desks show the number (django-helpdesk: after the subject)
        with self.agent.get(url, name=LABELS["agent_ticket"], catch_response=True) as answer:
            self._check(answer, 200, marker)

    def _subject(self) -> str:
        return f"Bench: export of orders fails at row {random.randint(1, 99999)}"

    @task
    def create_form(self):
        body = "The nightly export stops with an error since this morning."
        csrf = SESSIONS["customer"]["csrf"]
        if TARGET == OURS:
            data = {"csrfmiddlewaretoken": csrf, "subject": self._subject(), "description": body}
            data.update(priority="normal", category="")
            location = "/portal/tickets/"
        else:
            data = {"csrfmiddlewaretoken": csrf, "title": self._subject(), "body": body}
            data.update(queue=str(random.choice(PEOPLE["queue_ids"])), priority="3")
            data.update(submitter_email=PEOPLE["customer"]["email"])
            location = "/view/?ticket="
        with self.customer.post(
            DESK.form_path,
            data,
            headers={"Referer": self.host + DESK.form_path},
            allow_redirects=False,
            name=LABELS["create_form"],
            catch_response=True,
        ) as answer:
            self._check(answer, 302, location=location)
        # Ours says "Ticket #n is filed" on the page the redirect leads to, in a cookie (Django's
        # message storage); a person reads it there. Not followed here, so dropped: left, the
        # messages would pile up into the customer's session and slow every later request.
        if "messages" in self.customer.cookies:
            del self.customer.cookies["messages"]

    @task
    def create_api(self):
        body = "The nightly export stops with an error since this morning."
        if TARGET == OURS:
            session, path = self.client, "/api/v1/tickets/"
            payload = {"subject": self._subject(), "description": body}
            headers = {"Authorization": f"Token {PEOPLE['customer_token']}"}
        else:
            session, path = self.agent, "/api/tickets/"
            payload = {
                "queue": random.choice(PEOPLE["queue_ids"]),
                "title": self._subject(),
                "description": body,
                "submitter_email": PEOPLE["customer"]["email"],
                "priority": 3,
            }
            headers = {"X-CSRFToken": SESSIONS["agent"]["csrf"], "Referer": self.host + "/"}
        with session.post(
            path, json=payload, headers=headers, name=LABELS["create_api"], catch_response=True
        ) as answer:
            self._check(answer, 201, '"id"' if TARGET == DH else None)


assert TARGET in (OURS, DH), TARGET
assert REQUEST == "all" or REQUEST in REQUESTS, REQUEST
# One request per measured phase (its workers' CPU over the phase is that request's); all of them to warm up.
Client.tasks = [getattr(Client, name) for name in (REQUESTS if REQUEST == "all" else (REQUEST,))]
