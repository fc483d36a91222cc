"""Set up the people and tickets `make bench` measures with; writes var/bench/accounts.json.

Run by scripts/bench.sh as ``python loadtest/prepare.py`` against the benchmark database. Picks,
deterministically: the first active agent who sees every ticket, the first active team-only agent,
and the customer with the most tickets; gives them a known password and API tokens. Makes sure ten
tickets have a timeline of 100+ entries (replies, internal notes and their history events, added
through the services with notifications muted) for the "agent ticket page" measurement.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db.models import Count  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from accounts.models import Role, TicketScope, User  # noqa: E402
from tickets import notifications, permissions, services  # noqa: E402
from tickets.models import UNSOLVED_STATUSES, Ticket  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - benchmark accounts on a loopback server
LONG_TAG = "bench-long"
LONG_TICKETS = 10
ENTRIES = 100


def main(out: Path | None = None) -> None:
    out = out or Path(os.environ.get("HELPDESK_BENCH_OUT", "var/bench"))
    out.mkdir(parents=True, exist_ok=True)
    agent = User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.ALL, is_active=True).order_by("pk").first()
    team_agent = (
        User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.TEAMS, is_active=True).order_by("pk").first()
    )
    busiest = (
        Ticket.objects.values("requester")
        .annotate(n=Count("pk"))
        .order_by("-n", "requester")
        .values_list("requester", flat=True)
    ).first()
    if agent is None or team_agent is None or busiest is None:
        sys.exit("prepare: the database needs generated tickets first (manage.py generate_tickets).")
    customer = User.objects.get(pk=busiest)
    people = {"agent": agent, "team_agent": team_agent, "customer": customer}
    accounts: dict = {"password": PASSWORD}
    for role, user in people.items():
        user.password = make_password(PASSWORD)
        user.save(update_fields=["password"])
        token, _ = Token.objects.get_or_create(user=user)
        visible = permissions.visible_tickets(user)
        accounts[role] = {
            "email": user.email,
            "token": token.key,
            "tickets": list(visible.order_by("-updated_at", "-id").values_list("pk", flat=True)[:50]),
            "visible_tickets": visible.count(),
        }
    accounts["long_tickets"] = _long_tickets(agent)
    accounts["rare_number"] = _rare_number()
    (out / "accounts.json").write_text(json.dumps(accounts, indent=2))
    for role in people:
        print(f"{role}: {accounts[role]['email']} sees {accounts[role]['visible_tickets']:,} tickets")
    print(f"tickets with {ENTRIES}+ timeline entries: {accounts['long_tickets']}")


def _long_tickets(agent: User) -> list[int]:
    ready = list(Ticket.objects.filter(tags__name=LONG_TAG).order_by("pk").values_list("pk", flat=True))
    if len(ready) >= LONG_TICKETS:
        return ready[:LONG_TICKETS]
    candidates = Ticket.objects.filter(status__in=UNSOLVED_STATUSES).exclude(pk__in=ready).order_by("pk")
    with notifications.muted():
        for ticket in candidates[: LONG_TICKETS - len(ready)]:
            entries = ticket.messages.count() + ticket.events.count()
            turn = 0
            while entries < ENTRIES:
                services.message_add(
                    actor=agent,
                    ticket=ticket,
                    body=f"Step {turn}: checked the export log again; the error repeats at the same row.",
                    internal=turn % 2 == 1,
                )
                entries += 2  # the message and its history event
                turn += 1
            services.ticket_update(actor=agent, ticket=ticket, add_tags=[LONG_TAG])
            ready.append(ticket.pk)
    return ready


def _rare_number() -> str:
    for subject in (
        Ticket.objects.filter(subject__startswith="Refund for order ")
        .order_by("pk")
        .values_list("subject", flat=True)[:1]
    ):
        found = re.search(r"\d+", subject)
        if found:
            return found.group(0)
    return "48213"


if __name__ == "__main__":
    main()
