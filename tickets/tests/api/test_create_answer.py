"""The answer to a ticket create is the ticket as the API then shows it — built from what the
service wrote (``selectors.ticket_as_opened``) when nothing changed it since, read back otherwise."""

from __future__ import annotations

import pytest
from django.db import connection

from tickets.models import Priority, TicketField, Trigger, TriggerOn
from tickets.tests.api.support import token_client

READ_BACK = 'AS "description"'  # the annotation only ``ticket_for_api``'s read makes


def create_and_read(user, payload):
    client = token_client(user)
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    # A wrapper of the connection, not CaptureQueriesContext: a transactional test's request
    # closes the connection at its end, and the log of the next one starts empty.
    with connection.execute_wrapper(record):
        created = client.post("/api/v1/tickets/", payload, format="json")
    assert created.status_code == 201, created.content
    assert any("INSERT INTO" in sql for sql in statements)  # the wrapper saw the create
    shown = client.get(f"/api/v1/tickets/{created.json()['id']}/")
    assert shown.status_code == 200
    read_back = any(READ_BACK in sql for sql in statements)
    return created.json(), shown.json(), read_back


@pytest.fixture
def plan_fields(db):
    TicketField.objects.create(key="order_number", label="Order number", visible_to_customers=True)
    TicketField.objects.create(
        key="plan",
        label="Plan",
        field_type="dropdown",
        options=[{"value": "gold", "label": "Gold"}, {"value": "basic", "label": "Basic"}],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer", "agent", "admin", "team_agent"])
def test_the_answer_is_the_ticket_as_the_api_shows_it_without_reading_it_back(
    who, request, customer, billing_team, plan_fields
):
    user = request.getfixturevalue(who)
    payload = {
        "subject": "Invoice 2041 shows the wrong amount",
        "description": "  The total is twice the order's.\n\nPlease check.  ",
        "priority": "high",
        "tags": ["Invoice", "billing"],
        "custom_fields": {"order_number": "A-2041"},
    }
    if who != "customer":  # staff file for the customer, routed to a team, with an agents' field
        payload.update(
            requester={"email": customer.email},
            team=billing_team.pk,
            custom_fields={"order_number": "A-2041", "plan": "gold"},
        )
    answer, shown, read_back = create_and_read(user, payload)
    assert answer == shown
    assert answer["description"] == shown["description"] and answer["message_count"] == 1
    assert not read_back


@pytest.mark.django_db
def test_an_agent_who_reads_notes_only_on_some_tickets_gets_the_ticket_read_back(team_agent, customer, billing_team):
    # A team agent who is also the requester of a ticket elsewhere: where they read internal
    # content is a condition per ticket, which the read answers.
    customer_ticket = token_client(team_agent).post(
        "/api/v1/tickets/",
        {"subject": "My own laptop is broken", "description": "As a customer of IT."},
        format="json",
    )
    assert customer_ticket.status_code == 201
    answer, shown, read_back = create_and_read(
        team_agent,
        {
            "subject": "Refund for the double charge",
            "description": "Customer called about it.",
            "requester": {"email": customer.email},
            "team": billing_team.pk,
        },
    )
    assert answer == shown
    assert read_back


@pytest.mark.django_db(transaction=True)
def test_a_ticket_a_trigger_changed_on_arrival_is_read_back_with_the_change(customer, admin):
    # Committed for real (a transactional test): the trigger runs before the answer is made.
    Trigger.objects.create(
        name="Outages are urgent",
        on=TriggerOn.CREATED,
        conditions={"all": [{"field": "subject", "operator": "contains", "value": "outage"}]},
        actions=[{"action": "set_priority", "value": Priority.URGENT}, {"action": "add_tags", "value": ["outage"]}],
        owner=admin,
    )
    answer, shown, read_back = create_and_read(
        customer, {"subject": "Total outage of the shop", "description": "Nothing loads since 9:00."}
    )
    assert answer == shown
    assert answer["priority"] == Priority.URGENT
    assert read_back
    # Without the trigger's match, the same create is answered from what was written.
    answer, shown, read_back = create_and_read(
        customer, {"subject": "A question about the shop", "description": "Where is my invoice?"}
    )
    assert answer == shown and answer["priority"] == Priority.NORMAL
    assert not read_back
