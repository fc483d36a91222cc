"""Sending the outbox: claim due deliveries, send them signed, record what the receiver said.

Any number of senders may run (``manage.py send_webhooks``, the Celery beat job
``tickets.webhooks.send``). Each claims a batch with ``SELECT … FOR UPDATE SKIP LOCKED`` and
commits the claim — a lease: the rows' ``next_attempt_at`` and ``locked_until`` move to the end
of the lease — before it sends anything. A sender killed mid-batch leaves its claimed rows to
fall due again when the lease ends; a message whose request reached the receiver just before the
kill is sent again under the same ``webhook-id`` (at least once: receivers deduplicate by id).

A 2xx answer delivers. Anything else (3xx included: redirects are never followed), a timeout, a
refused address: the attempt failed, and the next one waits ``BACKOFF`` — about three days in
all, then the delivery is failed for good (an admin may redeliver it). ``HELPDESK_WEBHOOK_MAX_FAILURES``
failed attempts in a row disable the endpoint; a 410 Gone disables it at once. A disabled
endpoint's pending deliveries wait, unsent, until it is enabled again.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.webhooks import network, outbox, signing
from tickets.webhooks.models import DeliveryState, DisabledReason, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("tickets.webhooks")

#: The wait after each failed attempt: 11 attempts over about 71.6 hours.
BACKOFF = [
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=20),
]
MAX_ATTEMPTS = len(BACKOFF) + 1


@dataclass
class Outcome:
    delivered: int = 0
    failed: int = 0


def lease_for(batch: int) -> timedelta:
    """Long enough to send a whole batch at the timeout each, with room to spare."""
    return timedelta(seconds=batch * settings.HELPDESK_WEBHOOK_TIMEOUT + 60)


def claim(batch: int, lease: timedelta) -> list[WebhookDelivery]:
    """Lock up to ``batch`` due deliveries of active endpoints (skipping rows another sender
    holds), lease them, commit, and return them with their endpoints."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .order_by("next_attempt_at", "id")[:batch]
        )
        if rows:
            until = now + lease
            WebhookDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(
                next_attempt_at=until, locked_until=until
            )
    return rows


def send_due(*, batch: int | None = None, lease: timedelta | None = None, deadline: float | None = None) -> Outcome:
    """Send every delivery that is due, batch after batch, until none is (or ``deadline``, a
    ``time.monotonic()`` value, passes)."""
    batch = batch or settings.HELPDESK_WEBHOOK_BATCH
    lease = lease or lease_for(batch)
    outcome = Outcome()
    while deadline is None or time.monotonic() < deadline:
        rows = claim(batch, lease)
        for delivery in rows:
            if deliver(delivery):
                outcome.delivered += 1
            else:
                outcome.failed += 1
        if len(rows) < batch:
            break
    return outcome


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed): the stored payload, compact."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(delivery: WebhookDelivery, secret: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "Helpdesk-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature(secret, delivery.message_id, timestamp, body),
    }


def deliver(delivery: WebhookDelivery) -> bool:
    """Send one claimed delivery and record the answer; True when the receiver took it."""
    endpoint = delivery.endpoint
    secret = signing.reveal(endpoint.secret)
    status: int | None = None
    excerpt = error = ""
    if secret is None:
        error = _("The signing secret cannot be read (was SECRET_KEY changed?): replace the endpoint's secret.")
    else:
        body = body_of(delivery)
        try:
            answer = network.post(
                endpoint.url, body, headers_for(delivery, secret, body), timeout=settings.HELPDESK_WEBHOOK_TIMEOUT
            )
            status, excerpt = answer.status, answer.excerpt
        except network.Refused as exc:
            error = str(exc)
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    ok = status is not None and 200 <= status < 300
    if not ok and not error and status is not None and 300 <= status < 400:
        error = _("Redirects are not followed.")
    record(delivery, status=status, excerpt=excerpt, error=error, ok=ok)
    return ok


def record(delivery: WebhookDelivery, *, status: int | None, excerpt: str, error: str, ok: bool) -> None:
    """Store one attempt's result on the delivery and its endpoint (one transaction)."""
    now = timezone.now()
    attempts = delivery.attempts + 1
    fields = {
        "attempts": attempts,
        "last_attempt_at": now,
        "response_status": status,
        "response_excerpt": excerpt[: network.EXCERPT],
        "error": error[:500],
        "locked_until": None,
    }
    gone = status == 410
    if ok:
        fields |= {"state": DeliveryState.DELIVERED, "delivered_at": now}
    elif gone or attempts >= MAX_ATTEMPTS:
        fields |= {"state": DeliveryState.FAILED}
    else:
        fields |= {"next_attempt_at": now + BACKOFF[attempts - 1]}
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
        if ok:
            endpoints.update(consecutive_failures=0, last_success_at=now)
            return
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now)
        if gone:
            disabled = endpoints.filter(active=True).update(active=False, disabled_reason=DisabledReason.GONE)
        else:
            disabled = endpoints.filter(
                active=True, consecutive_failures__gte=settings.HELPDESK_WEBHOOK_MAX_FAILURES
            ).update(active=False, disabled_reason=DisabledReason.FAILURES)
        if disabled:
            outbox.endpoints_changed()
            log.warning("Webhook endpoint %s disabled (%s)", delivery.endpoint_id, "410 Gone" if gone else "failures")


def next_due() -> datetime | None:
    """When the next pending delivery of an active endpoint falls due (for the loop's sleep)."""
    return (
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, endpoint__active=True)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
