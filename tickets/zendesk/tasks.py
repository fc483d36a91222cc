"""The Zendesk-compatible API's background work (found by Celery's autodiscovery)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def run_api_job(job_id: str) -> None:
    """Run a bulk job of ``tickets/create_many.json`` or ``update_many.json`` (``jobs.run``)."""
    from tickets.zendesk import jobs

    jobs.run(job_id)
