"""Inbound mail throughput (``manage.py bench_mail``, ``make bench-mail``): a mix of messages
generated like a day of support mail, sent by SMTP to the listener (``tickets.mail.smtp``), each
stored and processed — a ticket, a reply, or ignored — before the listener answers 250.

The mix: new tickets from ``senders`` customers, replies threading to them (by ``In-Reply-To``,
some with quoted history below), a second ticket from some, out-of-office auto-replies, and one
*poisoned* message. Processing cannot be made to fail by content alone (it is built not to), so
the poisoned message carries an ``X-Bench-Poison`` header and the run injects a fault for it:
``processing`` raises on that message only. It must end quarantined with the reason while every
other message flows.
"""

from __future__ import annotations

import random
import secrets
import smtplib
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from django.utils import timezone

from tickets.mail import processing
from tickets.mail.models import InboundMessage

POISON_HEADER = b"X-Bench-Poison"
POISON_REASON = "Processing failed: RuntimeError: poisoned message (bench_mail's injected fault)"

_WORDS = [
    "invoice",
    "printer",
    "login",
    "password",
    "export",
    "report",
    "upload",
    "dashboard",
    "order",
    "shipment",
    "refund",
    "account",
    "screen",
    "error",
    "timeout",
    "backup",
    "email",
    "calendar",
    "license",
    "update",
    "install",
    "crash",
    "network",
    "VPN",
    "laptop",
]


@dataclass
class Generated:
    raw: bytes
    kind: str  # "new", "reply", "auto-reply", "poison"
    sender: str


@dataclass
class Result:
    sent: int
    seconds: float
    cpu_seconds: float = 0.0  # this process's CPU time (every thread): not stretched by a busy machine
    states: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    poisoned: list[InboundMessage] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def _mail(run: str, number: int, sender: str, name: str, subject: str, body: str, extra: str = "") -> bytes:
    return (
        f"From: {name} <{sender}>\r\nTo: support@localhost\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(timezone.now())}\r\nMessage-ID: <{run}.{number}@bench.test>\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def generate(count: int = 1000, senders: int = 200, *, seed: int = 15) -> list[Generated]:
    """``count`` messages from ``senders`` customers, in an order where every reply follows the
    message it answers; one poisoned message in the middle."""
    rng = random.Random(seed)
    run = secrets.token_hex(4)  # fresh Message-IDs and senders: a run never repeats an earlier one
    people = [(f"customer{i}.{run}@bench.test", f"Customer {i}") for i in range(senders)]
    threads: dict[str, list[str]] = {}  # sender -> the Message-IDs of their thread so far
    out: list[Generated] = []
    number = 0
    poison_at = count // 2

    def add(kind: str, sender: str, raw: bytes) -> None:
        out.append(Generated(raw, kind, sender))

    for sender, name in people[: min(senders, count)]:
        number += 1
        words = " ".join(rng.choices(_WORDS, k=3))
        add("new", sender, _mail(run, number, sender, name, f"Trouble with {words}", _paragraph(rng)))
        threads[sender] = [f"{run}.{number}@bench.test"]
    while len(out) < count:
        number += 1
        sender, name = rng.choice(people)
        if len(out) == poison_at:
            extra = f"{POISON_HEADER.decode()}: 1\r\n"
            add("poison", sender, _mail(run, number, sender, name, "Poisoned message", _paragraph(rng), extra))
            continue
        roll = rng.random()
        if roll < 0.08:  # an out-of-office note answering our last mail
            extra = "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n"
            body = "I am out of the office until Monday and will read your message then."
            add("auto-reply", sender, _mail(run, number, sender, name, "Out of office", body, extra))
        elif roll < 0.10:  # a second, unrelated ticket
            words = " ".join(rng.choices(_WORDS, k=3))
            add("new", sender, _mail(run, number, sender, name, f"Another question: {words}", _paragraph(rng)))
            threads[sender].append(f"{run}.{number}@bench.test")
        else:  # a reply on the sender's thread, sometimes with the quoted history below
            thread = threads[sender]
            extra = f"In-Reply-To: <{thread[-1]}>\r\nReferences: {' '.join(f'<{i}>' for i in thread[-5:])}\r\n"
            body = _paragraph(rng)
            if rng.random() < 0.5:
                body += "\r\n\r\nOn Mon, 2 Mar 2026 at 09:00, Helpdesk <support@localhost> wrote:\r\n> " + _paragraph(
                    rng
                )
            add("reply", sender, _mail(run, number, sender, name, "Re: your ticket", body, extra))
            thread.append(f"{run}.{number}@bench.test")
    return out


def _paragraph(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(12, 60))
    return "The " + " ".join(words) + " does not work as expected since yesterday."


@contextmanager
def poison_fault() -> Iterator[None]:
    """While active, processing raises on a message carrying ``X-Bench-Poison``."""
    real = processing._handle

    def handle(inbound: InboundMessage, **kwargs: Any):
        if POISON_HEADER in bytes(inbound.raw).split(b"\r\n\r\n", 1)[0]:
            raise RuntimeError("poisoned message (bench_mail's injected fault)")
        return real(inbound, **kwargs)

    processing._handle = handle
    try:
        yield
    finally:
        processing._handle = real


@contextmanager
def profiled(path: str | None) -> Iterator[None]:
    """With a ``path``: a cProfile of the listener's work — storing and processing each message,
    on its worker thread — written to ``path`` (the messages come one at a time)."""
    if not path:
        yield
        return
    import cProfile

    from tickets.mail import intake

    profiler = cProfile.Profile()
    real = intake.receive

    def receive(*args: Any, **kwargs: Any):
        profiler.enable()
        try:
            return real(*args, **kwargs)
        finally:
            profiler.disable()

    intake.receive = receive
    try:
        yield
    finally:
        intake.receive = real
        profiler.dump_stats(path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(messages: list[Generated], *, host: str, port: int) -> Result:
    """Send ``messages`` by SMTP to the listener at ``host:port`` over one connection, in order
    (each is stored and processed before the 250); the states they ended in."""
    started_at = timezone.now()
    ids: list[str] = []
    with poison_fault():
        start, cpu_start = time.perf_counter(), time.process_time()
        with smtplib.SMTP(host, port, timeout=60) as client:
            for item in messages:
                client.sendmail(item.sender, ["support@localhost"], item.raw)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    for item in messages:
        ids.append(item.raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode())
    stored = InboundMessage.objects.filter(message_id__in=ids, received_at__gte=started_at)
    result = Result(sent=len(messages), seconds=seconds, cpu_seconds=cpu_seconds)
    result.kinds = Counter(item.kind for item in messages)
    result.states = Counter(stored.values_list("state", flat=True))
    result.poisoned = list(stored.filter(reason=POISON_REASON))
    return result
