"""Macros in a real browser (Playwright driving Debian's Chromium): the ticket page's picker
with its preview, Undo and Apply; and one macro applied to 20 tickets from the queue."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from tickets import services
from tickets.models import Macro, MacroScope, Message, Status, Ticket
from tickets.services import macros as macro_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASK = [
    {"action": "add_reply", "value": "Hi {{requester.first_name}}, what is your order number?"},
    {"action": "set_status", "value": "pending"},
]


def _shared(admin, name, actions):
    return macro_services.macro_create(actor=admin, name=name, actions=actions, scope=MacroScope.EVERYONE)


def test_agent_previews_undoes_and_applies_a_macro(page, agent, admin, customer):
    ticket = services.ticket_create(
        actor=customer, subject="Parcel never arrived", description="My parcel was due last week and never came."
    )
    _shared(admin, "Refund issued", [{"action": "set_status", "value": "solved"}])
    macro = _shared(admin, "Ask for order number", ASK)
    sign_in(page, agent.email)
    page.goto(ticket.get_absolute_url())

    search = page.get_by_role("combobox", name="Search macros")
    search.fill("order")
    listbox = page.get_by_role("listbox", name="Macros")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option", name="Ask for order number")).to_be_visible()
    search.press("ArrowDown")
    search.press("Enter")
    preview = page.locator("[data-macro-preview-panel]")
    expect(preview).to_contain_text("Open → Pending")
    composer = page.get_by_label("Message")
    expect(composer).to_have_value("Hi Ada, what is your order number?")

    # Undo: the composer is as it was and nothing was written.
    preview.get_by_role("link", name="Undo").click()
    expect(preview).to_have_count(0)
    expect(composer).to_have_value("")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    assert Macro.objects.get(pk=macro.pk).usage_count == 0

    # Again with Escape closing the list once, then Apply with an edited reply.
    search.fill("ask")
    search.press("Escape")
    expect(listbox).to_be_hidden()
    search.press("ArrowDown")
    search.press("Enter")
    expect(composer).to_have_value("Hi Ada, what is your order number?")
    composer.fill("Hi Ada, which order number was it? It starts with 2026.")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Macro “Ask for order number” applied.")).to_be_visible()
    expect(page.locator(".ticket-meta .badge-status-pending")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("(via macro “Ask for order number”)")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.PENDING
    assert Message.objects.filter(ticket=ticket).latest("pk").body == (
        "Hi Ada, which order number was it? It starts with 2026."
    )
    assert Macro.objects.get(pk=macro.pk).usage_count == 1


def test_agent_applies_a_macro_to_twenty_tickets_from_the_queue(page, agent, admin, customer):
    ids = [
        services.ticket_create(
            actor=customer, subject=f"Late parcel number {n}", description="My parcel is late, where is it?"
        ).pk
        for n in range(20)
    ]
    _shared(admin, "Ask for order number", ASK)
    sign_in(page, agent.email)
    page.goto("/agent/?view=all")
    page.get_by_label("Select all tickets on this page").check()
    page.get_by_label("Macro", exact=True).select_option(label="Ask for order number")
    page.get_by_role("button", name="Apply macro to selected").click()
    expect(page.get_by_text("Macro “Ask for order number” applied to 20 tickets.")).to_be_visible()
    assert Ticket.objects.filter(pk__in=ids, status=Status.PENDING).count() == 20
