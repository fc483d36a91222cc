"""Responsive layouts in real Chromium (issue 14 §1): the agent queue on a phone is a card list with
the fields an agent triages by, and the other phone layouts below. That no page scrolls sideways
at 360 px is checked by the phone accessibility pass (``test_accessibility_phone_browser.py``), in
the same visit to every page of the accessibility test's list."""

from __future__ import annotations

import pytest

from conftest import sign_in
from helpdesk.tests.test_accessibility_browser import _decorate
from tickets.tests import hostile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(settings):
    world = hostile.make_world()
    _decorate(world)
    world["ticket"].refresh_from_db()
    return world


def test_queue_on_a_phone_is_a_card_list(chromium, live_server, world, password):
    from tickets import services
    from tickets.models import Priority
    from tickets.tests.factories import make_ticket

    customer, agent = world["people"]["customer"], world["people"]["agent"]
    long = make_ticket(
        customer,
        subject="The scanner on the third floor drops every second page of long contracts since Monday",
    )
    services.ticket_update(actor=agent, ticket=long, priority=Priority.URGENT, assignee=agent)
    make_ticket(customer, subject="Supercalifragilisticexpialidocious-invoice-number-that-never-breaks-anywhere")

    context = chromium.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(15_000)
    try:
        tab = context.new_page()
        sign_in(tab, agent.email, password)
        tab.goto("/agent/?view=all")
        rows = tab.locator("[data-ticket-row]")
        assert rows.count() >= 3
        for i in range(rows.count()):
            row = rows.nth(i)
            row.scroll_into_view_if_needed()
            for part in (".col-subject a", ".col-status .badge", ".col-priority .badge"):
                box = row.locator(part).bounding_box()
                assert box is not None, f"row {i}: {part} not shown"
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"row {i}: {part} at {box}"
            # The other fields an agent triages by are on the card too.
            for part in (".col-requester", ".col-assignee", ".col-updated"):
                assert row.locator(part).is_visible(), f"row {i}: {part} hidden"
        assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        tab.evaluate("() => window.scrollTo(0, 0)")
        tab.screenshot(path="/tmp/phone-queue.png", full_page=True)
        # Selecting a card still brings up the bulk bar, inside the window.
        tab.get_by_label(f"Select ticket #{long.pk}").check()
        bar = tab.locator("[data-bulk-bar]")
        bar.wait_for(state="visible")
        tab.screenshot(path="/tmp/phone-queue-selected.png")

        tab.goto(f"/agent/tickets/{world['ticket'].pk}/")
        # Details stack under the conversation.
        timeline = tab.locator(".ticket-main").bounding_box()
        side = tab.locator(".ticket-side").bounding_box()
        assert timeline is not None and side is not None
        assert side["y"] >= timeline["y"] + timeline["height"] - 1
        assert side["x"] + side["width"] <= PHONE["width"]
        assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        tab.screenshot(path="/tmp/phone-ticket.png", full_page=True)
    finally:
        context.close()
