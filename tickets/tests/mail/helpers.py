"""Shared set-up for the email channel's tests: a small desk with a thread to reply to, and the
corpus of ``.eml`` files (``corpus/``) with their placeholders filled in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.core import mail as django_mail
from django.utils import timezone

from accounts.models import User
from tickets import services
from tickets.models import MailThreadId, Ticket
from tickets.notifications.mailthread import reply_address

CORPUS = Path(__file__).parent / "corpus"


@dataclass
class Desk:
    customer: User
    org_member: User
    other_customer: User
    agent: User
    ticket: Ticket  # Ada's ticket (Billing), answered by the agent by email
    other_ticket: Ticket  # Eve's ticket
    closed_ticket: Ticket  # Ada's earlier ticket, closed
    outbound_id: str  # the Message-ID of the agent's reply as mailed to Ada

    def fill(self, raw: bytes) -> bytes:
        values = {
            "ticket": str(self.ticket.pk),
            "reply_address": reply_address(self.ticket.pk),
            "outbound_id": self.outbound_id,
            "eve_ticket": str(self.other_ticket.pk),
            "closed_ticket": str(self.closed_ticket.pk),
            "closed_reply_address": reply_address(self.closed_ticket.pk),
        }
        for name, value in values.items():
            raw = raw.replace(b"{{" + name.encode() + b"}}", value.encode())
        return raw

    def eml(self, name: str) -> bytes:
        return self.fill((CORPUS / name).read_bytes())


def make_desk(committed, customer, org_member, other_customer, agent, ticket) -> Desk:
    """Build the desk through services, with their after-commit effects (the mail) run."""
    committed(services.message_add, actor=agent, ticket=ticket, body="Please clear the browser cache and try again.")
    other_ticket = committed(
        services.ticket_create,
        actor=other_customer,
        subject="Globex delivery dates",
        description="When will the next delivery to our Globex site arrive?",
    )
    closed = committed(
        services.ticket_create,
        actor=customer,
        subject="Old order question",
        description="An older question that was answered and closed already.",
    )
    committed(services.ticket_change_status, actor=agent, ticket=closed, status="solved")
    services.ticket_autoclose(now=timezone.now() + timedelta(days=30), ticket_ids=[closed.pk])
    closed.refresh_from_db()
    assert closed.status == "closed"
    outbound = MailThreadId.objects.filter(ticket=ticket, outbound=True).order_by("-created_at", "-id").first()
    assert outbound is not None, "the agent's reply was mailed to the requester with a stored Message-ID"
    django_mail.outbox.clear()
    return Desk(customer, org_member, other_customer, agent, ticket, other_ticket, closed, outbound.message_id)
