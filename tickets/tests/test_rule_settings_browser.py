"""Settings → Triggers in real Chromium: the admin writes a trigger, tests it against the recent
tickets first (nothing saved yet), then saves it and finds it in the list."""

from __future__ import annotations

import json
import re

import pytest

from conftest import sign_in
from tickets import services
from tickets.models import Trigger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_tests_a_trigger_then_saves_it(chromium, live_server, admin, customer, password):
    from playwright.sync_api import expect

    for subject in ("Refund for order 12", "Refund for order 13", "Printer jams"):
        services.ticket_create(actor=customer, subject=subject, description="Please have a look at this one.")
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    try:
        tab = context.new_page()
        sign_in(tab, admin.email, password)
        tab.goto("/settings/")
        tab.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Triggers").click()
        expect(tab.get_by_role("heading", name="Triggers", level=1)).to_be_visible()
        tab.get_by_role("link", name="New trigger").click()

        tab.get_by_role("textbox", name="Name").fill("Refunds")
        tab.get_by_label("Runs when").select_option("created")
        conditions = {"all": [{"field": "subject", "operator": "contains", "value": "refund"}]}
        tab.get_by_role("textbox", name=re.compile("^Conditions")).fill(json.dumps(conditions))
        tab.get_by_role("textbox", name=re.compile("^Actions")).fill(
            json.dumps([{"action": "add_tags", "value": ["refund"]}])
        )
        tab.get_by_role("button", name="Test").click()
        result = tab.get_by_role("status")
        expect(result).to_contain_text("2 of the last 1,000 tickets match.")
        expect(result.get_by_role("link", name=re.compile("Refund for order 13"))).to_be_visible()
        assert not Trigger.objects.exists()  # testing saves nothing

        expect(tab.get_by_role("textbox", name="Name")).to_have_value("Refunds")  # the form is kept
        tab.get_by_role("button", name="Create").click()
        expect(tab.get_by_text("“Refunds” is created and active.")).to_be_visible()
        trigger = Trigger.objects.get()
        assert (trigger.conditions, trigger.owner_id, trigger.active) == (conditions, admin.pk, True)

        tab.get_by_role("link", name="Triggers", exact=True).first.click()
        expect(tab.get_by_role("row", name=re.compile("Refunds"))).to_contain_text("Ticket is created")
    finally:
        context.close()
