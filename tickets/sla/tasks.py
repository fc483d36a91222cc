"""The SLA sweeper's job (found by Celery's autodiscovery, ``helpdesk/celery.py``; scheduled every
minute by ``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

from celery import shared_task

from tickets.sla.sweeper import sweep_sla


@shared_task(name="tickets.sla.sweep", acks_late=True)
def sweep() -> dict[str, int]:
    result = sweep_sla()
    return {
        "breached": result.breached,
        "warned": result.warned,
        "escalated": result.escalated,
        "retired": result.retired,
    }
