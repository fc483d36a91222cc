# ruff: noqa: F811  -- the shared API fixtures are imported by name, and tests take them as arguments
"""Custom fields in the API (issue 16): tickets carry ``custom_fields`` on read and write,
``/api/v1/ticket-fields/`` lists and defines them, ``?cf_<key>=`` filters the ticket list."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from tickets import services
from tickets.models import EventKind, Ticket, TicketField
from tickets.tests.api.support import _fresh_throttles, as_user, people, world  # noqa: F401
from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("ticket_fields"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


@pytest.fixture
def plan(world):
    field = TicketField.objects.create(
        key="plan",
        label="Plan",
        field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
        position=1,
    )
    return field


@pytest.fixture
def tags(world):
    return TicketField.objects.create(
        key="apps",
        label="Apps",
        field_type="multiselect",
        options=[{"value": "mail", "label": "Mail"}, {"value": "chat", "label": "Chat"}],
        visible_to_customers=True,
        position=2,
    )


def test_read_shows_customers_only_their_fields(world, people, as_user, plan):
    ticket = world["ticket"]
    services.ticket_update(actor=people["agent"], ticket=ticket, custom_fields={"plan": "gold", "order_number": "A-1"})
    agent_view = as_user(people["team_agent"]).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert agent_view["custom_fields"] == {"plan": "gold", "order_number": "A-1"}
    for persona in ("customer", "org_member"):
        item = as_user(people[persona]).get("/api/v1/tickets/").json()["results"][0]
        assert item["custom_fields"] == {"order_number": "A-1"}
        assert as_user(people[persona]).get(f"/api/v1/tickets/{ticket.pk}/").json()["custom_fields"] == {
            "order_number": "A-1"
        }


def test_patch_sets_clears_and_reports_errors_per_field(world, people, as_user, plan):
    ticket = world["ticket"]
    client = as_user(people["team_agent"])
    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"plan": "gold", "order_number": "A-1"}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["custom_fields"] == {"plan": "gold", "order_number": "A-1"}
    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"priority": "high", "custom_fields": {"plan": "platinum", "nope": 1}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"custom_fields.plan", "custom_fields.nope"}
    assert "platinum" in body["custom_fields.plan"][0]
    ticket.refresh_from_db()
    assert ticket.priority == "normal" and ticket.custom_fields == {"plan": "gold", "order_number": "A-1"}
    response = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"plan": None}}, format="json")
    assert response.json()["custom_fields"] == {"order_number": "A-1"}
    assert response.status_code == 200
    assert ticket.events.filter(kind=EventKind.CUSTOM_FIELD_CHANGED).count() == 3
    # A customer may not change fields, visible ones included.
    response = as_user(people["customer"]).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"order_number": "B-2"}}, format="json"
    )
    assert response.status_code == 403
    # Not an object: a 400 on the field.
    response = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": ["plan"]}, format="json")
    assert response.status_code == 400 and "custom_fields" in response.json()


def test_create_with_custom_fields(world, people, as_user, plan):
    world["field"].required_in_portal = True
    world["field"].save()
    body = {"subject": "Broken order", "description": "The parcel arrived broken in several pieces."}
    customer = as_user(people["customer"])
    response = customer.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"custom_fields.order_number": ["This field is required."]}
    response = customer.post(
        "/api/v1/tickets/", {**body, "custom_fields": {"order_number": "A-9", "plan": "gold"}}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"custom_fields.plan"}
    count = Ticket.objects.count()
    response = customer.post("/api/v1/tickets/", {**body, "custom_fields": {"order_number": "A-9"}}, format="json")
    assert response.status_code == 201
    assert response.json()["custom_fields"] == {"order_number": "A-9"}
    assert Ticket.objects.count() == count + 1
    response = as_user(people["agent"]).post(
        "/api/v1/tickets/", {**body, "custom_fields": {"plan": "silver"}}, format="json"
    )
    assert response.status_code == 201 and response.json()["custom_fields"] == {"plan": "silver"}


def test_bulk_sets_custom_fields(world, people, as_user, plan):
    response = as_user(people["agent"]).post(
        "/api/v1/tickets/bulk/",
        {"ids": [world["ticket"].pk], "changes": {"custom_fields": {"plan": "gold"}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["custom_fields"] == {"plan": "gold"}


def test_filter_the_ticket_list(world, people, as_user, plan, tags):
    ticket = world["ticket"]
    other = services.ticket_create(
        actor=people["customer"], subject="Second ticket", description="Another thing went wrong this week."
    )
    services.ticket_update(
        actor=people["agent"], ticket=ticket, custom_fields={"plan": "gold", "apps": ["chat", "mail"]}
    )
    services.ticket_update(actor=people["agent"], ticket=other, custom_fields={"plan": "silver", "apps": ["mail"]})
    agent = as_user(people["agent"])

    def ids(client, query):
        response = client.get(f"/api/v1/tickets/?{query}")
        assert response.status_code == 200, response.content
        return sorted(item["id"] for item in response.json()["results"])

    assert ids(agent, "cf_plan=gold") == [ticket.pk]
    assert ids(agent, "field=plan&value=silver") == [other.pk]
    assert ids(agent, "cf_apps=mail") == sorted([ticket.pk, other.pk])
    assert ids(agent, "cf_apps=chat") == [ticket.pk]
    assert ids(agent, "cf_apps=chat&cf_plan=silver") == []
    # Wrong filters are a 400 naming the parameter.
    response = agent.get("/api/v1/tickets/?cf_plan=platinum")
    assert response.status_code == 400 and "cf_plan" in response.json()
    response = agent.get("/api/v1/tickets/?cf_nothing=1")
    assert response.status_code == 400 and "cf_nothing" in response.json()
    # A customer's filter on an agents-only field finds nothing (it is the agents' data).
    customer = as_user(people["customer"])
    assert ids(customer, "cf_plan=gold") == []
    assert ids(customer, "cf_apps=chat") == [ticket.pk]


@pytest.mark.parametrize(
    ("field_type", "stored", "query", "matches"),
    [
        ("number", 12, "12", True),
        ("number", 12.5, "12.5", True),
        ("number", 12, "13", False),
        ("checkbox", True, "true", True),
        ("checkbox", True, "false", False),
        ("checkbox", False, "false", True),
        ("checkbox", None, "false", True),  # a missing key is unchecked
        ("checkbox", None, "true", False),
        ("date", "2027-01-31", "2027-01-31", True),
        ("text", "Hello", "Hello", True),
        ("text", "Hello", "hello", False),
    ],
)
def test_filters_by_type(world, people, as_user, field_type, stored, query, matches):
    TicketField.objects.create(key="thing", label="Thing", field_type=field_type)
    ticket = world["ticket"]
    if stored is not None:
        services.ticket_update(actor=people["agent"], ticket=ticket, custom_fields={"thing": stored})
    response = as_user(people["agent"]).get(f"/api/v1/tickets/?cf_thing={query}")
    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["results"]] == ([ticket.pk] if matches else [])


def test_ticket_fields_list_and_define(world, people, as_user, plan):
    fields = as_user(people["customer"]).get("/api/v1/ticket-fields/").json()
    assert [field["key"] for field in fields] == ["order_number"]
    fields = as_user(people["team_agent"]).get("/api/v1/ticket-fields/").json()
    assert [field["key"] for field in fields] == ["order_number", "plan"]
    assert fields[1]["options"] == [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]
    # A customer does not see an agents-only field by id either.
    assert as_user(people["customer"]).get(f"/api/v1/ticket-fields/{plan.pk}/").status_code == 404

    admin = as_user(people["admin"])
    response = admin.post(
        "/api/v1/ticket-fields/",
        {"key": "size", "field_type": "dropdown", "label": "Size", "options": [{"value": "Big", "label": "Big"}]},
        format="json",
    )
    assert response.status_code == 400 and "options" in response.json()
    response = admin.post(
        "/api/v1/ticket-fields/",
        {
            "key": "size",
            "field_type": "dropdown",
            "label": "Size",
            "options": [{"value": "big", "label": "Big"}],
            "teams": [world["team"].pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["teams"] == [{"id": world["team"].pk, "name": "Billing"}]
    response = admin.patch(f"/api/v1/ticket-fields/{created['id']}/", {"field_type": "text"}, format="json")
    assert response.status_code == 400 and "field_type" in response.json()
    response = admin.patch(f"/api/v1/ticket-fields/{created['id']}/", {"label": "T-shirt size"}, format="json")
    assert response.status_code == 200 and response.json()["label"] == "T-shirt size"
    assert admin.delete(f"/api/v1/ticket-fields/{created['id']}/").status_code == 204
    assert TicketField.objects.get(pk=created["id"]).active is False
    keys = [f["key"] for f in admin.get("/api/v1/ticket-fields/").json()]
    assert "size" not in keys
    assert "size" in [f["key"] for f in admin.get("/api/v1/ticket-fields/?active=all").json()]
    # Every change is in the audit log.
    assert LogEntry.objects.filter(object_id=str(created["id"])).count() == 3
