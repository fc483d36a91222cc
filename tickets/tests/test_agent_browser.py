"""The agent's day in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from tickets import selectors, services
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_claims_notes_replies_and_gets_the_ticket_back(page, agent, customer):
    ticket = services.ticket_create(
        actor=customer,
        subject="Invoice shows the wrong VAT",
        description="The VAT on invoice 2041 is 25% but should be 19%.",
    )

    sign_in(page, agent.email)
    expect(page).to_have_url(re.compile(r"/agent/$"))
    # The new ticket waits in Unassigned, the default view, with its count.
    expect(page.locator(".queue-view.is-current")).to_contain_text("Unassigned")
    expect(page.locator('[data-view-count="unassigned"]')).to_have_text("1")
    page.get_by_role("link", name="Invoice shows the wrong VAT").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice shows the wrong VAT")

    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_text("You now hold this ticket.")).to_be_visible()
    expect(page.locator(".ticket-meta")).to_contain_text("Assigned to Alice Agent")

    # An internal note, chosen with the keyboard shortcut "n".
    page.locator("body").press("n")
    expect(page.get_by_label("Internal note")).to_be_checked()
    page.get_by_label("Message").fill("Customer is on the 2019 tax table; fix in billing config.")
    page.get_by_role("button", name="Add internal note").click()
    expect(page.get_by_text("Internal note added.")).to_be_visible()
    expect(page.locator(".tl-note")).to_contain_text("Internal note")

    # A public reply, submitted as Pending.
    page.get_by_label("Reply to customer").check()
    page.get_by_label("Message").fill("We corrected the VAT rate; could you check the new invoice?")
    page.get_by_label("Submit as").select_option("pending")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to the customer. Status: Pending.")).to_be_visible()
    expect(page.locator(".ticket-meta .badge-status-pending")).to_be_visible()

    # The customer's side: the reply, never the note.
    ticket = Ticket.objects.get(pk=ticket.pk)
    bodies = [m.body for m in selectors.messages_for(customer, ticket)]
    assert "We corrected the VAT rate; could you check the new invoice?" in bodies
    assert not any("tax table" in body for body in bodies)

    # The customer answers: the ticket reopens and is back in Alice's "Mine" view as open.
    services.message_add(actor=customer, ticket=ticket, body="Looks right now, but the PDF is blank.")
    page.goto("/agent/?view=mine")
    row = page.locator("[data-ticket-row]", has_text="Invoice shows the wrong VAT")
    expect(row).to_be_visible()
    expect(row.locator(".badge-status-open")).to_have_text("Open")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN

    # j/Enter open the highlighted ticket; ? shows the shortcut help.
    page.locator("body").press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("body").press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.pk}/$"))


def test_bulk_selection_in_the_browser(page, agent, customer):
    for i in range(3):
        services.ticket_create(
            actor=customer, subject=f"Printer jam number {i}", description="The printer jams on every page."
        )
    sign_in(page, agent.email)
    page.locator("[data-select-all]").check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    page.locator("#id_bulk_priority").select_option("high")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_text("Updated 3 tickets.")).to_be_visible()
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"high"}
