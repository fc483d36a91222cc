"""The two desks ``make bench-django-helpdesk`` compares, and the requests paired between them.

Run with our virtualenv (it needs only ``requests``): ``python desks.py signin TARGET HOST OUT`` signs
in the bench's customer and staff member on one desk and writes their cookies (and the CSRF
token of their session) to OUT/sessions-TARGET.json, so the measured phases never pay for a
sign-in (a password hash costs a worker tens of milliseconds). ``locustfile.py`` imports the rest.

The pairs (README, Performance):

- ``login``: the sign-in page, anonymous: ours ``/accounts/login/``, django-helpdesk ``/login/``
  (its own login view, Django's LoginView with its template).
- ``customer_ticket``: a signed-in customer opens one of their own tickets (the busiest customer's
  50 latest): ours ``/portal/tickets/<id>/``, django-helpdesk ``/view/?ticket=<queue>-<id>&email=``.
  That public ticket view is the page django-helpdesk shows a customer for a ticket (its "My
  tickets" page links there, and its mails do); for a signed-in user whose address is the
  ticket's submitter it needs no secret key. Both show the public conversation only, with a way
  to reply or close; no other customer-facing ticket page exists in django-helpdesk.
- ``agent_ticket``: a staff member opens a ticket with a short conversation (4 messages / 4
  follow-ups): ours ``/agent/tickets/<id>/``, django-helpdesk ``/tickets/<id>/`` (its staff view).
- ``create_form``: a signed-in customer files a ticket with the web form (the POST only, its
  redirect not followed): ours ``POST /portal/tickets/new/``, django-helpdesk ``POST
  /tickets/submit/`` (its public submission form, which a non-staff user gets). The customer's own
  way to file a ticket on both desks, validated by a Django form, CSRF-checked.
- ``create_api``: a ticket created through the REST API: ours ``POST /api/v1/tickets/`` (a
  customer's token, as ``make bench``), django-helpdesk ``POST /api/tickets/`` (its API takes
  staff only: the staff member's session, CSRF header). Not the same person, so the form pair
  above is the primary "ticket create"; this one is the pair issue 19's figures were.

Each check names a content marker that only the real page has, so a redirect to the sign-in page
or an error page counts as a failure, not as a fast answer.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

OURS = "ours"
DH = "django-helpdesk"
REQUESTS = ("login", "customer_ticket", "agent_ticket", "create_form", "create_api")
LABELS = {
    "login": "login page (GET, anonymous)",
    "customer_ticket": "customer ticket page (signed-in customer)",
    "agent_ticket": "agent ticket page (4-message conversation)",
    "create_form": "ticket create, customer web form (POST)",
    "create_api": "ticket create, REST API (POST)",
}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Desk:
    login_path: str
    form_path: str  # a page of the signed-in customer with a CSRF token in a form


DESKS = {
    OURS: Desk(login_path="/accounts/login/", form_path="/portal/tickets/new/"),
    DH: Desk(login_path="/login/", form_path="/tickets/submit/"),
}


def accounts(target: str, out: Path) -> dict:
    """Who signs in and which tickets are opened, per desk (files written by the bench script)."""
    if target == OURS:
        data = json.loads((out / "ours" / "accounts.json").read_text())
        short = json.loads((out / "ours" / "short_tickets.json").read_text())
        return {
            "password": data["password"],
            "customer": {"login": data["customer"]["email"], "email": data["customer"]["email"]},
            "agent": {"login": data["agent"]["email"], "email": data["agent"]["email"]},
            "customer_token": data["customer"]["token"],
            "customer_tickets": [str(pk) for pk in json.loads((out / "ours" / "customer_tickets.json").read_text())],
            "short_tickets": short,
        }
    data = json.loads((out / "dh_accounts.json").read_text())
    return {
        "password": data["password"],
        "customer": {"login": data["customer"]["username"], "email": data["customer"]["email"]},
        "agent": {"login": data["agent"]["username"], "email": data["agent"]["email"]},
        "customer_tickets": data["customer"]["tickets"],
        "short_tickets": data["agent"]["short_tickets"],
        "queue_ids": data["queue_ids"],
    }


def signin(target: str, host: str, out: Path) -> None:
    import requests

    desk, people = DESKS[target], accounts(target, out)
    sessions = {}
    for role in ("customer", "agent"):
        session = requests.Session()
        page = session.get(host + desk.login_path, timeout=60)
        page.raise_for_status()
        found = CSRF_INPUT.search(page.text)
        if not found:
            sys.exit(f"{target}: no CSRF token on {desk.login_path}")
        answer = session.post(
            host + desk.login_path,
            {
                "username": people[role]["login"],
                "password": people["password"],
                "csrfmiddlewaretoken": found.group(1),
            },
            headers={"Referer": host + desk.login_path},
            allow_redirects=False,  # where a desk lands after signing in is no concern here
            timeout=60,
        )
        where = answer.headers.get("Location", "")
        if answer.status_code != 302 or desk.login_path in where:
            sys.exit(f"{target}: could not sign in as {people[role]['login']} ({answer.status_code} {where})")
        token = None
        if role == "customer":
            form = session.get(host + desk.form_path, timeout=60)
            found = CSRF_INPUT.search(form.text)
            if form.status_code != 200 or not found:
                sys.exit(f"{target}: the customer's new-ticket form {desk.form_path} answered {form.status_code}")
            token = found.group(1)
        sessions[role] = {"cookies": session.cookies.get_dict(), "csrf": token or session.cookies.get("csrftoken")}
        print(f"{target}: signed in as {people[role]['login']} ({role})")
    (out / f"sessions-{target}.json").write_text(json.dumps(sessions, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "signin":
        sys.exit("usage: desks.py signin ours|django-helpdesk HOST OUT")
    signin(sys.argv[2], sys.argv[3].rstrip("/"), Path(sys.argv[4]))
