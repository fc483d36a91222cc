"""The sender against a real local receiver that verifies every signature with the
``standardwebhooks`` package: delivery, back-off, disabling, redelivery and the SSRF guard."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from django.utils import timezone

from tickets import services
from tickets.webhooks import network, sender
from tickets.webhooks import services as webhooks
from tickets.webhooks.models import DeliveryState, DisabledReason, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

DESCRIPTION = "The invoice page shows an error every time I open it."


def _ticket(customer):
    return services.ticket_create(actor=customer, subject="Invoice page broken", description=DESCRIPTION)


def _due_now() -> None:
    """Time passes: every pending delivery is due (instead of waiting out the back-off)."""
    WebhookDelivery.objects.filter(state=DeliveryState.PENDING).update(next_attempt_at=timezone.now())


def test_deliveries_arrive_signed_and_are_logged(customer, agent, receiver, make_endpoint):
    endpoint, _ = make_endpoint(receiver=receiver)
    ticket = _ticket(customer)
    services.message_add(actor=agent, ticket=ticket, body="Looking into it.")
    outcome = sender.send_due()
    assert (outcome.delivered, outcome.failed) == (2, 0)
    assert receiver.rejected == []
    assert receiver.types() == ["ticket.created", "ticket.comment_added"]
    sent = receiver.received[0]
    assert sent["headers"]["webhook-signature"].startswith("v1,")
    assert sent["payload"]["data"]["ticket"]["id"] == ticket.pk
    rows = list(WebhookDelivery.objects.order_by("id"))
    assert [row.state for row in rows] == [DeliveryState.DELIVERED] * 2
    assert set(receiver.ids()) == {row.message_id for row in rows}
    assert rows[0].response_status == 200 and rows[0].response_excerpt == '{"ok": true}' and rows[0].attempts == 1
    assert sender.send_due().delivered == 0  # nothing twice
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None and endpoint.consecutive_failures == 0


def test_failures_back_off_for_about_three_days_then_give_up(customer, receiver, make_endpoint):
    make_endpoint(receiver=receiver)
    receiver.status = 503
    _ticket(customer)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _attempt in range(sender.MAX_ATTEMPTS):
        before = timezone.now()
        sender.send_due()
        delivery.refresh_from_db()
        if delivery.state == DeliveryState.PENDING:
            waits.append(delivery.next_attempt_at - before)
            _due_now()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == sender.MAX_ATTEMPTS == 11
    assert delivery.response_status == 503
    assert [round(w.total_seconds()) for w in waits] == [round(b.total_seconds()) for b in sender.BACKOFF]
    total = sum(sender.BACKOFF, timedelta())
    assert timedelta(days=2, hours=20) < total < timedelta(days=3, hours=4)
    # Each delivery is logged with the receiver's answer; the same id every time.
    assert len(set(receiver.ids())) == 1 and sum(receiver.ids().values()) == 11


def test_a_410_disables_the_endpoint_at_once(customer, receiver, make_endpoint):
    endpoint, _ = make_endpoint(receiver=receiver)
    receiver.status = 410
    _ticket(customer)
    _ticket(customer)
    sender.send_due(batch=1)  # the first answer disables; the second message waits
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == DisabledReason.GONE
    states = sorted(WebhookDelivery.objects.values_list("state", flat=True))
    assert states == [DeliveryState.FAILED, DeliveryState.PENDING]
    assert len(receiver.received) == 1
    # Nothing new is written for it, and the waiting delivery goes once an admin resumes it.
    _ticket(customer)
    assert WebhookDelivery.objects.count() == 2
    receiver.status = 200
    webhooks.endpoint_set_active(endpoint, actor=endpoint.created_by, active=True)
    assert sender.send_due().delivered == 1


def test_repeated_failures_disable_the_endpoint(customer, receiver, make_endpoint, settings):
    settings.HELPDESK_WEBHOOK_MAX_FAILURES = 3
    endpoint, _ = make_endpoint(receiver=receiver)
    receiver.status = 500
    for _ in range(2):
        _ticket(customer)
    sender.send_due()
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 2
    receiver.statuses = [200]  # one success resets the count
    _due_now()
    sender.send_due(batch=1)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures in (0, 1)
    _due_now()
    for _ in range(4):
        sender.send_due()
        _due_now()
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == DisabledReason.FAILURES


def test_redeliver_sends_the_same_message_again(customer, receiver, make_endpoint):
    endpoint, _ = make_endpoint(receiver=receiver)
    _ticket(customer)
    sender.send_due()
    delivery = WebhookDelivery.objects.get()
    webhooks.redeliver(delivery)
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    sender.send_due()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert receiver.ids() == {delivery.message_id: 2}
    assert receiver.received[0]["payload"] == receiver.received[1]["payload"]


def test_send_test_event(admin, receiver, make_endpoint):
    endpoint, _ = make_endpoint(receiver=receiver)
    delivery = webhooks.send_test(endpoint, actor=admin)
    assert delivery.state == DeliveryState.DELIVERED and delivery.event_type == "webhook.test"
    assert receiver.types() == ["webhook.test"]


def test_redirects_are_not_followed(customer, receiver, make_endpoint):
    make_endpoint(receiver=receiver)
    receiver.status = 302
    _ticket(customer)
    sender.send_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.response_status == 302
    assert "Redirects are not followed" in delivery.error


# --- the SSRF guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1",  # noqa: S104
     "fe80::1", "fc00::5", "::ffff:10.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_private_loopback_and_link_local_addresses_are_refused(address, settings):
    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(network.Refused):
        network.check_address(ipaddress.ip_address(address), "receiver.test")


def test_public_addresses_pass_and_the_allow_list_opens_private_ones(settings):
    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = ["10.20.0.0/16", "hooks.intranet", "::1"]
    network.check_address(ipaddress.ip_address("93.184.216.34"), "example.com")
    network.check_address(ipaddress.ip_address("10.20.3.4"), "anything.test")
    network.check_address(ipaddress.ip_address("192.168.1.1"), "HOOKS.intranet.")
    network.check_address(ipaddress.ip_address("::1"), "v6.test")
    with pytest.raises(network.Refused):
        network.check_address(ipaddress.ip_address("10.21.0.1"), "anything.test")


def test_names_resolving_to_private_addresses_are_refused(settings):
    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(network.Refused, match="not a public address"):
        network.resolve("localhost", 80)  # the real resolver: 127.0.0.1 (and ::1)


def test_a_refused_receiver_is_a_failed_attempt_and_never_called(customer, admin, settings):
    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    from tickets.tests.webhooks.support import Receiver

    with Receiver() as receiver:
        endpoint, secret = webhooks.endpoint_create(
            actor=admin, name="Local", url=receiver.url, events=["ticket.created"]
        )
        receiver.secret = secret
        settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = []  # the allow-list no longer names it
        _ticket(customer)
        assert sender.send_due().failed == 1
        delivery = WebhookDelivery.objects.get()
        assert "not a public address" in delivery.error and delivery.response_status is None
        assert receiver.received == [] and delivery.state == DeliveryState.PENDING


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:8080/hook", "not a public address"),
        ("http://10.0.0.5/hook", "not a public address"),
        ("http://[::1]/hook", "not a public address"),
        ("http://169.254.169.254/latest/meta-data", "not a public address"),
        ("http://localhost/hook", "not a public address"),
        ("ftp://example.com/hook", "http://"),
        ("https://user:pw@example.com/hook", "user name or password"),
    ],
)
def test_forms_refuse_what_can_be_seen_without_dns(admin, url, problem, settings):
    from django.core.exceptions import ValidationError

    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ValidationError) as refused:
        webhooks.endpoint_create(actor=admin, name="X", url=url, events=["ticket.created"])
    assert problem in str(refused.value.message_dict["url"])
    assert not WebhookEndpoint.objects.exists()
