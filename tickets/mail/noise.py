"""Mail no person wrote to us (RFC 3834): auto-replies, bulk and list mail, mail-system
messages and delivery-status reports. Such mail is stored as ignored with the reason — never
added to a ticket (an out-of-office note would reopen a pending ticket and bother its assignee)
and never answered, so two robots cannot write to each other for ever."""

from __future__ import annotations

from dataclasses import dataclass

from tickets.mail.parsing import ParsedMail

_MAIL_SYSTEM_SENDERS = {"mailer-daemon", "postmaster"}
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


@dataclass(frozen=True)
class Noise:
    kind: str  # "bounce", "auto-reply", "bulk", "list", "mail-system"
    reason: str


def classify(mail: ParsedMail) -> Noise | None:
    """Why ``mail`` is not from a person writing to us, or None when it is."""
    if mail.is_delivery_report:
        failed = ", ".join(mail.failed_recipients) or "no recipient named"
        return Noise("bounce", f"Delivery-status report (bounce): failed for {failed}.")
    auto_submitted = mail.header("auto-submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return Noise("auto-reply", f"Automatic message (Auto-Submitted: {auto_submitted}).")
    for name in ("x-autoreply", "x-autorespond"):
        if mail.header(name):
            return Noise("auto-reply", f"Automatic reply ({name.title()} header).")
    precedence = mail.header("precedence").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return Noise("bulk", f"Bulk mail (Precedence: {precedence}).")
    if mail.header("list-id"):
        return Noise("list", f"Mailing-list mail (List-Id: {mail.header('list-id').strip()[:200]}).")
    local = mail.sender.rpartition("@")[0]
    if local in _MAIL_SYSTEM_SENDERS:
        return Noise("mail-system", f"Mail from a mail system ({mail.sender}).")
    return None
