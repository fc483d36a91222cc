"""Set up the people and tickets `make bench` measures with; writes var/bench/accounts.json.

Run by scripts/bench.sh as ``python loadtest/prepare.py`` against the benchmark database. Picks,
deterministically: the first active agent who sees every ticket, the first active team-only agent,
and the customer with the most tickets; gives them a known password and API tokens. Makes sure ten
tickets have a timeline of 100+ entries (replies, internal notes and their history events, added
through the services with notifications muted) for the "agent ticket page" measurement.

Custom fields (issue 16): makes sure the desk has two fields, ``plan`` (drop-down gold/silver/free)
and ``order_number`` (text matching ``ORD-\\d{7}``), and that the tickets have values — 10% a plan
(ticket id ending in 0; gold, silver, free in turn), 30% an order number (ids ending in 0, 3, 6) —
written by SQL in id batches, only where a ticket has none yet (a second run writes nothing). Each
of the two agents gets a personal saved view with three conditions, one on a custom field
(``SAVED_VIEW``), for the "saved view" measurements.
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
from django.db import connection  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from accounts.models import Role, TicketScope, User  # noqa: E402
from tickets import notifications, permissions, services  # noqa: E402
from tickets.models import DEFAULT_COLUMNS, UNSOLVED_STATUSES, FieldType, SavedView, Ticket, TicketField  # noqa: E402
from tickets.services.saved_views import saved_view_create  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - benchmark accounts on a loopback server
LONG_TAG = "bench-long"
LONG_TICKETS = 10
ENTRIES = 100
PLANS = ("gold", "silver", "free")
FIELD_BATCH = 100_000  # ticket ids per UPDATE (one transaction each)
SAVED_VIEW = {
    "name": "Bench: gold plan, high, open or pending",
    "conditions": {
        "all": [
            {"field": "status", "operator": "in", "value": ["open", "pending"]},
            {"field": "priority", "operator": "is", "value": "high"},
            {"field": "custom.plan", "operator": "is", "value": "gold"},
        ]
    },
    "columns": [*DEFAULT_COLUMNS, "custom.plan"],
    "sort": "-updated",
}


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
    accounts["custom_field_values"] = _custom_fields()
    accounts["saved_views"] = {
        role: _saved_view(user) for role, user in people.items() if role in ("agent", "team_agent")
    }
    accounts["rare_number"] = _rare_number()
    (out / "accounts.json").write_text(json.dumps(accounts, indent=2))
    for role in people:
        print(f"{role}: {accounts[role]['email']} sees {accounts[role]['visible_tickets']:,} tickets")
    print(f"tickets with {ENTRIES}+ timeline entries: {accounts['long_tickets']}")
    print(f"custom field values written now: {accounts['custom_field_values']}")
    for role, view in accounts["saved_views"].items():
        print(f"saved view of {role}: saved-{view['id']}, {view['matches']:,} matching tickets")


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


def _custom_fields() -> dict[str, int]:
    """The two bench fields, and their values on the tickets that have none yet: how many
    tickets got a value now, per field (zero on a second run)."""
    TicketField.objects.get_or_create(
        key="plan",
        defaults={
            "label": "Plan",
            "field_type": FieldType.DROPDOWN,
            "options": [{"value": plan, "label": plan.title()} for plan in PLANS],
            "position": 1,
        },
    )
    TicketField.objects.get_or_create(
        key="order_number",
        defaults={"label": "Order number", "field_type": FieldType.REGEX, "pattern": r"ORD-\d{7}", "position": 2},
    )
    # Parameters: the batch's first id, the id after its last, the key (a ticket that has it is left alone).
    plan = f"CASE (id / 10) %% 3 WHEN 0 THEN '{PLANS[0]}' WHEN 1 THEN '{PLANS[1]}' ELSE '{PLANS[2]}' END"
    if connection.vendor == "postgresql":
        set_plan = f"custom_fields || jsonb_build_object('plan', {plan})"
        set_order = "custom_fields || jsonb_build_object('order_number', 'ORD-' || lpad(id::text, 7, '0'))"
        has = "custom_fields ? %s"
    else:
        set_plan = f"json_set(custom_fields, '$.plan', {plan})"
        set_order = "json_set(custom_fields, '$.order_number', 'ORD-' || printf('%%07d', id))"
        has = "json_type(custom_fields, '$.' || %s) IS NOT NULL"
    updates = {
        "plan": (set_plan, "id %% 10 = 0"),  # 10%
        "order_number": (set_order, "id %% 10 IN (0, 3, 6)"),  # 30%
    }
    last = Ticket.objects.aggregate(last=Max("pk"))["last"] or 0
    written = {"plan": 0, "order_number": 0}
    with connection.cursor() as cursor:
        for start in range(0, last + 1, FIELD_BATCH):
            # One statement per field and batch, each its own transaction (autocommit).
            for key, (value, which) in updates.items():
                cursor.execute(
                    f"UPDATE tickets_ticket SET custom_fields = {value} "  # noqa: S608 - constants only
                    f"WHERE id >= %s AND id < %s AND {which} AND NOT {has}",
                    [start, start + FIELD_BATCH, key],
                )
                written[key] += cursor.rowcount
    return written


def _saved_view(user: User) -> dict[str, int]:
    """``user``'s bench saved view (made once, through the service that checks it)."""
    view = SavedView.objects.filter(owner=user, name=SAVED_VIEW["name"]).first()
    if view is None:
        view = saved_view_create(actor=user, **SAVED_VIEW)
    from tickets import queue_views

    definition = queue_views.definition(view)
    matches = permissions.visible_tickets(user).filter(queue_views.view_q(definition, user)).count()
    return {"id": view.pk, "matches": matches}


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
