"""Queue ergonomics in a real browser (issue 14): the bulk panel appears with a selection,
whole-row open, Previous/Next, and notifications cleared when the ticket is opened."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from tickets import queue
from tickets.models import EventKind, Notification, NotificationKind, TicketEvent
from tickets.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bulk_bar_appears_with_a_selection_and_rows_open(page, agent, customer):
    tickets = [make_ticket(customer, subject=f"Scanner offline number {i}") for i in range(3)]
    for i in range(30):
        make_ticket(customer, subject=f"Older ticket {i}")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, agent.email)
    bar = page.locator("[data-bulk-bar]")
    expect(bar).to_be_hidden()
    page.get_by_label(f"Select ticket #{tickets[0].pk}").check()
    expect(bar).to_be_visible()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    row_top = page.locator("[data-ticket-row]").first.bounding_box()["y"]
    page.get_by_label(f"Select ticket #{tickets[1].pk}").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    assert page.locator("[data-ticket-row]").first.bounding_box()["y"] == row_top  # the rows stay put
    # In reach: inside the window although the list is longer than the window.
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= 900
    page.screenshot(path="/tmp/i14-queue.png")
    page.get_by_label(f"Select ticket #{tickets[0].pk}").uncheck()
    page.get_by_label(f"Select ticket #{tickets[1].pk}").uncheck()
    expect(bar).to_be_hidden()

    # A click on the requester cell (not a control) opens the ticket.
    row = page.locator("[data-ticket-row]", has_text="Scanner offline number 2")
    row.locator(".col-requester").click()
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{tickets[2].pk}/$"))
    # The keyboard path: Tab to the subject link, Enter.
    page.go_back()
    link = page.get_by_role("link", name="Scanner offline number 1")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{tickets[1].pk}/$"))


def test_previous_and_next(page, agent, customer, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    for i in range(5):
        make_ticket(customer, subject=f"Paged printer {i}")
    sign_in(page, agent.email)
    page.goto("/agent/?view=all")
    first = page.locator(".col-subject").all_inner_texts()
    expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
    page.get_by_role("link", name="Next page").click()
    # A click only starts the navigation: wait for the next page before reading it.
    expect(page.get_by_role("link", name="Previous page")).to_have_count(1)
    second = page.locator(".col-subject").all_inner_texts()
    assert set(second).isdisjoint(first)
    page.get_by_role("link", name="Previous page").click()
    expect(page.locator(".col-subject")).to_have_text(first)  # retries until the first page is back


def test_opening_a_ticket_clears_its_notifications(page, customer, agent):
    ticket = make_ticket(customer, subject="Router blinks red")
    for _ in range(2):
        event = TicketEvent.objects.create(ticket=ticket, actor_name="Alice", kind=EventKind.STATUS_CHANGED)
        Notification.objects.create(
            recipient=customer, ticket=ticket, event=event, kind=NotificationKind.STATUS_CHANGED
        )
    sign_in(page, customer.email)
    expect(page.locator(".bell-count")).to_contain_text("3")  # two and the acknowledgement
    page.get_by_role("link", name="Router blinks red").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Router blinks red")
    expect(page.locator(".bell-count")).to_have_count(0)
    # The menu stays on the notifications page, with the current place marked.
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.get_by_role("link", name="My tickets")).to_be_visible()
    expect(page.locator('[aria-current="page"]')).to_contain_text("Notifications")
    assert not Notification.objects.filter(recipient=customer, read_at__isnull=True).exists()
