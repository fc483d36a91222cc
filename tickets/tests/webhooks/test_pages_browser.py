"""Settings → Webhooks in a real browser: an admin registers an endpoint, copies the secret shown
once (reloading that page does not send the form again), sends a test event to a real receiver
(which verifies it with ``standardwebhooks``) and finds it in the delivery log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from tickets.tests.webhooks.support import Receiver
from tickets.webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_an_endpoint_and_sends_a_test_event(page, live_server, admin, settings):
    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with Receiver() as receiver:
        sign_in(page, admin.email)
        page.goto("/settings/webhooks/")
        page.get_by_role("link", name="New endpoint").click()
        page.get_by_label("Name").fill("Order system")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Ticket solved").check()
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.get_by_text("Copy this secret now: it is not shown again.")).to_be_visible()
        secret = page.get_by_role("textbox", name="Secret").input_value()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        # The secret's page stands in history as the endpoint's page: a reload opens that page
        # instead of sending the form again (a second endpoint), and the secret is not shown again.
        (endpoint,) = WebhookEndpoint.objects.all()
        expect(page).to_have_url(f"{live_server.url}/settings/webhooks/{endpoint.pk}/")
        page.reload()
        expect(page.get_by_role("heading", name="Order system")).to_be_visible()
        expect(page.get_by_role("button", name="Send test event")).to_be_visible()
        assert secret not in page.content()
        assert WebhookEndpoint.objects.count() == 1
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("Test event delivered (HTTP 200).")).to_be_visible()
        expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
        row = page.get_by_role("row", name="webhook.test")
        expect(row).to_contain_text("Delivered")
        expect(row).to_contain_text("HTTP 200")
    assert receiver.types() == ["webhook.test"] and receiver.rejected == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("button", name="Redeliver")).to_be_visible()
