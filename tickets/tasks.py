"""Background jobs. Each is idempotent: running it twice has the effect of running it once."""

from __future__ import annotations

import smtplib
import socket

from celery import shared_task

from tickets import notifications
from tickets.models import Notification


@shared_task(
    autoretry_for=(smtplib.SMTPException, socket.error, ConnectionError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def notify_event(event_id: int) -> int:
    """Create the notifications of a committed event and email them. Returns mails sent."""
    notifications.create_for_event(event_id)
    sent = 0
    pending = Notification.objects.filter(event_id=event_id, emailed_at__isnull=True).select_related(
        "recipient", "ticket", "event"
    )
    for notification in pending:
        sent += notifications.send_email(notification)
    return sent


@shared_task
def close_solved_tickets() -> int:
    """Close tickets solved longer ago than HELPDESK_AUTOCLOSE_DAYS (hourly, from beat)."""
    from tickets import services

    return services.ticket_autoclose()
