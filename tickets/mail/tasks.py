"""The email channel's job (found by Celery's autodiscovery, ``helpdesk/celery.py``)."""

from __future__ import annotations

from celery import shared_task

from tickets.mail import processing


@shared_task(name="tickets.mail.process_inbound", acks_late=True)
def process_inbound(inbound_id: int) -> str:
    """Process one stored message. Idempotent: the message's state says whether it is done."""
    return processing.process(inbound_id)
