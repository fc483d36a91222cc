"""The rules engine's promise (issue 16): a condition means the same in a trigger (the Python
predicate, one ticket in hand) as in a view or automation (the ORM filter). For every field and
every operator it allows, over generated tickets with every kind of value — empty ones
included — both select exactly the same tickets, on PostgreSQL and on SQLite."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tickets.models import (
    Category,
    Channel,
    InboundMessage,
    Mailbox,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketField,
)
from tickets.rules import conditions
from tickets.rules import fields as f

TAGS = ["vip", "billing", "refund", "bug", "urgent-call"]
SUBJECTS = ["Invoice missing", "Cannot log in", "REFUND please", "Printer on fire", "Invoice wrong amount"]
PLAN = [("gold", "Gold"), ("silver", "Silver"), ("free-tier", "Free tier")]
MODULES = [("api", "API"), ("portal", "Portal"), ("mail_in", "Mail")]


@pytest.fixture
def custom(db):
    def field(key, kind, **extra):
        return TicketField.objects.create(key=key, label=key.title(), field_type=kind, **extra)

    return [
        field("order", "regex", pattern=r"[A-Z]{2}-\d+"),
        field("note", "text"),
        field("plan", "dropdown", options=[{"value": v, "label": label} for v, label in PLAN]),
        field("seats", "number"),
        field("renewal", "date"),
        field("vip", "checkbox"),
        field("modules", "multiselect", options=[{"value": v, "label": label} for v, label in MODULES]),
    ]


@pytest.fixture
def desk(db, custom, customer, org_member, other_customer, agent, team_agent, billing_team, tech_team, acme, globex):
    rng = random.Random(16)
    now = timezone.now().replace(microsecond=0)
    tags = {name: Tag.objects.create(name=name) for name in TAGS}
    inbox = Mailbox.objects.create(address="help@example.com")
    sales = Mailbox.objects.create(address="sales@example.com")
    people = [customer, org_member, other_customer]
    tickets = []
    for number in range(70):
        status = rng.choice(Status.values)
        created = now - timedelta(hours=rng.randint(1, 400))
        updated = created + timedelta(hours=rng.randint(0, 30))
        values = {
            "order": rng.choice([None, "AB-12", "CD-340"]),
            "note": rng.choice([None, "Call back after 5", "call BACK", "nothing"]),
            "plan": rng.choice([None, "gold", "silver", "free-tier"]),
            "seats": rng.choice([None, 0, 5, 12, 12.5, 40]),
            "renewal": rng.choice([None, "2026-01-15", "2026-06-30", "2027-02-01"]),
            "vip": rng.choice([None, True, False]),
            "modules": rng.choice([None, ["api"], ["api", "portal"], ["mail_in"]]),
        }
        requester = rng.choice(people)
        ticket = Ticket.objects.create(
            subject=f"{rng.choice(SUBJECTS)} {number}",
            status=status,
            priority=rng.choice(Priority.values),
            category=rng.choice([None, *Category.values]),
            channel=rng.choice(Channel.values),
            requester=requester,
            assignee=rng.choice([None, agent, team_agent]),
            team=rng.choice([None, billing_team, tech_team]),
            organization=requester.organization,
            created_at=created,
            updated_at=updated,
            solved_at=updated if status in (Status.SOLVED, Status.CLOSED) else None,
            closed_at=updated if status == Status.CLOSED else None,
            custom_fields={key: value for key, value in values.items() if value is not None},
        )
        ticket.tags.set(rng.sample(list(tags.values()), rng.randint(0, 3)))
        for box in rng.sample([inbox, sales], rng.randint(0, 2)):
            InboundMessage.objects.create(
                mailbox=box, door="stdin", raw=b"x", size=1, sha256=f"{number}{box.pk}", ticket=ticket
            )
        tickets.append(ticket)
    return {"now": now, "tickets": tickets, "inbox": inbox, "sales": sales}


def values_for(field: f.Field, desk, refs) -> list:
    """Values worth trying for ``field``: ones some tickets have, one none has."""
    if field.custom is not None:
        custom_values: dict[str, list[Any]] = {
            "order": ["AB-12", "ab-12", "ZZ-1"],
            "note": ["call back", "Nothing", "absent"],
            "plan": ["gold", "free-tier"],
            "seats": [0, 5, 12.5, 13],
            "renewal": ["2026-01-15", "2026-06-30", "2030-01-01"],
            "vip": [True, False],
            "modules": ["api", "mail_in"],
        }
        return custom_values[field.custom.key]
    return {
        "status": Status.values,
        "priority": ["low", "urgent"],
        "category": ["billing", "technical"],
        "channel": Channel.values,
        "team": [refs["billing"], refs["tech"]],
        "assignee": [refs["agent"], refs["team_agent"], f.CURRENT_USER],
        "requester": [refs["customer"], f.CURRENT_USER],
        "organization": [refs["acme"], refs["globex"]],
        "mailbox": [desk["inbox"].pk, desk["sales"].pk],
        "tags": ["vip", "refund", "nope"],
        "subject": ["invoice", "REFUND PLEASE 2", "fire", "zzz"],
        "hours_since_created": [0, 24, 100.5, 1000],
        "hours_since_updated": [2, 48, 300],
        "hours_since_solved": [0, 10, 200],
    }[field.name]


def test_predicate_and_filter_agree_on_every_field_and_operator(
    desk, custom, agent, team_agent, customer, billing_team, tech_team, acme, globex
):
    refs = {
        "billing": billing_team.pk,
        "tech": tech_team.pk,
        "agent": agent.pk,
        "team_agent": team_agent.pk,
        "customer": customer.pk,
        "acme": acme.pk,
        "globex": globex.pk,
    }
    now = desk["now"]
    tickets = list(Ticket.objects.prefetch_related("tags"))
    available = f.available(custom)
    assert set(available) >= set(f.BUILT_IN) | {f"custom.{d.key}" for d in custom}
    checked = 0
    for field in available.values():
        candidates = values_for(field, desk, refs)
        for operator in field.operators:
            if operator in f.UNARY:
                trials = [None]
            elif operator in f.LISTED:
                trials = [candidates[:1], candidates[:2], candidates[-1:]]
            else:
                trials = candidates
            for value in trials:
                spec = {"field": field.name, "operator": operator}
                if operator not in f.UNARY:
                    spec["value"] = value
                for viewer in (agent, customer):
                    condition_set = conditions.parse({"all": [spec]}, custom=custom)
                    by_filter = set(
                        Ticket.objects.filter(condition_set.q(now=now, current_user=viewer)).values_list(
                            "pk", flat=True
                        )
                    )
                    by_predicate = {t.pk for t in tickets if condition_set.matches(t, now=now, current_user=viewer)}
                    assert by_filter == by_predicate, (spec, viewer.email, sorted(by_filter ^ by_predicate))
                    checked += 1
    # Every type and operator was tried, and the table is not trivially empty.
    assert checked > 300


def test_combined_sets_agree(desk, custom, agent):
    rng = random.Random(3)
    now = desk["now"]
    tickets = list(Ticket.objects.prefetch_related("tags"))
    pool = [
        {"field": "status", "operator": "in", "value": ["open", "pending"]},
        {"field": "priority", "operator": "is_not", "value": "low"},
        {"field": "tags", "operator": "includes", "value": ["vip"]},
        {"field": "custom.plan", "operator": "is", "value": "gold"},
        {"field": "custom.seats", "operator": "greater_than", "value": 4},
        {"field": "assignee", "operator": "not_present"},
        {"field": "hours_since_updated", "operator": "greater_than", "value": 72},
        {"field": "subject", "operator": "contains", "value": "invoice"},
        {"field": "custom.modules", "operator": "not_includes", "value": ["api"]},
    ]
    sizes = set()
    for _ in range(40):
        data = {"all": rng.sample(pool, rng.randint(0, 3)), "any": rng.sample(pool, rng.randint(0, 3))}
        condition_set = conditions.parse(data, custom=custom)
        by_filter = set(
            Ticket.objects.filter(condition_set.q(now=now, current_user=agent)).values_list("pk", flat=True)
        )
        by_predicate = {t.pk for t in tickets if condition_set.matches(t, now=now, current_user=agent)}
        assert by_filter == by_predicate, data
        sizes.add(len(by_filter))
    assert len(sizes) > 5  # the sets select different tickets: the comparison means something
