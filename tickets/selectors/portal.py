"""Reads of the customer portal: My tickets (through the one ticket list) and a ticket's history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db.models import DateTimeField, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from helpdesk import keyset
from tickets import permissions
from tickets.models import Message, Status, Ticket, TicketEvent, TicketReadMarker
from tickets.selectors import listing
from tickets.selectors.tickets import events_for, ticket_list_for_requester

if TYPE_CHECKING:
    from accounts.models import User

#: The portal's status filters (what the customer sees) and the statuses behind each. "Open"
#: holds everything the support team is still working on; "waiting on you" is pending.
PORTAL_FILTERS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "open": (Status.OPEN, Status.IN_PROGRESS, Status.ON_HOLD),
    "waiting": (Status.PENDING,),
    "solved": (Status.SOLVED,),
    "closed": (Status.CLOSED,),
}
#: History a customer sees beside the conversation (replies and files are in the conversation).
PORTAL_HISTORY_KINDS = (
    "created",
    "status_changed",
    "priority_changed",
    "category_changed",
    "subject_changed",
    "assigned",
    "collaborator_added",
    "collaborator_removed",
    "custom_field_changed",
    "satisfaction_rated",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: A page of My tickets (the one ticket page of ``listing``).
KeysetPage = listing.TicketPage


def ticket_list_for_portal(user: User, *, status: str = "all", q: str = "") -> QuerySet[Ticket]:
    """``ticket_list_for_requester`` narrowed by a portal status filter and a search over the
    subject and the *public* messages (internal notes are never searched), newest public activity
    first (``permissions.activity_column``), annotated with ``has_new_reply``: an agent replied publicly after ``user`` last
    opened the ticket."""
    tickets = ticket_list_for_requester(user)
    return with_new_reply(listing.ticket_list(user, _filters(status, q), tickets=tickets), user)


def _filters(status: str, q: str) -> listing.TicketFilters:
    return listing.TicketFilters(status=PORTAL_FILTERS.get(status) or (), q=(q or "").strip())


def my_tickets_page(user: User, *, status: str = "all", q: str = "", cursor: str | None, size: int) -> KeysetPage:
    """A page of ``user``'s My tickets (``ticket_list_for_portal``) at ``cursor``; a cursor it
    cannot use (damaged, or of another order) gives the first page.

    The page's tickets are picked from the first rows of each part of what the customer sees
    (``permissions.visible_parts``: their own requests off ``ticket_requester_activity_idx``,
    and the few others), so the page costs the same for a customer with ten tickets and one
    with ten thousand; the rows are then read through ``ticket_list_for_portal``, which still
    decides what may be shown.
    """
    qs = ticket_list_for_portal(user, status=status, q=q)
    heads = [
        listing.ticket_list(user, _filters(status, q), tickets=Ticket.objects.filter(part))
        for part in permissions.visible_parts(user)
    ]
    try:
        return listing.ticket_page(qs, cursor=cursor, size=size, user=user, heads=heads)
    except keyset.BadCursor:
        return listing.ticket_page(qs, cursor=None, size=size, user=user, heads=heads)


def with_new_reply(qs: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
    """Annotate ``has_new_reply`` with one EXISTS per row, computed by the database."""
    seen = TicketReadMarker.objects.filter(user=user, ticket=OuterRef("pk")).values("last_seen_at")[:1]
    qs = qs.annotate(last_seen_at=Coalesce(Subquery(seen), Value(_EPOCH), output_field=DateTimeField()))
    replies = Message.objects.filter(
        ticket=OuterRef("pk"),
        internal=False,
        author_role__in=("agent", "admin"),
        created_at__gt=OuterRef("last_seen_at"),
    )
    return qs.annotate(has_new_reply=Exists(replies))


def portal_history_for(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The public history of ``ticket`` that the portal shows beside the conversation."""
    return events_for(user, ticket).filter(public=True, kind__in=PORTAL_HISTORY_KINDS)
