"""``manage.py generate_tickets --tickets N``: add N synthetic tickets for benchmarks and demos."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from tickets.generate import DEFAULT_PASSWORD, generate


class Command(BaseCommand):
    help = (
        "Add N synthetic tickets to whatever exists: conversations, internal notes, history events and the "
        "permission rows a real ticket has. Creates on first use (and reuses later) the customers, organizations, "
        "agents and teams they need, scaled to N (1M tickets: 100k customers, 5k organizations, 200 agents, "
        "20 teams). Streams batch by batch (COPY on PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True, help="How many tickets to add.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (same seed and anchor: same data).")
        parser.add_argument("--batch", type=int, default=10_000, help="Tickets per transaction (default 10000).")
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="PostgreSQL: connections loading batches while the next ones are generated (0: load inline).",
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of the people created (default {DEFAULT_PASSWORD!r}); '' makes accounts that cannot sign in.",
        )
        parser.add_argument(
            "--anchor",
            help="The 'now' of the generated history, ISO 8601 (default: the current minute). Activity ends before it.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(
        self,
        *args,
        tickets: int,
        seed: int,
        batch: int,
        workers: int,
        password: str,
        anchor: str | None,
        no_progress: bool,
        **options,
    ):
        if tickets < 0:
            raise CommandError("--tickets must be zero or more.")
        if workers < 0:
            raise CommandError("--workers must be zero or more.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        when = None
        if anchor:
            try:
                when = datetime.fromisoformat(anchor)
            except ValueError:
                raise CommandError(f"--anchor {anchor!r} is not an ISO 8601 date or time.") from None
        summary = generate(
            tickets,
            seed=seed,
            batch_size=batch,
            workers=workers,
            password=password or None,
            anchor=when,
            progress=not no_progress and options.get("verbosity", 1) > 0,
            log=lambda line: self.stdout.write(line) if options.get("verbosity", 1) > 0 else None,
        )
        self.stdout.write(summary.line())
        if summary.logins and options.get("verbosity", 1) > 0:
            signin = ", ".join(f"{label}: {email}" for label, email in summary.logins.items())
            shown = "the password given with --password" if password != DEFAULT_PASSWORD else repr(password)
            self.stdout.write(f"sign in as {signin} (password {shown if password else 'unusable'})")
