"""The notification job. Idempotent: running it twice has the effect of running it once."""

from __future__ import annotations

import smtplib
import socket

from celery import shared_task

from tickets.models import Notification
from tickets.notifications.email import send_email
from tickets.notifications.inapp import create_for_event


@shared_task(
    name="tickets.tasks.notify_event",  # the name queued messages carry; kept across the move
    autoretry_for=(smtplib.SMTPException, socket.error, ConnectionError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def notify_event(event_id: int) -> int:
    """Create the notifications of a committed event and email them. Returns mails sent."""
    create_for_event(event_id)
    sent = 0
    pending = Notification.objects.filter(event_id=event_id, emailed_at__isnull=True).select_related(
        "recipient", "ticket", "event"
    )
    for notification in pending:
        sent += send_email(notification)
    return sent
