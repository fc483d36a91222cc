"""manage.py sla_sweep [--batch N]

Marks every running SLA clock whose breach time has passed as breached (history event,
notifications and the policy's breach actions, once each), warns about those breaching within
their policy's warning time, and takes the SLA off tickets whose policy was turned off. For cron,
where no Celery beat runs (beat runs the same job every minute). Safe to run from several hosts
at once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from tickets.sla.sweeper import sweep_sla


class Command(BaseCommand):
    help = "Mark due SLA clocks breached, escalate them, and warn about those breaching soon."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="Clocks locked and handled per transaction.")

    def handle(self, *args: object, **options: object) -> None:
        batch = options["batch"]
        assert isinstance(batch, int)
        result = sweep_sla(batch=max(1, batch))
        self.stdout.write(
            f"{result.breached} breached, {result.warned} warned, {result.escalated} escalated, "
            f"{result.retired} tickets off their policy"
        )
