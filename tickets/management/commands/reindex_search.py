"""manage.py reindex_search: reindex every ticket in the search backend (HELPDESK_SEARCH_BACKEND;
by default the PostgreSQL search documents).

Services keep the index current as tickets change; run this after changing
HELPDESK_SEARCH_CONFIG or the backend, after loading tickets around the services (a restore, a
bulk import), or to repair. Works in batches, each its own transaction, so the desk stays usable
meanwhile.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from tickets import search
from tickets.models import Ticket


class Command(BaseCommand):
    help = (
        "Reindex all tickets in the search backend (by default: rebuild the PostgreSQL full-text "
        "documents; does nothing on SQLite)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5_000, help="Tickets per transaction (default 5000).")

    def handle(self, *args, batch: int, **options):
        if not search.enabled():
            self.stdout.write("This database has no search documents (search uses LIKE on SQLite); nothing to do.")
            return
        if batch < 1:
            self.stderr.write("--batch must be at least 1.")
            raise SystemExit(2)
        done = 0
        last = 0
        while True:
            ids = list(Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            with transaction.atomic():
                search.index_tickets(ids)
            done += len(ids)
            last = ids[-1]
            if options.get("verbosity", 1) > 1:
                self.stdout.write(f"{done:,} tickets")
        self.stdout.write(f"Rebuilt the search documents of {done:,} ticket{'s' if done != 1 else ''}.")
