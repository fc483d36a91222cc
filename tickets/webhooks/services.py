"""What admins do with webhook endpoints: create (the secret is returned once), change, pause and
resume, rotate the secret, delete, redeliver a message, send a test event.

Views and the API call these inside ``accounts.audit`` (the change and its audit entry in one
transaction); every mistake is a ``ValidationError`` by field, in the admin's words.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.models import User
from tickets.webhooks import network, sender, signing
from tickets.webhooks.models import (
    TEST_EVENT,
    DeliveryState,
    DisabledReason,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_ENDPOINTS = 100


def endpoint_values(endpoint: WebhookEndpoint) -> audit.Values:
    return {
        gettext_noop("Name"): endpoint.name,
        gettext_noop("URL"): endpoint.url,
        gettext_noop("Events"): ", ".join(endpoint.events) or "—",
        gettext_noop("Internal"): gettext_noop("Yes") if endpoint.internal else gettext_noop("No"),
        gettext_noop("Active"): gettext_noop("Yes") if endpoint.active else gettext_noop("No"),
    }


def _clean(name: Any, url: Any, events: Any, internal: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = str(name or "").strip()
    if not 1 <= len(name) <= 100:
        errors["name"] = [_("Give the endpoint a name of 1 to 100 characters.")]
    url = str(url or "").strip()
    try:
        if len(url) > 2000:
            raise ValidationError(_("The address is longer than 2,000 characters."))
        URLValidator(schemes=["http", "https"])(url)
        network.check_url_literal(url)
    except ValidationError:
        errors["url"] = (
            [_("Enter an http:// or https:// address.")] if len(url) <= 2000 else [_("The address is too long.")]
        )
    except network.Refused as exc:
        errors["url"] = [str(exc)]
    if not isinstance(events, list | tuple) or not events or not all(isinstance(e, str) for e in events):
        errors["events"] = [_("Choose at least one event.")]
    else:
        unknown = sorted(set(events) - set(EventType.values))
        if unknown:
            errors["events"] = [_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}]
        elif EventType.TICKET_INTERNAL_NOTE_ADDED in events and not internal:
            errors["events"] = [_("Only an internal endpoint may receive internal notes.")]
    if errors:
        raise ValidationError(errors)
    ordered = [value for value in EventType.values if value in events]
    return {"name": name, "url": url, "events": ordered, "internal": bool(internal)}


def endpoint_create(
    *, actor: User, name: str, url: str, events: list[str], internal: bool = False
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (shown to the admin this once)."""
    clean = _clean(name, url, events, internal)
    if WebhookEndpoint.objects.count() >= MAX_ENDPOINTS:
        raise ValidationError(_("A desk may have at most %(n)s webhook endpoints.") % {"n": MAX_ENDPOINTS})
    secret = signing.new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(**clean, secret=signing.seal(secret), created_by=actor)
        audit.record_addition(actor, endpoint, endpoint_values(endpoint))
    return endpoint, secret


def endpoint_update(endpoint: WebhookEndpoint, *, actor: User, **changes: Any) -> WebhookEndpoint:
    """Change the name, URL, events or internal flag (what is not given stays)."""
    current = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events, "internal": endpoint.internal}
    clean = _clean(**{**current, **{k: v for k, v in changes.items() if k in current}})
    with audit.changing(actor, endpoint, endpoint_values):
        for key, value in clean.items():
            setattr(endpoint, key, value)
        endpoint.updated_at = timezone.now()
        endpoint.save(update_fields=[*clean, "updated_at"])
    return endpoint


def endpoint_set_active(endpoint: WebhookEndpoint, *, actor: User, active: bool) -> WebhookEndpoint:
    """Pause or resume. Resuming forgets the failures that disabled it; its waiting deliveries go."""
    with audit.changing(actor, endpoint, endpoint_values):
        endpoint.active = active
        endpoint.disabled_reason = DisabledReason.NONE if active else DisabledReason.BY_ADMIN
        if active:
            endpoint.consecutive_failures = 0
        endpoint.updated_at = timezone.now()
        endpoint.save(update_fields=["active", "disabled_reason", "consecutive_failures", "updated_at"])
    return endpoint


def endpoint_rotate_secret(endpoint: WebhookEndpoint, *, actor: User) -> str:
    """A new signing secret (shown once); messages sent from now on are signed with it."""
    secret = signing.new_secret()
    with transaction.atomic():
        endpoint.secret = signing.seal(secret)
        endpoint.updated_at = timezone.now()
        endpoint.save(update_fields=["secret", "updated_at"])
        audit.record_change(actor, endpoint, {"Secret": "…"}, {"Secret": gettext_noop("rotated")})
    return secret


def endpoint_delete(endpoint: WebhookEndpoint, *, actor: User) -> None:
    with transaction.atomic():
        audit.record_deletion(actor, endpoint, endpoint_values(endpoint))
        endpoint.delete()


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery`` again, soon: same ``webhook-id``, same payload, a fresh round of attempts."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, locked_until=None, delivered_at=None
    )
    delivery.refresh_from_db()
    return delivery


def send_test(endpoint: WebhookEndpoint, *, actor: User) -> WebhookDelivery:
    """A ``webhook.test`` message, written like any other delivery and sent at once from here (the
    answer is on the delivery log when this returns; a failure is retried like any other)."""
    from tickets.webhooks.payloads import envelope  # the API's serializers: not at URL-loading time

    now = timezone.now()
    data = {
        "endpoint": {"id": endpoint.pk, "name": endpoint.name},
        "actor": {"id": actor.pk, "name": actor.name},
        "site": settings.HELPDESK_SITE_URL,
    }
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id=signing.new_message_id(),
        event_type=TEST_EVENT,
        payload=envelope(TEST_EVENT, now, data),
        next_attempt_at=now,
        created_at=now,
    )
    lease = sender.lease_for(1)
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(
        next_attempt_at=now + lease, locked_until=now + lease
    )
    if claimed:
        delivery.endpoint = endpoint
        sender.deliver(delivery)
    delivery.refresh_from_db()
    return delivery
