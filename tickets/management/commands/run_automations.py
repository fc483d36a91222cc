"""manage.py run_automations: run the active automations once (issue 16).

Celery beat runs them every five minutes (``make worker``); run this from cron instead where no
worker runs. Several may run at once: each ticket is acted on by one of them.
"""

from django.core.management.base import BaseCommand

from tickets import automations


class Command(BaseCommand):
    help = "Run the active automations once (each acts on a ticket at most once per condition window)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=200, help="Tickets locked per transaction.")

    def handle(self, *args, batch, **options):
        if batch < 1:
            self.stderr.write("--batch must be at least 1.")
            raise SystemExit(2)
        for name, count in automations.run_automations(batch=batch).items():
            self.stdout.write(f"{name}: acted on {count} ticket{'s' if count != 1 else ''}.")
