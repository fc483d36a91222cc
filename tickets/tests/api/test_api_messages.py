"""Conversation endpoints: the table's rows × personas, then behaviour."""

from __future__ import annotations

import pytest

from tickets import services
from tickets.models import Message, Status
from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("messages"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_customers_never_receive_internal_notes(world, as_user, people):
    url = f"/api/v1/tickets/{world['ticket'].pk}/messages/"
    customer_view = as_user(people["customer"]).get(url).json()["results"]
    agent_view = as_user(people["agent"]).get(url).json()["results"]
    assert [m["internal"] for m in customer_view] == [False, False]
    assert [m["internal"] for m in agent_view] == [False, False, True]
    # oldest first, with the author and the files
    assert customer_view[0]["body"].startswith("When I click")
    assert customer_view[1]["author"] == {"id": people["customer"].pk, "name": "Ada Customer", "role": "customer"}
    assert customer_view[1]["attachments"][0]["filename"] == "notes.txt"
    assert customer_view[1]["attachments"][0]["download_url"].endswith(
        f"/api/v1/attachments/{world['public_attachment'].pk}/download/"
    )


def test_requester_reply_reopens_a_pending_ticket(world, as_user, people):
    ticket = world["ticket"]
    services.ticket_change_status(actor=people["agent"], ticket=ticket, status="pending")
    response = as_user(people["customer"]).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Here is the info."}, format="json"
    )
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_agent_note_with_status_in_one_step(world, as_user, people):
    ticket = world["ticket"]
    response = as_user(people["team_agent"]).post(
        f"/api/v1/tickets/{ticket.pk}/messages/",
        {"body": "Waiting on the bank.", "internal": True, "status": "on_hold"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["internal"] is True
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD


def test_customer_internal_note_is_403_and_writes_nothing(world, as_user, people):
    before = Message.objects.count()
    response = as_user(people["customer"]).post(
        f"/api/v1/tickets/{world['ticket'].pk}/messages/", {"body": "sneaky", "internal": True}, format="json"
    )
    assert response.status_code == 403
    assert Message.objects.count() == before
