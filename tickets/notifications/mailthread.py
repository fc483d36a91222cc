"""A ticket's email thread: its signed reply address and the Message-IDs of its mail.

Outbound notifications (``email``) carry a random Message-ID stored here, ``In-Reply-To`` and
``References`` for the ticket's thread, and ``Reply-To`` the ticket's reply address,
``support+t123.<signature>@domain`` on the domain of ``HELPDESK_INBOUND_ADDRESS``. The
signature is an HMAC of the ticket id under a key derived from ``SECRET_KEY``, so the address of
one ticket cannot be made from another's. The email channel (``tickets.mail``) reads both back
to find the ticket a reply belongs to.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.addresses import normalize_email
from tickets.models import MailThreadId

_SALT = "helpdesk.mail.reply-address"
SIGNATURE_LENGTH = 10  # hex digits: 40 bits, checked in constant time
_TOKEN = re.compile(r"^t(\d{1,12})\.([0-9a-f]{" + str(SIGNATURE_LENGTH) + r"})$")
_ID = re.compile(r"<([^<>\s]{1,498})>")
#: How many Message-IDs of the thread a notification names in References (the root, the first, the latest).
_REFERENCES = 3


def inbound_address() -> str:
    """The default mailbox's address in the desk's normal form."""
    return normalize_email(settings.HELPDESK_INBOUND_ADDRESS)


def mail_domain() -> str:
    """The domain our Message-IDs end in: the site's host name."""
    return urlsplit(settings.HELPDESK_SITE_URL).hostname or "helpdesk.local"


def reply_signature(ticket_id: int) -> str:
    return salted_hmac(_SALT, str(ticket_id), algorithm="sha256").hexdigest()[:SIGNATURE_LENGTH]


def reply_address(ticket_id: int, base: str | None = None) -> str:
    """Ticket ``ticket_id``'s signed reply address, on ``base`` (default: the default mailbox)."""
    local, _, domain = (base or inbound_address()).rpartition("@")
    return f"{local}+t{ticket_id}.{reply_signature(ticket_id)}@{domain}"


def split_plus_address(address: str) -> tuple[str, str]:
    """``(base address, tag)`` of ``local+tag@domain``; the tag is "" for a plain address."""
    address = normalize_email(address)
    local, _, domain = address.rpartition("@")
    base, _, tag = local.partition("+")
    return f"{base}@{domain}", tag


def ticket_id_from_reply_address(address: str) -> int | None:
    """The ticket whose signed reply address ``address`` is, or None (no tag, a bad signature)."""
    _, tag = split_plus_address(address)
    match = _TOKEN.match(tag)
    if match is None:
        return None
    ticket_id = int(match.group(1))
    return ticket_id if constant_time_compare(match.group(2), reply_signature(ticket_id)) else None


def new_message_id(ticket_id: int) -> str:
    """A fresh Message-ID (without angle brackets) for mail about ticket ``ticket_id``."""
    return f"t{ticket_id}.{secrets.token_hex(8)}@{mail_domain()}"


def message_ids(header_value: object) -> list[str]:
    """The Message-IDs (without angle brackets) named in a header value, in order."""
    return _ID.findall(str(header_value or ""))


def clean_message_id(header_value: object) -> str:
    """A message's own Message-ID without brackets ("" when it has none usable)."""
    found = message_ids(header_value)
    if found:
        return found[0]
    bare = str(header_value or "").strip().strip("<>").strip()
    return bare[:498] if bare and not any(ch.isspace() for ch in bare) else ""


def thread_headers(ticket_id: int) -> dict[str, str]:
    """``In-Reply-To`` and ``References`` for the next mail about ticket ``ticket_id``: it answers
    the thread's newest message (the customer's own email first of all), so mail clients show
    the whole conversation as one thread."""
    root = f"<ticket-{ticket_id}@{mail_domain()}>"
    ids = list(
        MailThreadId.objects.filter(ticket_id=ticket_id)
        .order_by("-created_at", "-id")
        .values_list("message_id", flat=True)[:1]
    )
    first = list(
        MailThreadId.objects.filter(ticket_id=ticket_id)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)[:1]
    )
    references = [root, *(f"<{value}>" for value in dict.fromkeys(first + ids))][:_REFERENCES]
    return {"In-Reply-To": references[-1], "References": " ".join(references)}


def remember(ticket_id: int, message_id: str, *, outbound: bool) -> None:
    """Store ``message_id`` as part of ticket ``ticket_id``'s thread."""
    if message_id:
        MailThreadId.objects.create(ticket_id=ticket_id, message_id=message_id[:500], outbound=outbound)
