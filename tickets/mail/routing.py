"""Which ticket a message answers, in this order (first match wins):

1. a signed reply address among its recipients (``support+t123.<signature>@``): it cannot be
   made for a ticket from another ticket's address;
2. one of our Message-IDs — of a notification we sent or an email the ticket got — in its
   ``In-Reply-To`` or ``References``, newest first;
3. a ``[#123]`` token in the subject.

A match is only a candidate: ``processing`` still asks the permission layer whether the sender
may reply on it, and opens a new ticket for the sender when not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tickets.mail.parsing import ParsedMail
from tickets.models import MailThreadId, Ticket
from tickets.notifications.mailthread import ticket_id_from_reply_address

SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")


@dataclass(frozen=True)
class Match:
    ticket: Ticket
    how: str  # "reply address", "Message-ID", "subject token"


def find_ticket(mail: ParsedMail, envelope_recipients: list[str]) -> Match | None:
    for address in [*envelope_recipients, *mail.delivered_to, *mail.to, *mail.cc]:
        ticket_id = ticket_id_from_reply_address(address)
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id).first()
            if ticket is not None:
                return Match(ticket, "reply address")
    answered = list(dict.fromkeys([*reversed(mail.in_reply_to), *reversed(mail.references)]))
    if answered:
        known = dict(
            MailThreadId.objects.filter(message_id__in=answered[:50])
            .order_by("created_at")
            .values_list("message_id", "ticket_id")
        )
        for message_id in answered:
            if message_id in known:
                ticket = Ticket.objects.filter(pk=known[message_id]).first()
                if ticket is not None:
                    return Match(ticket, "Message-ID")
    token = SUBJECT_TOKEN.search(mail.subject)
    if token is not None:
        ticket = Ticket.objects.filter(pk=int(token.group(1))).first()
        if ticket is not None:
            return Match(ticket, "subject token")
    return None


def is_our_own(mail: ParsedMail) -> bool:
    """Whether ``mail`` is a notification we sent, come back (its Message-ID is one of ours)."""
    return bool(mail.message_id) and MailThreadId.objects.filter(message_id=mail.message_id, outbound=True).exists()
