"""My macros in a real browser (Playwright driving Debian's Chromium): an agent writes a personal
macro from the ticket page's "Manage my macros" link, and finds it in that ticket's picker."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from tickets import services
from tickets.models import Macro, MacroScope
from tickets.services import macros as macro_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_creates_a_personal_macro_and_finds_it_in_the_picker(page, agent, admin, customer):
    ticket = services.ticket_create(
        actor=customer, subject="Parcel never arrived", description="My parcel was due last week and never came."
    )
    macro_services.macro_create(
        actor=admin, name="Shared hello", actions=[{"action": "add_tags", "value": ["hi"]}], scope=MacroScope.EVERYONE
    )
    sign_in(page, agent.email)
    page.goto(ticket.get_absolute_url())
    page.get_by_role("link", name="Manage my macros").click()
    expect(page.get_by_role("heading", level=1, name="My macros")).to_be_visible()
    page.get_by_role("link", name="New macro").click()

    page.get_by_label("Name").fill("Parcel trace")
    page.get_by_role("textbox", name="Actions").fill(
        '[{"action": "add_reply", "value": "Hi {{requester.first_name}}, we are tracing your parcel."},'
        ' {"action": "set_status", "value": "pending"}]'
    )
    page.get_by_label("Ticket number to preview on").fill(str(ticket.pk))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-result")).to_contain_text("Hi Ada, we are tracing your parcel.")
    assert not Macro.objects.filter(name="Parcel trace").exists()  # a preview saves nothing
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1, name="Parcel trace")).to_be_visible()
    macro = Macro.objects.get(name="Parcel trace")
    assert (macro.scope, macro.owner_id) == (MacroScope.PERSONAL, agent.pk)

    page.goto(ticket.get_absolute_url())
    search = page.get_by_role("combobox", name="Search macros")
    search.fill("parcel")
    listbox = page.get_by_role("listbox", name="Macros")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option", name="Parcel trace")).to_be_visible()
    search.press("ArrowDown")
    search.press("Enter")
    expect(page.locator("[data-macro-preview-panel]")).to_contain_text("Open → Pending")
