"""Settings → Webhooks: admins create an endpoint and see its secret once, edit, pause and resume
it, send a test event, read the delivery log and redeliver; everyone else gets a 404; each page
has a query budget that does not grow with rows."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from tickets.tests.hostile import webhook_world
from tickets.tests.webhooks.support import Receiver
from tickets.webhooks import sender
from tickets.webhooks.models import DeliveryState, DisabledReason, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

FORM = {"name": "CRM", "url": "https://hooks.example.com/in", "events": ["ticket.created", "ticket.solved"]}


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_admin_creates_an_endpoint_and_sees_the_secret_once(admin_client):
    response = admin_client.post("/settings/webhooks/new/", FORM)
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    page = response.content.decode()
    assert "Copy this secret now" in page
    secret = page.split('id="webhook-secret"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith("whsec_")
    for url in ("/settings/webhooks/", f"/settings/webhooks/{endpoint.pk}/"):
        assert secret not in admin_client.get(url).content.decode()
    assert endpoint.events == ["ticket.created", "ticket.solved"]
    assert LogEntry.objects.filter(object_id=str(endpoint.pk)).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "http://192.168.0.10/hook"}, "not a public address"),
        ({"url": "javascript:alert(1)"}, "Enter an http:// or https:// address."),
        ({"events": ["ticket.internal_note_added"]}, "Only an internal endpoint may receive internal notes."),
        ({"events": []}, "This field is required."),
    ],
)
def test_mistakes_come_back_on_the_form(admin_client, change, message):
    response = admin_client.post("/settings/webhooks/new/", {**FORM, **change})
    assert response.status_code == 400 and message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_edit_pause_resume_and_delete(admin_client):
    endpoint, _delivery = webhook_world()
    url = f"/settings/webhooks/{endpoint.pk}/"
    edited = admin_client.post(
        url, {**FORM, "name": "Renamed", "internal": "on", "events": ["ticket.internal_note_added"]}
    )
    assert edited.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.name == "Renamed" and endpoint.internal and endpoint.events == ["ticket.internal_note_added"]
    admin_client.post(f"{url}active/", {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == DisabledReason.BY_ADMIN
    assert "Paused by an admin" in admin_client.get("/settings/webhooks/").content.decode()
    admin_client.post(f"{url}active/", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_reason == ""
    assert "Delete this endpoint" in admin_client.get(f"{url}delete/").content.decode()
    assert admin_client.post(f"{url}delete/", {"confirmed": "1"}).status_code == 302
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_send_test_event_and_redeliver_from_the_log(admin_client, settings):
    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with Receiver() as receiver:
        response = admin_client.post("/settings/webhooks/new/", {**FORM, "url": receiver.url})
        receiver.secret = response.content.decode().split('id="webhook-secret"')[1].split('value="')[1].split('"')[0]
        endpoint = WebhookEndpoint.objects.get()
        tested = admin_client.post(f"/settings/webhooks/{endpoint.pk}/test/", follow=True)
        page = tested.content.decode()
        assert "Test event delivered (HTTP 200)." in page and "webhook.test" in page
        delivery = WebhookDelivery.objects.get()
        admin_client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.PENDING
        sender.send_due()
    assert receiver.ids() == {delivery.message_id: 2} and receiver.rejected == []
    log = admin_client.get(f"/settings/webhooks/{endpoint.pk}/deliveries/?state=delivered").content.decode()
    assert "HTTP 200" in log and delivery.message_id in log


def test_a_failed_test_event_says_why(admin_client):
    endpoint, _delivery = webhook_world()  # on 127.0.0.1, not allowed here
    page = admin_client.post(f"/settings/webhooks/{endpoint.pk}/test/", follow=True).content.decode()
    assert "The test event was not delivered" in page and "not a public address" in page


@pytest.mark.parametrize("persona", ["customer", "agent"])
def test_everyone_else_gets_404(request, client, persona):
    endpoint, delivery = webhook_world()
    client.force_login(request.getfixturevalue(persona))
    for url in (
        "/settings/webhooks/",
        "/settings/webhooks/new/",
        f"/settings/webhooks/{endpoint.pk}/",
        f"/settings/webhooks/{endpoint.pk}/deliveries/",
        f"/settings/webhooks/{endpoint.pk}/delete/",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("test/", "active/", f"deliveries/{delivery.pk}/redeliver/", "delete/"):
        assert (
            client.post(f"/settings/webhooks/{endpoint.pk}/{url}", {"active": "0", "confirmed": "1"}).status_code == 404
        )
    endpoint.refresh_from_db()
    assert endpoint.active and WebhookDelivery.objects.filter(state=DeliveryState.PENDING).count() == 1


def test_query_budgets_do_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    endpoint, _ = webhook_world()
    for _ in range(3):
        webhook_world()
    for _ in range(30):
        WebhookDelivery.objects.create(
            endpoint=endpoint, message_id=f"msg_{_}{endpoint.pk}x", event_type="ticket.created", payload={}
        )
    for url in (
        "/settings/webhooks/",
        f"/settings/webhooks/{endpoint.pk}/",
        f"/settings/webhooks/{endpoint.pk}/deliveries/",
    ):
        with django_assert_max_num_queries(6):  # 3, 3 and 5 today
            assert admin_client.get(url).status_code == 200


def test_replacing_the_secret_shows_the_new_one_once(admin_client):
    from tickets.webhooks import signing

    endpoint, _delivery = webhook_world()
    old = signing.reveal(endpoint.secret)
    response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/secret/")
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    endpoint.refresh_from_db()
    new = signing.reveal(endpoint.secret)
    assert new != old and new in response.content.decode()
    assert new not in admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
