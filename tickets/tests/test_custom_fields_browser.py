"""Custom fields in a real browser (issue 16 acceptance): a customer fills a required field in
the portal, and an agent changes a field on the ticket page."""

from __future__ import annotations

import pytest

from conftest import sign_in
from tickets import services
from tickets.models import EventKind, Ticket, TicketField

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_live_stream(page):
    page.route("**/live/events/**", lambda route: route.abort())


@pytest.fixture
def order_number(db):
    return TicketField.objects.create(
        key="order_number",
        label="Order number",
        field_type="regex",
        pattern=r"[A-Z]{2}-\d{4}",
        visible_to_customers=True,
        required_in_portal=True,
    )


def test_customer_fills_a_required_field(page, customer, order_number):
    sign_in(page, customer.email)
    page.goto("/portal/tickets/new/")
    page.get_by_label("Subject").fill("My parcel never came")
    page.get_by_label("Describe the problem").fill("I ordered a chair three weeks ago and it never arrived.")
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_load_state()
    # Refused: the message is next to the field, and nothing was filed.
    assert page.locator(".field-invalid").filter(has_text="Order number").get_by_text("This field is required.").count()
    assert Ticket.objects.count() == 0
    assert page.get_by_label("Subject").input_value() == "My parcel never came"  # what was typed is kept
    page.get_by_label("Order number").fill("AB-1234")
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_url("**/portal/tickets/*/")
    ticket = Ticket.objects.get()
    assert ticket.custom_fields == {"order_number": "AB-1234"}
    assert page.get_by_text("AB-1234").count()


def test_agent_changes_a_field_on_the_ticket_page(page, team_agent, ticket):
    TicketField.objects.create(
        key="plan",
        label="Plan",
        field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
    )
    services.ticket_update(actor=team_agent, ticket=ticket, custom_fields={"plan": "gold"})
    sign_in(page, team_agent.email)
    page.goto(f"/agent/tickets/{ticket.pk}/")
    page.get_by_label("Plan").select_option("silver")
    page.get_by_role("button", name="Save fields").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ticket updated.").count()
    assert page.get_by_text("changed Plan from Gold to Silver").count()
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"plan": "silver"}
    assert ticket.events.filter(kind=EventKind.CUSTOM_FIELD_CHANGED).count() == 2
