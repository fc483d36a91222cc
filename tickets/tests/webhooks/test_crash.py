"""The webhook crash test: the sender is killed (SIGKILL) in the middle of a batch and started
again; every message reaches the receiver — verified with ``standardwebhooks`` — at least once,
none goes missing, and the delivery log ends all "delivered". A real ``manage.py send_webhooks``
against the test database, a real HTTP receiver on 127.0.0.1 (PostgreSQL: ``SKIP LOCKED``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tickets import services
from tickets.tests.webhooks.support import Receiver
from tickets.webhooks import services as webhooks
from tickets.webhooks.models import DeliveryState, WebhookDelivery

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 40
BATCH = 10
LEASE = 3


def _database_url() -> str:
    settings = connection.settings_dict
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def _sender(*extra: str) -> list[str]:
    return [sys.executable, "manage.py", "send_webhooks", "--batch", str(BATCH), "--lease", str(LEASE), *extra]


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killing_the_sender_mid_batch_loses_nothing(customer, admin, local_receivers):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test",
        "HELPDESK_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    }
    with Receiver(delay=0.05) as receiver:
        _endpoint, secret = webhooks.endpoint_create(
            actor=admin, name="Crash test", url=receiver.url, events=["ticket.created", "ticket.comment_added"]
        )
        receiver.secret = secret
        for number in range(MESSAGES // 2):
            ticket = services.ticket_create(
                actor=customer, subject=f"Crash test ticket {number}", description="Nothing works today, at all."
            )
            services.message_add(actor=customer, ticket=ticket, body=f"More detail {number}")
        expected = set(WebhookDelivery.objects.values_list("message_id", flat=True))
        assert len(expected) == MESSAGES

        running = subprocess.Popen(_sender("--interval", "0.5"), cwd=ROOT, env=env)  # noqa: S603 - our manage.py
        try:
            # Into the second batch: some of it sent, the rest claimed and not yet sent.
            assert _wait_for(lambda: len(receiver.received) >= BATCH + 2, timeout=90), "the sender sent nothing"
        finally:
            os.kill(running.pid, signal.SIGKILL)
            running.wait(timeout=30)
        at_kill = len(receiver.received)
        assert at_kill < MESSAGES
        held = WebhookDelivery.objects.filter(state=DeliveryState.PENDING, locked_until__gt=timezone.now())
        assert held.exists(), "killed between batches: no claim was left behind"

        time.sleep(LEASE + 0.5)  # the dead sender's lease ends
        again = subprocess.run(_sender("--once"), cwd=ROOT, env=env, capture_output=True, timeout=120)  # noqa: S603
        assert again.returncode == 0, again.stderr.decode()

    assert receiver.rejected == []  # every signature verified
    arrived = receiver.ids()
    assert set(arrived) == expected  # none missing, nothing unknown
    assert sum(arrived.values()) - len(arrived) <= 1  # at most the one in flight at the kill, again
    states = set(WebhookDelivery.objects.values_list("state", flat=True))
    assert states == {DeliveryState.DELIVERED}
