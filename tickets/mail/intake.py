"""Store first: every door hands a raw message to ``receive``, which saves it (once) and then
schedules its processing for after the commit.

A repeated delivery — the same bytes, or the same Message-ID to the same mailbox — stores nothing
new and is answered like the first (accepted). Nothing here can fail because of the message's
content: only a database that cannot be written is an error (the doors answer "try again later").
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.addresses import normalize_email
from tickets.mail import parsing, reasons
from tickets.mail.mailboxes import choose_mailbox
from tickets.mail.models import InboundMessage, InboundState
from tickets.mail.reasons import Said
from tickets.notifications.mailthread import clean_message_id

log = logging.getLogger("tickets.mail")


@dataclass(frozen=True)
class Received:
    inbound: InboundMessage
    created: bool  # False: a duplicate of a message stored before


def receive(
    raw: bytes,
    *,
    door: str,
    envelope_sender: str = "",
    envelope_recipients: Iterable[str] = (),
    size: int | None = None,
    sha256: str | None = None,
) -> Received:
    """Store ``raw`` as it arrived through ``door`` and schedule its processing after commit.

    ``size`` and ``sha256`` describe the whole message when ``raw`` holds only part of it (a door
    that stopped reading at the size limit). A message over ``HELPDESK_INBOUND_MAX_BYTES`` keeps
    only its header block and is quarantined at once, with the reason.
    """
    size = len(raw) if size is None else size
    digest = sha256 or hashlib.sha256(raw).hexdigest()
    limit = settings.HELPDESK_INBOUND_MAX_BYTES
    too_large = size > limit
    refused = [reasons.too_large(size, limit), Said(gettext_noop("Only its headers were kept."))] if too_large else []
    stored = parsing.header_block(raw) if too_large else raw
    headers = parsing.headers_only(parsing.header_block(raw))
    recipients = [normalize_email(address) for address in envelope_recipients]
    message_id = clean_message_id(_header(headers, "message-id"))
    mailbox = choose_mailbox(
        recipients,
        _header_addresses(headers, "delivered-to"),
        _header_addresses(headers, "to"),
        _header_addresses(headers, "cc"),
    )
    existing = _duplicate_of(digest, mailbox.pk, message_id)
    if existing is not None:
        return Received(existing, False)
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                mailbox=mailbox,
                door=door,
                raw=stored,
                size=size,
                sha256=digest,
                message_id=message_id,
                envelope_sender=normalize_email(envelope_sender)[:320],
                envelope_recipients=recipients,
                received_at=timezone.now(),
                state=InboundState.QUARANTINED if too_large else InboundState.RECEIVED,
                reason=reasons.english(refused),
                reason_parts=reasons.parts(refused),
            )
            if not too_large:
                schedule(inbound.pk)
    except IntegrityError:  # the same message arrived twice at once: the other delivery stored it
        existing = _duplicate_of(digest, mailbox.pk, message_id)
        if existing is None:
            raise
        return Received(existing, False)
    return Received(inbound, True)


def _duplicate_of(digest: str, mailbox_id: int, message_id: str) -> InboundMessage | None:
    same = Q(sha256=digest)
    if message_id:
        same |= Q(mailbox_id=mailbox_id, message_id=message_id)
    return InboundMessage.objects.filter(same).defer("raw").order_by("pk").first()


def _header(headers, name: str) -> str:
    try:
        value = headers.get(name)
    except Exception:
        return ""
    return "" if value is None else str(value)


def _header_addresses(headers, name: str) -> list[str]:
    return [address for _, address in parsing.addresses(headers, name)]


# --- processing after commit ---------------------------------------------------------------------


def schedule(inbound_id: int) -> None:
    """Process message ``inbound_id`` once the transaction that stored it commits: on a Celery
    worker with a broker, in this process without one. A failure to queue loses nothing: the
    message stays "received" and ``manage.py process_mail`` picks it up."""
    transaction.on_commit(partial(_queue, inbound_id), robust=True)


def _queue(inbound_id: int) -> None:
    from tickets.mail import tasks

    try:
        tasks.process_inbound.delay(inbound_id)
    except Exception:
        log.exception("Could not queue inbound message %s for processing", inbound_id)
