"""manage.py close_solved_tickets [--days N]: close tickets solved more than N days ago.

Runs the desk's own auto-close automation (``tickets.automations``) now; ``manage.py
run_automations`` (or Celery beat) runs it with every other automation.
"""

from django.core.management.base import BaseCommand

from tickets import services


class Command(BaseCommand):
    help = "Close tickets that have been solved for HELPDESK_AUTOCLOSE_DAYS (or --days) days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days, **options):
        if days is not None and days < 1:
            self.stderr.write("--days must be at least 1.")
            raise SystemExit(2)
        closed = services.ticket_autoclose(days=days)
        self.stdout.write(f"Closed {closed} solved ticket{'s' if closed != 1 else ''}.")
