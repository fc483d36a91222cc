"""``TicketOut`` writes each ticket out by hand (``to_representation``) instead of DRF's generic
walk over its declared fields; these tests hold the two equal, key for key and in the same order,
over tickets with and without an assignee, team, organization, tags, custom fields, SLA clocks and
a satisfaction rating, as each kind of caller reads them — the v1 list and detail, and the webhook
payload, whose tickets carry none of the list's annotations."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import get_resolver

from tickets import selectors, services
from tickets.models import Priority, Ticket
from tickets.satisfaction import selectors as satisfaction_selectors
from tickets.satisfaction import services as satisfaction_services
from tickets.satisfaction.models import Score
from tickets.sla import ticket_block
from tickets.sla.models import Metric
from tickets.sla.refresh import sla_refresh
from tickets.tests.factories import make_ticket
from tickets.tests.satisfaction.support import solve, survey
from tickets.tests.sla.support import policy

pytestmark = pytest.mark.django_db


def _serializers():
    # The serializers' module needs the URL conf (and its id converter) loaded first, as in a request.
    assert get_resolver().url_patterns
    from tickets.api import serializers
    from tickets.webhooks import payloads

    return serializers, payloads


@pytest.fixture
def desk(customer, other_customer, org_member, team_agent, admin, billing_team):
    policy(
        "Standard support",
        targets=[
            (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 60, False),
            (Priority.NORMAL, Metric.RESOLUTION_TIME, 600, True),
        ],
    )
    plain = make_ticket(customer, subject="Nothing set on this one", priority=Priority.LOW)  # no target: no clocks
    worked = services.ticket_create(
        actor=admin,
        subject="Invoice shows the wrong amount",
        description="The March invoice says 120 EUR, the order said 100 EUR.",
        requester={"email": other_customer.email},
        tags=["billing", "invoice"],
        team=billing_team,
    )
    services.ticket_update(actor=admin, ticket=worked, assignee=team_agent)
    services.message_add(actor=admin, ticket=worked, body="Looking into it now.", internal=True)
    sla_refresh(worked)
    rated = make_ticket(customer, subject="Printer will not print")
    services.ticket_update(actor=admin, ticket=rated, team=billing_team, assignee=team_agent)
    solve(rated, admin)
    satisfaction_services.rating_give(actor=customer, rating=survey(rated), score=Score.GOOD, comment="Quick!")
    colleague = make_ticket(org_member, subject="Colleague's ticket, same organization")
    return [plain, worked, rated, colleague]


def _both(serializer: Any, tickets: list[Ticket]) -> tuple[list[list], list[list]]:
    fast = [list(serializer.to_representation(t).items()) for t in tickets]
    generic = [list(serializer.generic_representation(t).items()) for t in tickets]
    return fast, generic


@pytest.mark.parametrize("who", ["admin", "team_agent", "customer", "org_member", "other_customer"])
def test_the_list_as_each_caller_reads_it(desk, who, request):
    user = request.getfixturevalue(who)
    s, _payloads = _serializers()
    http = RequestFactory().get("/api/v1/tickets/")
    http.user = user
    tickets = list(selectors.ticket_list_for_api(user).order_by("pk"))
    ticket_block.attach_sla(tickets)  # as a list page reads them (TicketListOut)
    satisfaction_selectors.attach_latest(tickets)
    assert tickets, "every caller here sees a ticket"
    fast, generic = _both(s.TicketOut(context={"request": http}), tickets)
    assert fast == generic
    # The cases these tickets are here for, so the comparison is not over empty blocks.
    shown = {row["subject"]: row for row in (dict(items) for items in fast)}
    if who in ("admin", "team_agent"):
        worked = shown["Invoice shows the wrong amount"]
        assert worked["tags"] == ["billing", "invoice"] and worked["team"]["name"]
        assert worked["assignee"]["id"] and [m["metric"] for m in worked["sla"]["metrics"]] == [
            "first_reply_time",
            "resolution_time",
        ]
    if who == "admin":
        assert shown["Nothing set on this one"]["sla"] is None and shown["Nothing set on this one"]["assignee"] is None
    if who == "customer":
        assert shown["Printer will not print"]["satisfaction_rating"]["score"] == "good"
        assert "tags" not in shown["Printer will not print"] and "sla" not in shown["Printer will not print"]
        assert shown["Printer will not print"]["updated_at"].endswith("Z")


def test_a_webhook_ticket_without_the_lists_annotations(desk, admin):
    _s, payloads = _serializers()
    tickets = list(Ticket.objects.select_related("requester", "assignee", "team", "organization").order_by("pk"))
    for ticket in tickets:
        ticket.reads_internal = True
    fast, generic = _both(payloads.WebhookTicketOut(context=payloads.CONTEXT), tickets)
    assert fast == generic
    keys = [key for key, _value in fast[0]]
    assert "sla" not in keys and "message_count" not in keys and "updated_at" not in keys
