"""The acceptance flow of issue 18 §4 in Chromium: the customer rates from the link in the
"solved" email, the agent sees the rating on the ticket, and the statistics count it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import sign_in
from tickets import services
from tickets.models import Status
from tickets.satisfaction.models import SatisfactionRating, Score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _no_live_stream(browser_context):
    """The live-update stream stays shut: it would hold the test server's threads open."""
    browser_context.route("**/live/events/**", lambda route: route.abort())


def test_customer_rates_from_the_email_agent_sees_it_statistics_count_it(
    browser_context, live_server, settings, customer, team_agent, admin, ticket, password
):
    settings.HELPDESK_SITE_URL = live_server.url  # links in mail point at this server, as make run's do
    services.ticket_claim(actor=team_agent, ticket=ticket)
    mail.outbox.clear()
    services.message_add(
        actor=team_agent, ticket=ticket, body="The invoice link works again.", status=Status.SOLVED
    )  # committed: the "solved" mail goes out at once (no broker: in process)
    (message,) = [m for m in mail.outbox if customer.email in m.to]
    good_link = re.search(r"(http://\S+/satisfaction/\S+/\?score=good)", message.body).group(1)
    assert good_link.startswith(live_server.url)

    # The customer, not signed in, on a phone: the link shows a confirmation page; nothing is recorded yet.
    customer_tab = browser_context.new_page()
    customer_tab.set_viewport_size(PHONE)
    customer_tab.goto(good_link)
    expect(customer_tab.get_by_role("heading", name="How was our support?")).to_be_visible()
    good = customer_tab.get_by_label("Good, I am satisfied")
    assert good.is_checked()
    assert customer_tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert SatisfactionRating.objects.get(ticket=ticket).score == Score.OFFERED
    customer_tab.get_by_label("Comment").fill("Fixed within the hour, thank you!")
    customer_tab.get_by_role("button", name="Send my rating").click()
    customer_tab.wait_for_url(re.compile(r"\?saved=1$"))
    assert "Thank you! Your rating is saved" in customer_tab.locator("main").inner_text()
    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (Score.GOOD, "Fixed within the hour, thank you!")

    # The agent sees the rating and the comment on the ticket, and in its history.
    agent_tab = browser_context.new_page()
    agent_tab.context.clear_cookies()
    sign_in(agent_tab, team_agent.email, password)
    agent_tab.goto(f"/agent/tickets/{ticket.pk}/")
    card = agent_tab.locator(".satisfaction-card")
    assert "Good" in card.inner_text() and "Fixed within the hour, thank you!" in card.inner_text()
    assert "rated the support: Good" in agent_tab.locator("main").inner_text()

    # The statistics count it: 100 % for Tom, one good of one survey.
    agent_tab.goto("/agent/stats/")
    section = agent_tab.locator(".csat-section")
    assert "100.0%" in section.locator("[data-csat-total]").inner_text()
    row = section.get_by_role("row", name=re.compile(team_agent.name))
    assert [cell.strip() for cell in row.locator("td").all_inner_texts()] == ["100.0%", "1", "0", "1"]
