"""Reads of tickets, already scoped by ``tickets.permissions`` (DESIGN §6).

Pages and API use these and nothing else to fetch tickets, so what a user can list, open and
search is decided in one place. Each returns a queryset with the joins its callers need.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db.models import Count, DateTimeField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from tickets import permissions, search
from tickets.models import Attachment, Message, Status, Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import User

OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)


def _list_joins(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related("requester", "assignee", "team", "organization").prefetch_related("tags")


def ticket_list_for_agent(user: User) -> QuerySet[Ticket]:
    """Every ticket the agent may see, newest activity first, with list joins."""
    return _list_joins(permissions.visible_tickets(user)).order_by("-updated_at", "-id")


def ticket_list_for_requester(user: User) -> QuerySet[Ticket]:
    """The customer's tickets: their own, those shared with them and their organization's when it
    shares tickets — exactly what ``permissions.visible_tickets`` allows — newest activity first."""
    return _list_joins(permissions.visible_tickets(user)).order_by("-updated_at", "-id")


def ticket_get_for_user(user: User, pk: object) -> Ticket:
    """The ticket ``pk`` with its detail joins, or ``Http404`` when ``user`` may not see it."""
    qs = Ticket.objects.select_related("requester", "assignee", "team", "organization", "created_by").prefetch_related(
        "tags"
    )
    return permissions.get_ticket_or_404(user, pk, qs)


def messages_for(user: User, ticket: Ticket) -> QuerySet[Message]:
    """The conversation of ``ticket`` as ``user`` may read it, oldest first, with attachments.

    Internal notes (and their attachments) are left out for anyone who may not see them.
    """
    qs = ticket.messages.select_related("author").order_by("created_at", "id")
    attachments = Attachment.objects.order_by("created_at", "id")
    if not permissions.internal_visible(user, ticket):
        qs = qs.filter(internal=False)
        attachments = attachments.filter(internal=False)
    return qs.prefetch_related(Prefetch("attachments", queryset=attachments))


def events_for(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The history of ``ticket`` that ``user`` may see, oldest first."""
    qs = ticket.events.select_related("actor").order_by("created_at", "id")
    if not permissions.internal_visible(user, ticket):
        qs = qs.filter(public=True)
    return qs


def attachments_for(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    """Attachments of ``ticket`` that ``user`` may see (none on internal notes for customers)."""
    qs = ticket.attachments.select_related("uploaded_by").order_by("created_at", "id")
    if not permissions.internal_visible(user, ticket):
        qs = qs.filter(internal=False)
    return qs


def attachment_get_for_user(user: User, pk: object) -> Attachment:
    """An attachment ``user`` may download, or ``Http404`` (also for one on an internal note
    that a customer asks for: they cannot tell it from a missing one)."""
    from django.http import Http404

    try:
        pk_int = int(str(pk))
    except (TypeError, ValueError):
        raise Http404("No such attachment.") from None
    attachment = Attachment.objects.select_related("ticket").filter(pk=pk_int).first()
    if attachment is None or not permissions.can(user, permissions.Action.VIEW, attachment.ticket):
        raise Http404("No such attachment.")
    if attachment.internal and not permissions.internal_visible(user, attachment.ticket):
        raise Http404("No such attachment.")
    return attachment


def with_message_count(qs: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
    """Annotate ``message_count``: public messages for customers, every message for agents."""
    if user.is_agent:
        return qs.annotate(message_count=Count("messages", distinct=True))
    return qs.annotate(message_count=Count("messages", filter=Q(messages__internal=False), distinct=True))


# --- notifications -------------------------------------------------------------------------------

NOTIFICATIONS_PAGE_SIZE = 30


def unread_notification_count(user: User) -> int:
    """How many unread notifications the bell shows (one indexed count, capped at 100)."""
    from tickets.models import Notification

    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).values("id")[:100].count()


def notifications_page(user: User, *, before: str | None = None) -> dict:
    """One page of ``user``'s notifications, newest first, keyset-paginated by id.

    Only notifications about tickets the user may still see are listed.
    """
    from tickets.models import Notification

    qs = Notification.objects.filter(recipient=user, ticket__in=permissions.visible_tickets(user).values("pk"))
    if before and before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs.select_related("ticket", "event").order_by("-id")[: NOTIFICATIONS_PAGE_SIZE + 1])
    more = len(rows) > NOTIFICATIONS_PAGE_SIZE
    rows = rows[:NOTIFICATIONS_PAGE_SIZE]
    return {"items": rows, "next_before": rows[-1].pk if more and rows else None}


def notification_get_for_user(user: User, pk: object):
    """``user``'s own notification ``pk``, or Http404."""
    from django.http import Http404

    from tickets.models import Notification

    notification = Notification.objects.filter(pk=int(pk), recipient=user).first() if str(pk).isdigit() else None
    if notification is None or not permissions.can(user, permissions.Action.VIEW, notification.ticket):
        raise Http404("No such notification.")
    return notification


# --- customer portal -----------------------------------------------------------------------------

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
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ticket_list_for_portal(user: User, *, status: str = "all", q: str = "") -> QuerySet[Ticket]:
    """``ticket_list_for_requester`` narrowed by a portal status filter and a search over the
    subject and the *public* messages (internal notes are never searched), annotated with
    ``has_new_reply``: an agent replied publicly after ``user`` last opened the ticket."""
    qs = ticket_list_for_requester(user).prefetch_related(None)  # tags are not shown in the portal
    statuses = PORTAL_FILTERS.get(status)
    if statuses:
        qs = qs.filter(status__in=statuses)
    q = (q or "").strip()
    if q:
        qs = search.matching(qs, user, q)
    return with_new_reply(qs, user)


def with_new_reply(qs: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
    """Annotate ``has_new_reply`` with one EXISTS per row, computed by the database."""
    from tickets.models import TicketReadMarker

    seen = TicketReadMarker.objects.filter(user=user, ticket=OuterRef("pk")).values("last_seen_at")[:1]
    qs = qs.annotate(last_seen_at=Coalesce(Subquery(seen), Value(_EPOCH), output_field=DateTimeField()))
    replies = Message.objects.filter(
        ticket=OuterRef("pk"),
        internal=False,
        author_role__in=("agent", "admin"),
        created_at__gt=OuterRef("last_seen_at"),
    )
    return qs.annotate(has_new_reply=Exists(replies))


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list and the opaque cursors around it."""

    items: list
    next_cursor: str | None
    previous_cursor: str | None


def _encode_cursor(direction: str, ticket: Ticket) -> str:
    raw = json.dumps([direction, ticket.updated_at.isoformat(), ticket.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[str, datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, stamp, pk = json.loads(raw)
        moment = datetime.fromisoformat(stamp)
        if direction not in ("after", "before") or moment.tzinfo is None:
            return None
        return direction, moment, int(pk)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def keyset_page(qs: QuerySet[Ticket], *, cursor: str | None, size: int) -> KeysetPage:
    """A page of ``qs`` in (-updated_at, -id) order after or before ``cursor``.

    Seeks with a WHERE on the two ordering columns (served by the ``*_updated_idx`` indexes)
    instead of OFFSET, and fetches one row more than ``size`` to learn whether more follow, so
    no page ever counts the whole list. A malformed cursor gives the first page.
    """
    decoded = _decode_cursor(cursor)
    if decoded is None:
        rows = list(qs.order_by("-updated_at", "-id")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return KeysetPage(rows, _encode_cursor("after", rows[-1]) if more else None, None)
    direction, moment, pk = decoded
    if direction == "after":
        qs = qs.filter(Q(updated_at__lt=moment) | Q(updated_at=moment, id__lt=pk)).order_by("-updated_at", "-id")
        rows = list(qs[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return KeysetPage(
            rows,
            _encode_cursor("after", rows[-1]) if more else None,
            _encode_cursor("before", rows[0]) if rows else None,
        )
    qs = qs.filter(Q(updated_at__gt=moment) | Q(updated_at=moment, id__gt=pk)).order_by("updated_at", "id")
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    return KeysetPage(
        rows,
        _encode_cursor("after", rows[-1]) if rows else None,
        _encode_cursor("before", rows[0]) if more else None,
    )


def portal_history_for(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The public history of ``ticket`` that the portal shows beside the conversation."""
    return events_for(user, ticket).filter(public=True, kind__in=PORTAL_HISTORY_KINDS)


# --- API (appended for the REST API) --------------------------------------------------------------


def with_description(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate ``description``: the body of the ticket's opening message (always public)."""
    from django.db.models import OuterRef, Subquery

    first = Message.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "id").values("body")[:1]
    return qs.annotate(description=Subquery(first))


def with_public_message_count(qs: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
    """Like ``with_message_count`` but as a correlated subquery: no GROUP BY over the joined
    list columns, so it stays cheap under keyset pagination. Customers count public messages only."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    messages = Message.objects.filter(ticket=OuterRef("pk"))
    if not user.is_agent:
        messages = messages.filter(internal=False)
    counted = messages.order_by().values("ticket").annotate(n=Count("pk")).values("n")
    return qs.annotate(message_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0))


def ticket_list_for_api(user: User) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, with what the API shows of each: list joins, the opening
    message as ``description`` and ``message_count`` (public messages only for customers)."""
    return with_public_message_count(with_description(_list_joins(permissions.visible_tickets(user))), user)


def ticket_for_api(user: User, pk: int) -> Ticket:
    """One ticket as ``ticket_list_for_api`` shows it, for the answer to a write ``user`` has just
    made to it (the service authorized that write). Not scoped by visibility on purpose: an agent
    who files a ticket for a team they do not work, or moves a ticket to another team, is shown
    the result of what they did, once. Never use it to read a ticket by a client-given id."""
    return with_public_message_count(with_description(_list_joins(Ticket.objects.all())), user).get(pk=pk)
