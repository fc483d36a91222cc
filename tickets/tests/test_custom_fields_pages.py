"""Custom fields on the pages (issue 16): the portal's new-ticket form and ticket page, the agent
ticket page's fields form, the queue's field filter, and the timeline in words."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from tickets import services
from tickets.models import EventKind, Ticket, TicketField

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(billing_team, tech_team):
    order = TicketField.objects.create(
        key="order_number",
        label="Order number",
        field_type="regex",
        pattern=r"[A-Z]{2}-\d{4}",
        visible_to_customers=True,
        required_in_portal=True,
        description="Two letters, a dash and four digits.",
        position=1,
    )
    plan = TicketField.objects.create(
        key="plan",
        label="Plan",
        field_type="dropdown",
        options=[{"value": "gold", "label": "Gold plan"}, {"value": "silver", "label": "Silver plan"}],
        position=2,
    )
    apps = TicketField.objects.create(
        key="apps",
        label="Apps used",
        field_type="multiselect",
        options=[{"value": "mail", "label": "Mail"}, {"value": "chat", "label": "Chat"}],
        visible_to_customers=True,
        position=3,
    )
    seats = TicketField.objects.create(key="seats", label="Seats", field_type="number", position=4)
    vip = TicketField.objects.create(key="vip", label="VIP", field_type="checkbox", position=5)
    renewal = TicketField.objects.create(key="renewal", label="Renewal date", field_type="date", position=6)
    tech = TicketField.objects.create(key="tech_code", label="Tech code", position=7)
    tech.teams.set([tech_team])
    TicketField.objects.create(key="retired", label="Retired field", visible_to_customers=True, active=False)
    return {"order": order, "plan": plan, "apps": apps, "seats": seats, "vip": vip, "renewal": renewal}


NEW = {
    "subject": "Parcel never came",
    "description": "I ordered a chair three weeks ago and nothing came.",
    "priority": "normal",
}


def test_portal_form_asks_the_customer_visible_fields(client, customer, fields):
    client.force_login(customer)
    page = client.get("/portal/tickets/new/").content.decode()
    assert 'name="cf_order_number"' in page and "Two letters, a dash and four digits." in page
    assert 'name="cf_apps"' in page and 'type="checkbox"' in page
    assert "cf_plan" not in page and "Seats" not in page and "Retired field" not in page


def test_portal_required_and_bad_values_create_nothing(client, customer, fields):
    client.force_login(customer)
    response = client.post("/portal/tickets/new/", NEW)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post("/portal/tickets/new/", {**NEW, "cf_order_number": "12345"})
    assert response.status_code == 400
    assert "is not in the form “Order number” takes" in response.content.decode()
    # An agents-only field smuggled into the form is not read.
    response = client.post(
        "/portal/tickets/new/", {**NEW, "cf_order_number": "AB-1234", "cf_apps": ["chat", "mail"], "cf_plan": "gold"}
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.custom_fields == {"order_number": "AB-1234", "apps": ["chat", "mail"]}
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "AB-1234" in page and "Chat, Mail" in page


def test_portal_ticket_shows_only_visible_values(client, customer, agent, ticket, fields):
    services.ticket_update(
        actor=agent, ticket=ticket, custom_fields={"plan": "gold", "apps": ["mail"], "order_number": "AB-1234"}
    )
    client.force_login(customer)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Order number" in page and "AB-1234" in page and "Apps used" in page
    assert "Gold plan" not in page and "Plan" not in page.replace("Gold plan", "")
    # The history says what changed, in words, for the public fields only.
    assert "set Apps used to Mail" in page
    assert "set Plan" not in page


def test_agent_ticket_page_shows_and_saves_fields(client, team_agent, ticket, fields):
    services.ticket_update(actor=team_agent, ticket=ticket, custom_fields={"plan": "gold", "vip": True})
    client.force_login(team_agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    for label in ("Order number", "Plan", "Apps used", "Seats", "VIP", "Renewal date"):
        assert label in page
    assert "Tech code" not in page  # another team's field
    assert "set Plan to Gold plan" in page  # the timeline, with the option's label
    response = client.post(
        f"/agent/tickets/{ticket.pk}/custom-fields/",
        {
            "cf_order_number": "",
            "cf_plan": "silver",
            "cf_apps": ["mail"],
            "cf_seats": "12",
            "cf_renewal": "2027-03-01",
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.custom_fields == {
        "plan": "silver",
        "apps": ["mail"],
        "seats": 12,
        "renewal": "2027-03-01",
        "vip": False,
    }
    events = ticket.events.filter(kind=EventKind.CUSTOM_FIELD_CHANGED)
    assert sorted(e.data["field"] for e in events) == ["apps", "plan", "plan", "renewal", "seats", "vip", "vip"]
    # A wrong value: the message on the field, nothing saved.
    response = client.post(f"/agent/tickets/{ticket.pk}/custom-fields/", {"cf_order_number": "nope", "cf_seats": "x"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.custom_fields["seats"] == 12 and "order_number" not in ticket.custom_fields
    response = client.post(f"/agent/tickets/{ticket.pk}/custom-fields/", {"cf_order_number": "nope"})
    assert response.status_code == 400
    assert "is not in the form “Order number” takes" in response.content.decode()


def test_agent_required_on_solve_names_the_field(client, team_agent, ticket, fields):
    fields["plan"].required_on_solve = True
    fields["plan"].save()
    client.force_login(team_agent)
    response = client.post(
        f"/agent/tickets/{ticket.pk}/fields/",
        {
            "status": "solved",
            "priority": "normal",
            "assignee": "",
            "team": str(ticket.team_id),
            "category": "",
            "tags": "",
        },
    )
    assert response.status_code == 400
    assert "Fill in “Plan” before solving this ticket." in response.content.decode()


def test_customers_and_other_agents_cannot_post_fields(client, customer, other_team_agent, ticket, fields):
    client.force_login(customer)
    assert client.post(f"/agent/tickets/{ticket.pk}/custom-fields/", {"cf_plan": "gold"}).status_code == 404
    client.force_login(other_team_agent)
    assert client.post(f"/agent/tickets/{ticket.pk}/custom-fields/", {"cf_plan": "gold"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.custom_fields == {}


def test_queue_filters_by_a_custom_field(client, agent, customer, ticket, fields):
    other = services.ticket_create(
        actor=customer,
        subject="Another parcel",
        description="Another parcel never came either, sadly.",
        custom_fields={"order_number": "AB-0001"},
    )
    services.ticket_update(actor=agent, ticket=ticket, custom_fields={"plan": "gold"})
    services.ticket_update(actor=agent, ticket=other, custom_fields={"plan": "silver"})
    assert client.login(username=agent.email, password=PASSWORD)
    page = client.get("/agent/?view=all&field=plan&value=gold").content.decode()
    assert f"/agent/tickets/{ticket.pk}/" in page and f"/agent/tickets/{other.pk}/" not in page
    page = client.get("/agent/?view=all&cf_plan=silver").content.decode()
    assert f"/agent/tickets/{other.pk}/" in page and f"/agent/tickets/{ticket.pk}/" not in page
    page = client.get("/agent/?view=all&field=plan&value=bronze").content.decode()
    assert "is not an option of “Plan”" in page
