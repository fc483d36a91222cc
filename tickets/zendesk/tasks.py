"""The Zendesk-compatible API's background work (found by Celery's autodiscovery)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def run_api_job(job_id: str) -> None:
    """Run a bulk job of ``tickets/create_many.json`` or ``update_many.json`` (``jobs.run``)."""
    from tickets.zendesk import jobs

    jobs.run(job_id)


@shared_task
def forget_expired() -> dict[str, int]:
    """Remove uploads never attached once they expire, and bulk job statuses a week old."""
    from tickets.zendesk import jobs, uploads

    return {"uploads": uploads.forget_expired_uploads(), "jobs": jobs.forget_old_jobs()}
