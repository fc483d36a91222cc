"""Background jobs (found by Celery's autodiscovery). Each is idempotent: running it twice has the
effect of running it once."""

from __future__ import annotations

from celery import shared_task

from tickets import services
from tickets.notifications.tasks import notify_event

__all__ = ["close_solved_tickets", "notify_event"]


@shared_task
def close_solved_tickets() -> int:
    """Close tickets solved longer ago than HELPDESK_AUTOCLOSE_DAYS (hourly, from beat)."""
    return services.ticket_autoclose()
