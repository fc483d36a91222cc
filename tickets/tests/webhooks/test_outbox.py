"""The transactional outbox: deliveries are written by the ticket change's own transaction, one
row per (message, endpoint), with the payload the API would show; internal notes reach internal
endpoints only. Built through the services, as a person would."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import Status
from tickets.webhooks import services as webhooks
from tickets.webhooks.models import DeliveryState, EventType, WebhookDelivery

pytestmark = pytest.mark.django_db

DESCRIPTION = "The invoice page shows an error every time I open it."


def _types(endpoint) -> list[str]:
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id").values_list("event_type", flat=True))


def test_each_change_writes_its_messages_in_its_own_transaction(customer, agent, make_endpoint):
    endpoint, _secret = make_endpoint()
    ticket = services.ticket_create(actor=customer, subject="Invoice page broken", description=DESCRIPTION)
    services.ticket_update(actor=agent, ticket=ticket, priority="high", tags=["billing"])
    services.message_add(actor=agent, ticket=ticket, body="Fixed, please check.", status=Status.SOLVED)
    services.message_add(actor=customer, ticket=ticket, body="Still broken, sorry.")
    assert _types(endpoint) == [
        EventType.TICKET_CREATED,
        EventType.TICKET_UPDATED,
        EventType.TICKET_COMMENT_ADDED,
        EventType.TICKET_SOLVED,
        EventType.TICKET_COMMENT_ADDED,
        EventType.TICKET_REOPENED,
    ]
    rows = list(WebhookDelivery.objects.order_by("id"))
    assert all(row.state == DeliveryState.PENDING and row.ticket_id == ticket.pk for row in rows)
    assert len({row.message_id for row in rows}) == len(rows)
    created = rows[0].payload
    assert created["type"] == "ticket.created" and created["version"] == 1
    assert created["data"]["ticket"]["subject"] == "Invoice page broken"
    assert created["data"]["ticket"]["description"] == DESCRIPTION
    assert created["data"]["ticket"]["url"].endswith(f"/api/v1/tickets/{ticket.pk}/")
    assert "sla" not in created["data"]["ticket"]
    updated = rows[1].payload["data"]
    assert {c["kind"] for c in updated["changes"]} == {"priority_changed", "tags_changed"}
    assert updated["ticket"]["priority"] == "high" and updated["ticket"]["tags"] == ["billing"]
    assert updated["actor"] == {"id": agent.pk, "name": agent.name}
    reply = rows[2].payload["data"]
    assert reply["message"]["body"] == "Fixed, please check." and reply["message"]["internal"] is False


def test_a_rolled_back_change_leaves_no_delivery(customer, agent, make_endpoint):
    make_endpoint()
    ticket = services.ticket_create(actor=customer, subject="Invoice page broken", description=DESCRIPTION)
    before = WebhookDelivery.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_update(actor=agent, ticket=ticket, priority="urgent")
        assert WebhookDelivery.objects.count() == before + 1  # written inside the transaction...
        raise RuntimeError("the request failed after the change")
    assert WebhookDelivery.objects.count() == before  # ...and gone with it


def test_internal_notes_reach_internal_endpoints_only(customer, agent, make_endpoint):
    from tickets.tests.factories import upload

    public, _ = make_endpoint(name="Public CRM")
    internal, _ = make_endpoint(name="Team chat", internal=True)
    ticket = services.ticket_create(actor=customer, subject="Invoice page broken", description=DESCRIPTION)
    services.message_add(
        actor=agent, ticket=ticket, body="SECRET-NOTE about the customer", internal=True,
        attachments=[upload("note.txt", b"SECRET-FILE")],
    )  # fmt: skip
    note = services.message_add(actor=agent, ticket=ticket, body="Another note", internal=True)
    services.attachment_add(actor=agent, ticket=ticket, file=upload("later.txt", b"SECRET-LATER"), message=note)
    assert _types(public) == [EventType.TICKET_CREATED]
    assert _types(internal) == [
        EventType.TICKET_CREATED,
        EventType.TICKET_INTERNAL_NOTE_ADDED,
        EventType.TICKET_INTERNAL_NOTE_ADDED,
        EventType.TICKET_UPDATED,  # the file added later to the note
    ]
    for row in WebhookDelivery.objects.filter(endpoint=public):
        assert "SECRET" not in str(row.payload) and "note.txt" not in str(row.payload)
    note_payload = (
        WebhookDelivery.objects.filter(endpoint=internal, event_type="ticket.internal_note_added")
        .order_by("id")
        .first()
    )
    assert note_payload.payload["data"]["message"]["body"] == "SECRET-NOTE about the customer"
    assert note_payload.payload["data"]["message"]["attachments"][0]["filename"] == "note.txt"
    # Counts follow the audience too: the public endpoint is told of public messages only.
    services.ticket_update(actor=agent, ticket=ticket, priority="low")
    counts = {
        row.endpoint_id: row.payload["data"]["ticket"]["message_count"]
        for row in WebhookDelivery.objects.filter(
            event_type="ticket.updated", payload__data__changes__0__kind="priority_changed"
        )
    }
    assert counts == {public.pk: 1, internal.pk: 3}


def test_an_endpoint_gets_only_the_events_it_chose(customer, agent, make_endpoint):
    endpoint, _ = make_endpoint(events=[EventType.TICKET_SOLVED, EventType.TICKET_CLOSED])
    ticket = services.ticket_create(actor=customer, subject="Invoice page broken", description=DESCRIPTION)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.CLOSED)
    assert _types(endpoint) == [EventType.TICKET_SOLVED, EventType.TICKET_CLOSED]


def test_paused_endpoints_get_nothing_new(customer, admin, make_endpoint):
    endpoint, _ = make_endpoint()
    webhooks.endpoint_set_active(endpoint, actor=admin, active=False)
    services.ticket_create(actor=customer, subject="Invoice page broken", description=DESCRIPTION)
    assert not WebhookDelivery.objects.exists()


def _write_queries(customer, agent) -> tuple[int, int]:
    ticket = services.ticket_create(actor=customer, subject="Invoice page broken", description=DESCRIPTION)
    with CaptureQueriesContext(connection) as update:
        services.ticket_update(actor=agent, ticket=ticket, priority="high")
    with CaptureQueriesContext(connection) as reply:
        services.message_add(actor=agent, ticket=ticket, body="Looking into it.")
    return len(update), len(reply)


def test_what_a_ticket_write_costs(customer, agent, make_endpoint):
    """0 endpoints: no query (one cache read); 2 endpoints: the ticket, its tags, its latest
    satisfaction survey (and the reply's message and files) read once, and one bulk insert."""
    from tickets.webhooks import outbox

    outbox.subscribers()  # the process has read the (empty) list once
    with CaptureQueriesContext(connection) as lookup:
        assert outbox.subscribers() == []
    assert len(lookup) == 0
    bare_update, bare_reply = _write_queries(customer, agent)
    make_endpoint(name="One")
    make_endpoint(name="Two")
    outbox.subscribers()
    hooked_update, hooked_reply = _write_queries(customer, agent)
    assert WebhookDelivery.objects.filter(event_type="ticket.comment_added").count() == 2
    assert hooked_update - bare_update == 4  # ticket + tags + survey + insert
    assert hooked_reply - bare_reply == 6  # ticket + tags + survey + message + its files + insert
