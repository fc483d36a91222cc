"""Mail no person wrote to us (RFC 3834): auto-replies, bulk and list mail, mail-system
messages and delivery-status reports. Such mail is stored as ignored with the reason — never
added to a ticket (an out-of-office note would reopen a pending ticket and bother its assignee)
and never answered, so two robots cannot write to each other for ever."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from tickets.mail.parsing import ParsedMail
from tickets.mail.reasons import Said

_MAIL_SYSTEM_SENDERS = {"mailer-daemon", "postmaster"}
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


@dataclass(frozen=True)
class Noise:
    kind: str  # "bounce", "auto-reply", "bulk", "list", "mail-system"
    reason: Said


def classify(mail: ParsedMail) -> Noise | None:
    """Why ``mail`` is not from a person writing to us, or None when it is."""
    if mail.is_delivery_report:
        return Noise("bounce", failed_for(mail.failed_recipients))
    auto_submitted = mail.header("auto-submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return Noise(
            "auto-reply",
            Said(gettext_noop("Automatic message (Auto-Submitted: %(value)s)."), {"value": auto_submitted}),
        )
    for name in ("x-autoreply", "x-autorespond"):
        if mail.header(name):
            return Noise(
                "auto-reply", Said(gettext_noop("Automatic reply (%(header)s header)."), {"header": name.title()})
            )
    precedence = mail.header("precedence").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return Noise("bulk", Said(gettext_noop("Bulk mail (Precedence: %(value)s)."), {"value": precedence}))
    if mail.header("list-id"):
        list_id = mail.header("list-id").strip()[:200]
        return Noise("list", Said(gettext_noop("Mailing-list mail (List-Id: %(value)s)."), {"value": list_id}))
    local = mail.sender.rpartition("@")[0]
    if local in _MAIL_SYSTEM_SENDERS:
        return Noise(
            "mail-system", Said(gettext_noop("Mail from a mail system (%(address)s)."), {"address": mail.sender})
        )
    return None


def failed_for(addresses: list[str]) -> Said:
    """A delivery-status report's reason: the addresses it says failed."""
    if not addresses:
        return Said(gettext_noop("Delivery-status report (bounce): it names no recipient that failed."))
    return Said(
        gettext_noop("Delivery-status report (bounce): failed for %(addresses)s."), {"addresses": ", ".join(addresses)}
    )
