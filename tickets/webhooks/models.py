"""Webhook endpoints and their deliveries (the outbox).

Registered under the ``tickets`` app (``tickets.models`` imports this module at its bottom; the
migration lives in ``tickets/migrations``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """What an endpoint may subscribe to (README, Webhooks)."""

    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    TICKET_COMMENT_ADDED = "ticket.comment_added", _("Public reply added")
    TICKET_INTERNAL_NOTE_ADDED = "ticket.internal_note_added", _("Internal note added (internal endpoints only)")
    TICKET_SOLVED = "ticket.solved", _("Ticket solved")
    TICKET_CLOSED = "ticket.closed", _("Ticket closed")
    TICKET_REOPENED = "ticket.reopened", _("Ticket reopened")


#: The "Send test event" type: never subscribed to, sent only when an admin asks.
TEST_EVENT = "webhook.test"


class DisabledReason(models.TextChoices):
    NONE = "", _("Not disabled")
    BY_ADMIN = "admin", _("Paused by an admin")
    FAILURES = "failures", _("Too many failed deliveries in a row")
    GONE = "gone", _("The receiver answered 410 Gone")


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=2000)
    # The event types it receives (``EventType`` values), in a JSON list.
    events = models.JSONField(default=list)
    # The signing secret (``whsec_`` + base64), sealed (``tickets.webhooks.signing.seal``): it must
    # be recoverable to sign, and a database dump alone must not reveal it.
    secret = models.TextField()
    internal = models.BooleanField(
        default=False, help_text=_("Receives internal notes; set only for receivers inside the support team.")
    )
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason, blank=True, default="")
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disabled_reason__in=DisabledReason.values), name="webhook_disabled_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One message for one endpoint: written in the transaction of the ticket change it reports
    (``tickets.webhooks.outbox``), sent and retried by ``tickets.webhooks.sender``.

    The payload is a snapshot taken at that moment, so every retry and redelivery sends the same
    bytes under the same ``message_id`` (``webhook-id``), and deleting the ticket loses nothing
    not yet sent: ``ticket_id`` is a plain number, not a foreign key.
    """

    id = models.BigAutoField(primary_key=True)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=DeliveryState, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When it is next due. A worker that claims it pushes this to the end of its lease and sets
    # ``locked_until``: a killed worker's claims simply fall due again.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=DeliveryState.values), name="webhook_delivery_state"),
        ]
        indexes = [
            # The sender's claim: pending deliveries that are due, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_delivery_due_idx",
                condition=models.Q(state="pending"),
            ),
            # An endpoint's delivery log, newest first.
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} → {self.endpoint_id}"
