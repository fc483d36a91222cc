"""The IMAP door: ``manage.py receive_mail --imap`` polls each active mailbox with IMAP settings.

One pass over a mailbox: sign in, list the unseen messages of INBOX, and for each fetch its exact
bytes (``BODY.PEEK[]``, so fetching alone marks nothing), store them through ``intake.receive``
(store first: the row is committed before the server is touched again) and only then move the
message to the ``Processed`` folder (created when missing). A message that could not be stored
stays unseen in INBOX and is fetched on the next pass; a repeated fetch (the move failed after
the store) is a duplicate to ``intake`` and stores nothing new. One mailbox failing (wrong
password, server away) is reported and does not stop the others.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted

from tickets.mail import credentials, intake
from tickets.mail.models import Door, ImapSecurity, Mailbox

log = logging.getLogger("tickets.mail")

PROCESSED_FOLDER = "Processed"
TIMEOUT = 60  # seconds, for each network operation
IDLE_SLICE = 1.0  # seconds: IDLE is renewed this often, so a stop or the deadline is noticed soon


@dataclass
class Pass:
    mailbox: str
    stored: int = 0
    duplicates: int = 0
    moved: int = 0
    errors: list[str] = field(default_factory=list)


def _connect(mailbox: Mailbox) -> BaseMailBox:
    port = mailbox.imap_port_or_default
    if mailbox.imap_security == ImapSecurity.SSL:
        return MailBox(mailbox.imap_host, port, timeout=TIMEOUT)
    if mailbox.imap_security == ImapSecurity.STARTTLS:
        return MailBoxStartTls(mailbox.imap_host, port, timeout=TIMEOUT)
    return MailBoxUnencrypted(mailbox.imap_host, port, timeout=TIMEOUT)


def _raw(client: BaseMailBox, uid: str) -> bytes | None:
    status, data = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def poll(mailbox: Mailbox) -> Pass:
    """One pass over ``mailbox``'s INBOX (see the module's docstring)."""
    result = Pass(mailbox.address)
    password = credentials.reveal(mailbox.imap_password_encrypted)
    if password is None:
        result.errors.append(
            "The IMAP password cannot be read (none set, or SECRET_KEY changed): set it again in Settings → Mailboxes."
        )
        return result
    try:
        with _connect(mailbox).login(mailbox.imap_username, password, initial_folder="INBOX") as client:
            if not client.folder.exists(PROCESSED_FOLDER):
                client.folder.create(PROCESSED_FOLDER)
            for uid in client.uids(AND(seen=False)):
                raw = _raw(client, uid)
                if raw is None:
                    result.errors.append(f"Message UID {uid} could not be fetched; left in INBOX.")
                    continue
                try:
                    received = intake.receive(raw, door=Door.IMAP)
                except Exception as exc:  # the database is away: leave it on the server for the next pass
                    log.exception("Could not store message UID %s of %s", uid, mailbox.address)
                    result.errors.append(
                        f"Message UID {uid} could not be stored ({type(exc).__name__}); left in INBOX."
                    )
                    continue
                if received.created:
                    result.stored += 1
                else:
                    result.duplicates += 1
                client.move(uid, PROCESSED_FOLDER)
                result.moved += 1
    except Exception as exc:  # sign-in refused, server away, TLS: report it, go on with the others
        log.warning("IMAP polling of %s failed: %s", mailbox.address, exc)
        result.errors.append(f"{type(exc).__name__}: {exc}")
    return result


def poll_all() -> list[Pass]:
    """One pass over every active mailbox that has IMAP settings."""
    return [poll(mailbox) for mailbox in Mailbox.objects.filter(active=True).exclude(imap_host="").order_by("pk")]


def wait_for_mail(seconds: float, stop: threading.Event) -> bool:
    """Wait with IMAP IDLE (RFC 2177) on the INBOX of every polled mailbox until a server
    announces a change, ``stop`` is set or ``seconds`` pass; True when a server announced one.
    A mailbox that cannot IDLE (sign-in refused, no IDLE support) is only polled: when none can,
    this is a plain wait."""
    mailboxes = [m for m in Mailbox.objects.filter(active=True).exclude(imap_host="").order_by("pk") if m.polls_imap]
    woke = threading.Event()
    deadline = time.monotonic() + seconds

    def watch(mailbox: Mailbox) -> None:
        password = credentials.reveal(mailbox.imap_password_encrypted)
        if password is None:
            return
        try:
            with _connect(mailbox).login(mailbox.imap_username, password, initial_folder="INBOX") as client:
                client.client.untagged_responses.clear()  # what SELECT said: the state we wait to change
                while not (woke.is_set() or stop.is_set()):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    if _idle_slice(client, min(left, IDLE_SLICE)):
                        woke.set()
        except Exception as exc:
            log.warning("IMAP IDLE on %s failed (polling only): %s", mailbox.address, exc)

    watchers = [threading.Thread(target=watch, args=(m,), name=f"imap-idle-{m.pk}", daemon=True) for m in mailboxes]
    for watcher in watchers:
        watcher.start()
    while not (woke.is_set() or stop.is_set()) and any(w.is_alive() for w in watchers):
        woke.wait(0.1)
    if not (woke.is_set() or stop.is_set()):  # nobody could IDLE: wait out the interval
        stop.wait(max(0.0, deadline - time.monotonic()))
    for watcher in watchers:
        watcher.join(TIMEOUT)
    return woke.is_set()


def _idle_slice(client: BaseMailBox, seconds: float) -> bool:
    """One IDLE of ``seconds``: True when new mail was announced — during it, or in the answers
    to its start and end (a server tells what happened between two IDLEs with the next reply)."""
    client.idle.start()
    try:
        said = client.idle.poll(timeout=seconds)
    finally:
        _, more = client.idle.stop()
    lines = [line for line in [*said, *more] if isinstance(line, bytes)]
    announced = client.client.untagged_responses.pop("EXISTS", None)
    client.client.untagged_responses.clear()
    return bool(announced) or any(b"EXISTS" in line or b"RECENT" in line for line in lines)
