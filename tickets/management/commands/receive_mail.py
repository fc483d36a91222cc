"""manage.py receive_mail --stdin | --smtp HOST:PORT | --lmtp HOST:PORT | --imap: the email channel's doors.

``--stdin`` reads one RFC 5322 message from standard input (a Postfix ``pipe`` transport, a
script) and exits 0 once it is stored — also for a duplicate, or a message over the size limit,
which is kept quarantined — and 75 (EX_TEMPFAIL) when it could not be stored, so the mail server
keeps the message and tries again. ``--smtp``/``--lmtp`` listen until stopped (Ctrl-C, SIGTERM).
``--imap`` polls every active mailbox with IMAP settings (``tickets.mail.imap``) every
``--interval`` seconds until stopped (or ``--max-polls`` passes), or once with ``--once`` (exit 1
when a mailbox failed); with ``--idle`` it waits between passes with IMAP IDLE, so new mail is
fetched as soon as the server announces it (and at the latest after ``--interval`` seconds).
"""

from __future__ import annotations

import hashlib
import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

EX_TEMPFAIL = 75
EX_USAGE = 64


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"Give HOST:PORT, e.g. 127.0.0.1:2525 (not {value!r}).")
    return host.strip("[]"), int(port)


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM (signals reach only the main thread: a command run from
    another thread, as in the tests, stops by its own limits)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    return stop


class Command(BaseCommand):
    help = "Take email in: one message on standard input, or an SMTP/LMTP listener."
    stealth_options = ("stdin_source",)

    def add_arguments(self, parser):
        door = parser.add_mutually_exclusive_group(required=True)
        door.add_argument("--stdin", action="store_true", help="Read one message from standard input.")
        door.add_argument("--smtp", metavar="HOST:PORT", help="Listen for SMTP, e.g. 127.0.0.1:2525.")
        door.add_argument("--lmtp", metavar="HOST:PORT", help="Listen for LMTP, e.g. 127.0.0.1:2424.")
        door.add_argument("--imap", action="store_true", help="Poll the mailboxes that have IMAP settings.")
        parser.add_argument("--once", action="store_true", help="With --imap: one pass, then exit.")
        parser.add_argument(
            "--interval", type=int, default=60, help="With --imap: seconds between passes (default 60)."
        )
        parser.add_argument(
            "--max-polls",
            type=int,
            default=0,
            help="With --imap: stop after this many passes (default: until stopped).",
        )
        parser.add_argument(
            "--idle",
            action="store_true",
            help="With --imap: wait with IMAP IDLE for new mail between passes (at most --interval seconds).",
        )
        parser.add_argument("--sender", default="", help="The envelope sender (Postfix: ${sender}).")
        parser.add_argument(
            "--recipient", action="append", default=[], help="An envelope recipient (Postfix: ${original_recipient})."
        )

    def handle(self, *args, stdin, smtp, lmtp, imap, once, interval, max_polls, idle, sender, recipient, **options):
        if stdin:
            self._stdin(sender, recipient)
        elif imap:
            self._imap(once=once, interval=interval, max_polls=1 if once else max_polls, idle=idle)
        else:
            self._listen(smtp or lmtp, lmtp=bool(lmtp))

    def _stdin(self, sender: str, recipients: list[str]) -> None:
        from tickets.mail import intake
        from tickets.mail.models import Door

        limit = settings.HELPDESK_INBOUND_MAX_BYTES
        source: Any = getattr(self.stdin_source, "buffer", self.stdin_source)
        kept = bytearray()
        digest = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8", errors="surrogateescape")
            digest.update(chunk)
            size += len(chunk)
            if len(kept) <= limit:
                kept += chunk[: limit + 1 - len(kept)]
        if size == 0:
            self.stderr.write("receive_mail: standard input was empty; nothing stored.")
            raise SystemExit(EX_USAGE)
        try:
            received = intake.receive(
                bytes(kept),
                door=Door.STDIN,
                envelope_sender=sender,
                envelope_recipients=recipients,
                size=size,
                sha256=digest.hexdigest(),
            )
        except Exception as exc:  # the database is away, full, locked: the mail server retries
            self.stderr.write(f"receive_mail: could not store the message ({type(exc).__name__}: {exc}); try again.")
            raise SystemExit(EX_TEMPFAIL) from None
        inbound = received.inbound
        inbound.refresh_from_db(fields=["state", "reason"])
        what = "Stored" if received.created else "Already stored"
        self.stdout.write(f"{what} as message {inbound.pk}: {inbound.state}. {inbound.reason}".strip())

    @property
    def stdin_source(self):
        return self._stdin_source if hasattr(self, "_stdin_source") else sys.stdin

    def execute(self, *args, **options):
        if "stdin_source" in options:  # call_command(..., stdin_source=io.BytesIO(...)) in tests
            self._stdin_source = options.pop("stdin_source")
        return super().execute(*args, **options)

    def _imap(self, *, once: bool, interval: int, max_polls: int, idle: bool) -> None:
        from tickets.mail import imap

        if interval < 1:
            raise CommandError("--interval must be at least 1 second.")
        if max_polls < 0:
            raise CommandError("--max-polls must be 0 (no limit) or more.")
        stop = _stop_on_signals() if not once else threading.Event()
        if not once:
            how = "waiting with IDLE up to" if idle else "every"
            self.stdout.write(f"Polling IMAP mailboxes, {how} {interval} s (Ctrl-C to stop).")
        polls = 0
        while True:
            passes = imap.poll_all()
            polls += 1
            for done in passes:
                line = f"{done.mailbox}: {done.stored} stored, {done.duplicates} already stored, {done.moved} moved."
                self.stdout.write(line)
                for error in done.errors:
                    self.stderr.write(f"{done.mailbox}: {error}")
            if not passes:
                self.stdout.write("No active mailbox has IMAP settings.")
            self.stdout.flush()
            if once:
                if any(done.errors for done in passes):
                    raise SystemExit(1)
                return
            if stop.is_set() or (max_polls and polls >= max_polls):
                return
            if idle and passes:
                imap.wait_for_mail(interval, stop)
            elif stop.wait(interval):
                return
            if stop.is_set():
                return

    def _listen(self, where: str, *, lmtp: bool) -> None:
        from tickets.mail.smtp import MailController

        host, port = _host_port(where)
        controller = MailController(host, port, lmtp=lmtp)
        controller.start()
        kind = "LMTP" if lmtp else "SMTP"
        self.stdout.write(f"Taking mail by {kind} on {host}:{port} (Ctrl-C to stop).")
        self.stdout.flush()
        stop = _stop_on_signals()
        try:
            stop.wait()
        finally:
            controller.stop()
