"""Mail the desk sends back about a message itself: the files it brought that were not accepted.

The ticket already lists them (``content.with_refusals``); the sender is also told by mail, in
their language, so they can send the files again another way. Loop safety (RFC 3834): only a
message from a person gets a notice — auto-replies, bounces, list and mail-system mail are
ignored before processing reaches here, and this is checked again — and the notice itself is
marked ``Auto-Submitted: auto-replied`` with a Message-ID we remember, so an answering robot
stays quiet and a notice that comes back is recognised as our own. Sent after the commit, so a
message whose processing rolled back (and was quarantined) has told nobody anything.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.languages import speaking_to
from accounts.models import User
from tickets import permissions
from tickets.mail import noise
from tickets.mail.parsing import ParsedMail
from tickets.models import Ticket
from tickets.notifications import mailthread

log = logging.getLogger("tickets.mail")


def refused_files_later(*, mail: ParsedMail, sender: User, ticket: Ticket, refused: list[tuple[str, str]]) -> None:
    """Tell ``sender`` by mail, once the transaction commits, which of their files ``ticket`` did
    not take (``refused``: name and reason, already in their language)."""
    if not refused or noise.classify(mail) is not None or not sender.email:
        return
    transaction.on_commit(
        partial(_send_refused, sender.pk, ticket.pk, list(refused), mail.message_id, list(mail.references)),
        robust=True,
    )


def _send_refused(
    sender_id: int, ticket_id: int, refused: list[tuple[str, str]], answering: str, references: list[str]
) -> None:
    sender = User.objects.filter(pk=sender_id, is_active=True, email_bouncing_since__isnull=True).first()
    if sender is None:  # gone, or its address bounces: no mail to it
        return
    site = settings.HELPDESK_SITE_URL.rstrip("/")
    with speaking_to(sender):
        subject = _("[#%(number)s] Some files in your email were not accepted") % {"number": ticket_id}
        lines = [
            _("Hello %(name)s,") % {"name": sender.get_short_name()},
            "",
            _("your email reached ticket #%(number)s, but these files were not accepted and are not on the ticket:")
            % {"number": ticket_id},
            "",
            *(f"- {name}: {reason}" for name, reason in refused),
            "",
            _(
                "You can send them again in another format or a smaller size, by replying to this email or on the ticket page:"
            ),
            f"{site}{permissions.ticket_path_for(sender, ticket_id)}",
        ]
    message_id = mailthread.new_message_id(ticket_id)
    thread = [f"<{value}>" for value in [*references[-4:], answering] if value]
    headers = {"Message-ID": f"<{message_id}>", "Auto-Submitted": "auto-replied", "X-Helpdesk-Ticket": str(ticket_id)}
    if answering:
        headers |= {"In-Reply-To": f"<{answering}>", "References": " ".join(dict.fromkeys(thread))}
    notice = EmailMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        to=[sender.email],
        reply_to=[mailthread.reply_address(ticket_id)],
        headers=headers,
    )
    try:
        notice.send()
    except Exception:
        log.exception("Could not mail the refused-files notice for ticket %s", ticket_id)
        return
    mailthread.remember(ticket_id, message_id, outbound=True)
