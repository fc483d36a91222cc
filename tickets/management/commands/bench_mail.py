"""manage.py bench_mail [--count N] [--senders N]: inbound mail throughput (``tickets.mail.bench``).

Starts the SMTP listener on a free loopback port, sends it ``--count`` generated messages (new
tickets, replies, auto-replies and one poisoned message) and prints the elapsed time, messages per
second and what the messages became. Outgoing notifications go to Django's dummy backend (they are
built, not sent). Exit 1 when a message other than the poisoned one is not processed or ignored,
or the poisoned one is not quarantined. Writes to the configured database: use a scratch one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Measure inbound mail throughput through the SMTP listener (writes tickets: use a scratch database)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1000, help="Messages to send (default 1000).")
        parser.add_argument("--senders", type=int, default=200, help="Distinct customers (default 200).")
        parser.add_argument("--profile", metavar="FILE", help="Write a cProfile of the run to FILE.")

    def handle(self, *args, count, senders, profile, **options):
        from tickets.mail import bench
        from tickets.mail.models import InboundState
        from tickets.mail.smtp import MailController

        vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        messages = bench.generate(count, senders)
        controller = MailController("127.0.0.1", bench.free_port())
        controller.start()
        # Only for the run: the command may be called inside a longer process (the test suite),
        # whose later mail must still go where that process sends it.
        try:
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
                bench.profiled(profile),
            ):
                result = bench.run(messages, host=controller.hostname, port=controller.port)
        finally:
            controller.stop()
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(result.kinds.items()))
        states = ", ".join(f"{n} {state}" for state, n in sorted(result.states.items()))
        self.stdout.write(f"Database: {vendor}. Sent {result.sent} messages by SMTP ({kinds}).")
        self.stdout.write(f"Stored and processed in {result.seconds:.1f} s: {result.per_second:.1f} messages/s.")
        self.stdout.write(
            f"CPU time of this process (client, listener, processing): {result.cpu_seconds:.1f} s; "
            f"the rest of the time is the database's own work and waiting for a core."
        )
        self.stdout.write(f"States: {states}.")
        for inbound in result.poisoned:
            self.stdout.write(f"Poisoned message {inbound.pk}: {inbound.state} — {inbound.reason}")
        quarantined = result.states.get(InboundState.QUARANTINED, 0)
        flowed = result.states.get(InboundState.PROCESSED, 0) + result.states.get(InboundState.IGNORED, 0)
        ok = (
            len(result.poisoned) == 1
            and result.poisoned[0].state == InboundState.QUARANTINED
            and quarantined == 1
            and flowed == result.sent - 1
        )
        if not ok:
            self.stderr.write("Not every message flowed, or the poisoned one was not quarantined.")
            raise SystemExit(1)
