"""manage.py send_webhooks [--once] [--batch N] [--lease SECONDS]

Sends the outgoing webhooks that are due (``tickets.webhooks.sender``): without ``--once`` it
keeps running, waking when the next delivery falls due (at least every ``--interval`` seconds)
— a service beside the web server where no Celery beat runs. Safe to run on several hosts: each
claims its own rows (``SKIP LOCKED``) under a lease, so a killed sender loses nothing.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from tickets.webhooks import sender


class Command(BaseCommand):
    help = "Send the outgoing webhooks that are due (--once), or keep sending them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit.")
        parser.add_argument("--batch", type=int, default=None, help="Deliveries claimed per transaction.")
        parser.add_argument("--lease", type=float, default=None, help="Seconds a claim holds its rows.")
        parser.add_argument("--interval", type=float, default=5.0, help="Longest sleep between looks (seconds).")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = max(1, options["batch"]) if options["batch"] else None
        lease = timedelta(seconds=max(1.0, options["lease"])) if options["lease"] else None
        if options["once"]:
            outcome = sender.send_due(batch=batch, lease=lease)
            self.stdout.write(f"{outcome.delivered} delivered, {outcome.failed} failed")
            return
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            close_old_connections()
            outcome = sender.send_due(batch=batch, lease=lease)
            if outcome.delivered or outcome.failed:
                self.stdout.write(f"{outcome.delivered} delivered, {outcome.failed} failed")
            due = sender.next_due()
            wait = options["interval"] if due is None else (due - timezone.now()).total_seconds()
            deadline = time.monotonic() + min(max(wait, 0.2), options["interval"])
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
