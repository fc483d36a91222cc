"""Saved views in a real browser (issue 16): an agent filters the queue, saves it as a view,
sees it in the view list with its count and opens it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from tickets.models import SavedView, Ticket
from tickets.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_saves_the_filtered_queue_as_a_view(page, agent, customer):
    for i in range(3):
        make_ticket(customer, subject=f"Urgent outage {i}", priority="urgent")
    make_ticket(customer, subject="Calm question", priority="low")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, agent.email)
    page.goto("/agent/?view=all")
    page.get_by_text("More filters").click()
    page.get_by_role("group", name="Priority").get_by_label("Urgent").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".col-subject")).to_have_count(3)

    page.get_by_role("link", name="Save as view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New view")
    page.get_by_label("Name").fill("Urgent outages")
    page.get_by_role("button", name="Test").click()
    expect(page.locator("[data-preview-count]")).to_contain_text("3 of the last 1000")
    page.get_by_role("button", name="Create view").click()

    view = SavedView.objects.get()
    assert view.owner == agent
    assert {"field": "priority", "operator": "in", "value": ["urgent"]} in view.conditions["all"]
    expect(page).to_have_url(re.compile(rf"/agent/\?view=saved-{view.pk}$"))
    tab = page.get_by_role("link", name=re.compile("Urgent outages"))
    expect(tab.locator(f'[data-view-count="{view.key}"]')).to_have_text("3")
    expect(page.locator(".col-subject")).to_have_count(3)
    expect(page.get_by_text("Calm question")).to_have_count(0)

    # From another view, the tab opens it again; a new urgent ticket shows up in it.
    Ticket.objects.filter(subject="Calm question").update(priority="urgent")
    page.get_by_role("link", name=re.compile("^All")).first.click()
    tab.click()
    expect(page).to_have_url(re.compile(rf"view=saved-{view.pk}"))
    expect(page.get_by_role("heading", name="Urgent outages")).to_be_visible()
    expect(page.locator(".col-subject")).to_have_count(4)
