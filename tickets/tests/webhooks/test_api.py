"""/api/v1/webhooks/: admins only (the API table's rows × every persona), the secret in the
create's answer only, errors by field, redeliver and test; and the OpenAPI schema lists them."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from tickets import services
from tickets.tests.api.support import _fresh_throttles, as_user, people, token_client, world  # noqa: F401
from tickets.tests.api.table import case_id, check, rows
from tickets.tests.hostile import webhook_world
from tickets.webhooks import sender, signing
from tickets.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("webhooks"), ids=case_id)
def test_permission_matrix(row, world, as_user):  # noqa: F811
    check(row, world, as_user)


def test_the_secret_is_shown_once_and_stored_sealed(admin):
    client = token_client(admin)
    created = client.post(
        "/api/v1/webhooks/",
        {"name": "CRM", "url": "https://hooks.example.com/in", "events": ["ticket.created", "ticket.solved"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["active"] is True and body["internal"] is False
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] not in endpoint.secret and signing.reveal(endpoint.secret) == body["secret"]
    shown = client.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in shown and shown["events"] == ["ticket.created", "ticket.solved"]
    assert all("secret" not in row for row in client.get("/api/v1/webhooks/").json()["results"])
    assert LogEntry.objects.filter(object_id=str(body["id"])).count() == 1
    assert body["secret"] not in LogEntry.objects.get(object_id=str(body["id"])).change_message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://10.0.0.8/hook"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["ticket.exploded"]}, "events"),
        ({"events": ["ticket.internal_note_added"]}, "events"),  # not an internal endpoint
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin, body, field):
    given = {"name": "CRM", "url": "https://hooks.example.com/in", "events": ["ticket.created"], **body}
    response = token_client(admin).post("/api/v1/webhooks/", given, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not WebhookEndpoint.objects.exists()


def test_patch_pauses_changes_and_redeliver_resends(admin, customer, settings):
    from tickets.tests.webhooks.support import Receiver

    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    client = token_client(admin)
    with Receiver() as receiver:
        body = client.post(
            "/api/v1/webhooks/", {"name": "CRM", "url": receiver.url, "events": ["ticket.created"]}, format="json"
        ).json()
        receiver.secret = body["secret"]
        services.ticket_create(actor=customer, subject="Printer jams", description="It jams on every page I print.")
        sender.send_due()
        deliveries = client.get(f"/api/v1/webhooks/{body['id']}/deliveries/").json()["results"]
        assert [d["state"] for d in deliveries] == ["delivered"] and deliveries[0]["response_status"] == 200
        again = client.post(f"/api/v1/webhooks/{body['id']}/deliveries/{deliveries[0]['id']}/redeliver/")
        assert again.status_code == 202 and again.json()["state"] == "pending"
        sender.send_due()
        assert receiver.ids() == {deliveries[0]["message_id"]: 2}
        tested = client.post(f"/api/v1/webhooks/{body['id']}/test/")
        assert tested.status_code == 200 and tested.json()["state"] == "delivered"
    paused = client.patch(f"/api/v1/webhooks/{body['id']}/", {"active": False, "name": "Old CRM"}, format="json")
    assert paused.status_code == 200
    assert paused.json()["active"] is False and paused.json()["disabled_reason"] == "admin"
    assert paused.json()["name"] == "Old CRM"
    assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == 2
    # Another endpoint's delivery is not this one's: 404.
    other, _ = webhook_world()
    delivery = other.deliveries.get()
    assert client.post(f"/api/v1/webhooks/{body['id']}/deliveries/{delivery.pk}/redeliver/").status_code == 404


def test_the_schema_documents_the_webhook_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/",
        "/api/v1/webhooks/{id}/deliveries/",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/",
        "/api/v1/webhooks/{id}/test/",
        "/api/v1/webhooks/{id}/secret/",
    ):
        assert path in schema["paths"], path


def test_a_new_secret_is_returned_once(admin):
    endpoint, _delivery = webhook_world()
    response = token_client(admin).post(f"/api/v1/webhooks/{endpoint.pk}/secret/")
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert signing.reveal(endpoint.secret) == response.json()["secret"]
