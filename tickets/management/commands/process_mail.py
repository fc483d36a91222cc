"""manage.py process_mail [--retry-quarantined] [--id N]: run the email pipeline on stored messages.

Without options: every message still waiting ("received": its job never ran, e.g. the worker was
down). ``--retry-quarantined`` also runs quarantined ones again (after a fix, or a flood that
passed); ``--id N`` runs one message, whatever its state short of done.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Process stored inbound email that is waiting (and, with --retry-quarantined, quarantined)."

    def add_arguments(self, parser):
        parser.add_argument("--retry-quarantined", action="store_true", help="Also run quarantined messages again.")
        parser.add_argument("--id", type=int, action="append", default=[], help="Only this message (repeatable).")

    def handle(self, *args, retry_quarantined, id, **options):
        from tickets.mail import processing
        from tickets.mail.models import InboundMessage, InboundState

        states = [InboundState.RECEIVED]
        if retry_quarantined or id:
            states.append(InboundState.QUARANTINED)
        pending = InboundMessage.objects.filter(state__in=states)
        if id:
            pending = pending.filter(pk__in=id)
        counts: dict[str, int] = {}
        for pk in pending.order_by("received_at", "pk").values_list("pk", flat=True).iterator(chunk_size=500):
            state = processing.process(pk, again=True)
            counts[state] = counts.get(state, 0) + 1
        summary = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or "nothing to do"
        self.stdout.write(f"Processed stored mail: {summary}.")
