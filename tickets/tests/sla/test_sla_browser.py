"""The SLA in a real browser (issue 17): a ticket under a policy shows its next breach in the
queue, worded, and its SLA card on the ticket page. Real commits: the hook starts the clocks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from tickets.models import Priority
from tickets.sla.models import Metric
from tickets.tests.factories import make_ticket
from tickets.tests.sla.support import policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_queue_shows_the_next_breach_and_the_ticket_its_sla_card(page, live_server, agent, customer):
    policy(
        "Standard support",
        targets=[
            (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 30, False),
            (Priority.NORMAL, Metric.RESOLUTION_TIME, 600, False),
        ],
    )
    ticket = make_ticket(customer, subject="Scanner offline under SLA")
    plain = make_ticket(customer, subject="Low priority question", priority=Priority.LOW)
    sign_in(page, agent.email)
    page.goto(f"{live_server.url}/agent/?view=all&sort=sla")
    expect(page.get_by_role("columnheader", name="Next breach")).to_be_visible()
    row = page.locator("[data-ticket-row]", has_text="Scanner offline under SLA")
    due = row.locator(".col-sla .sla-due")
    expect(due).to_have_text(re.compile(r"^in (29|30) min$"))
    expect(due).to_have_class(re.compile(r"\bsla-soon\b"))
    expect(page.locator("[data-ticket-row]", has_text=plain.subject).locator(".col-sla")).to_have_text("")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.pk}/")
    card = page.locator("section.sla-card")
    expect(card.get_by_role("heading", name="SLA")).to_be_visible()
    expect(card).to_contain_text("Policy: Standard support")
    expect(card).to_contain_text("First reply time")
    expect(card).to_contain_text("Resolution time")
    expect(card.locator(".sla-due").first).to_have_text(re.compile(r"^in (29|30) min$"))
