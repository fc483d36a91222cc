"""Reads of the customer portal: My tickets (through the one ticket list) and a ticket's history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db.models import DateTimeField, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from helpdesk import keyset
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
    filters = listing.TicketFilters(status=PORTAL_FILTERS.get(status) or (), q=(q or "").strip())
    tickets = ticket_list_for_requester(user).prefetch_related(None)  # tags are not shown in the portal
    return with_new_reply(listing.ticket_list(user, filters, tickets=tickets), user)


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


def keyset_page(qs: QuerySet[Ticket], *, cursor: str | None, size: int, user: User) -> listing.TicketPage:
    """A page of ``user``'s My tickets, newest activity they may see first, at ``cursor``; a cursor
    it cannot use (damaged, or of another order) gives the first page."""
    try:
        return listing.ticket_page(qs, cursor=cursor, size=size, user=user)
    except keyset.BadCursor:
        return listing.ticket_page(qs, cursor=None, size=size, user=user)


def portal_history_for(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The public history of ``ticket`` that the portal shows beside the conversation."""
    return events_for(user, ticket).filter(public=True, kind__in=PORTAL_HISTORY_KINDS)
