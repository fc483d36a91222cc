"""The SMTP/LMTP door (aiosmtpd): a mail server relays to it, it stores each message (store
first) and answers.

- ``RCPT TO`` an address that is no mailbox of ours, nor a plus-address of one: ``550``.
- A message over ``HELPDESK_INBOUND_MAX_BYTES``: ``552`` (aiosmtpd's size limit, also announced
  in EHLO's ``SIZE``).
- Stored (or a duplicate of a stored message): ``250``; processing follows after the commit.
- The database cannot be written: ``451`` — the sending server keeps the message and retries.

Run it on the loopback address or a private network behind the real mail server (Postfix), never
open to the internet: it does no spam filtering and no TLS of its own.
"""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from tickets.mail import intake
from tickets.mail.mailboxes import is_ours
from tickets.mail.models import Door

log = logging.getLogger("tickets.mail")


def _in_thread(function: Any) -> Any:
    """Run a database function from the event loop on a worker thread, with fresh connections."""

    def call(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=False)


class MailHandler:
    """aiosmtpd handler: checks recipients, stores messages."""

    def __init__(self, *, lmtp: bool = False):
        self.lmtp = lmtp

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        try:
            ours = await _in_thread(is_ours)(address)
        except Exception:
            log.exception("Could not check recipient %s", address)
            return "451 4.3.0 Temporary failure, please try again later"
        if not ours:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            received = await _in_thread(intake.receive)(
                raw,
                door=Door.SMTP,
                envelope_sender=envelope.mail_from or "",
                envelope_recipients=list(envelope.rcpt_tos),
            )
        except Exception:
            log.exception("Could not store a message from %s", envelope.mail_from)
            answer = "451 4.3.0 Temporary failure, please try again later"
        else:
            what = "stored" if received.created else "already stored"
            answer = f"250 2.0.0 Message accepted ({what} as {received.inbound.pk})"
        if self.lmtp:  # LMTP answers DATA once per recipient
            return "\r\n".join([answer] * max(1, len(envelope.rcpt_tos)))
        return answer


class MailController(Controller):
    """aiosmtpd's threaded controller serving SMTP, or LMTP with ``lmtp=True``."""

    def __init__(self, hostname: str, port: int, *, lmtp: bool = False):
        self.lmtp = lmtp
        super().__init__(
            MailHandler(lmtp=lmtp),
            hostname=hostname,
            port=port,
            data_size_limit=settings.HELPDESK_INBOUND_MAX_BYTES,
            decode_data=False,
            server_hostname=hostname if hostname not in ("", "0.0.0.0", "::") else None,  # noqa: S104
            ready_timeout=10,
        )

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)
