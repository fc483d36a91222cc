"""Notifications (in the app and by email) and the Message-IDs of a ticket's email thread.

Part of ``tickets.models`` (which imports this module after defining ``Ticket`` and ``TicketEvent``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket, TicketEvent


class NotificationKind(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Your ticket was received")
    AGENT_REPLIED = "agent_replied", _("New reply on your ticket")
    STATUS_CHANGED = "status_changed", _("Your ticket's status changed")
    ASSIGNED = "assigned", _("Ticket assigned to you")
    REQUESTER_REPLIED = "requester_replied", _("The requester replied")
    TEAM_TICKET = "team_ticket", _("New ticket for your team")
    # Who hears of these: the SLA policy says (tickets.sla.escalation).
    SLA_WARNING = "sla_warning", _("An SLA target breaches soon")
    SLA_BREACHED = "sla_breached", _("An SLA target was breached")


class Notification(models.Model):
    """Something that happened on a ticket, for one person: shown in the app and sent by email.

    One row per (event, recipient) — the key that makes delivering it idempotent.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="notification_once_per_event"),
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
        ]
        indexes = [
            # The bell: a user's unread notifications, newest first.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The notifications page: all of a user's notifications, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on #{self.ticket_id}"


class MailThreadId(models.Model):
    """A Message-ID in a ticket's email thread: every notification we mail and every message that
    arrived by email. A reply's ``In-Reply-To``/``References`` are looked up here to find its
    ticket (``tickets.mail``); ours are random, so a thread cannot be joined by guessing one."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    # Without the angle brackets.
    message_id = models.CharField(max_length=500)
    outbound = models.BooleanField(default=False, help_text="A notification we sent (not mail we received).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Threading a reply by its In-Reply-To/References, and spotting our own mail coming back.
            models.Index(fields=["message_id"], name="mailthread_message_id_idx"),
            # The newest id of a ticket's thread: what the next notification answers (In-Reply-To).
            models.Index(fields=["ticket", "-created_at", "-id"], name="mailthread_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"<{self.message_id}> on #{self.ticket_id}"
