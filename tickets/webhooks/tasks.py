"""The webhook sender's job (found by Celery's autodiscovery, ``helpdesk/celery.py``; scheduled
every ten seconds by ``CELERY_BEAT_SCHEDULE``). Several may overlap: each claims its own rows."""

from __future__ import annotations

import time

from celery import shared_task

from tickets.webhooks.sender import send_due


@shared_task(name="tickets.webhooks.send", acks_late=True)
def send() -> dict[str, int]:
    # Stop claiming after 50 s, so a backlog is shared out among the next runs and workers.
    outcome = send_due(deadline=time.monotonic() + 50)
    return {"delivered": outcome.delivered, "failed": outcome.failed}
