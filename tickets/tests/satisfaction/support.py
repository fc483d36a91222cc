"""Shared steps of the satisfaction tests: solve a ticket as an agent, read its survey."""

from __future__ import annotations

from tickets import services
from tickets.models import Status
from tickets.satisfaction.models import SatisfactionRating


def solve(ticket, actor, *, reply: str | None = None):
    """Solve ``ticket`` as ``actor`` (with a public reply in the same step when given)."""
    if reply is not None:
        services.message_add(actor=actor, ticket=ticket, body=reply, status=Status.SOLVED)
    else:
        services.ticket_change_status(actor=actor, ticket=ticket, status=Status.SOLVED)
    ticket.refresh_from_db()
    return ticket


def survey(ticket) -> SatisfactionRating:
    """The survey of ``ticket``'s latest solve."""
    found = SatisfactionRating.objects.filter(ticket=ticket).order_by("-solve_event_id").first()
    assert found is not None
    return found
