"""Helpers shared by the agent workspace tests (test_agent.py, test_agent_queue.py)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from conftest import PASSWORD
from tickets import permissions, services
from tickets.models import Tag, Ticket, TicketGroupPermission, TicketUserPermission

DESCRIPTION = "Something is wrong and I would like some help with it, please."


def login(client, user):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def file_ticket(requester, subject, *, team=None, admin=None, **kw):
    ticket = services.ticket_create(actor=requester, subject=subject, description=DESCRIPTION, **kw)
    if team is not None:
        ticket = services.ticket_update(actor=admin, ticket=ticket, team=team)
    return ticket


def bulk_tickets(n, *, requester, team=None, tags=(), **fields):
    """``n`` tickets at once (bulk inserts with the same access rows ``ticket_create`` grants),
    for query-count tests that need many rows quickly."""
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                subject=f"Bulk ticket number {i}",
                requester=requester,
                organization=requester.organization,
                team=team,
                created_at=now - timedelta(minutes=i),
                updated_at=now - timedelta(minutes=i),
                **fields,
            )
            for i in range(n)
        ]
    )
    users, groups = [], []
    for ticket in tickets:
        u, g = permissions.permission_rows_for_new_ticket(ticket)
        users += u
        groups += g
    TicketUserPermission.objects.bulk_create(users)
    TicketGroupPermission.objects.bulk_create(groups)
    tag_objs = [Tag.objects.get_or_create(name=name)[0] for name in tags]
    Ticket.tags.through.objects.bulk_create(
        [Ticket.tags.through(ticket_id=t.pk, tag_id=tag.pk) for t in tickets for tag in tag_objs]
    )
    return tickets
