"""Background jobs (found by Celery's autodiscovery). Each is idempotent: running it twice has the
effect of running it once."""

from __future__ import annotations

from celery import shared_task

from tickets import services
from tickets.notifications.tasks import notify_event

__all__ = ["apply_retention", "close_solved_tickets", "notify_event", "run_automations"]


@shared_task
def run_automations() -> dict[str, int]:
    """Run the active automations (every few minutes, from beat): each acts on a ticket at most
    once per condition window; several workers may run it at once (``tickets.automations``)."""
    from tickets import automations

    return automations.run_automations()


@shared_task
def close_solved_tickets() -> int:
    """Run the desk's auto-close automation only (kept for schedules that still name it)."""
    return services.ticket_autoclose()


@shared_task
def apply_retention() -> dict[str, int]:
    """The retention policy on old closed tickets (once a day, from beat; off while
    ``HELPDESK_RETENTION_CLOSED_MONTHS`` is 0). Idempotent; batches with bounded memory."""
    from tickets.privacy.retention import apply_retention as run

    result = run()
    return {"tickets": result.tickets, "files": result.files}
