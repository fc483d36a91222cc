"""Reads of tickets, already scoped by ``tickets.permissions`` (DESIGN §6).

Pages and API use these and nothing else to fetch tickets, so what a user can list, open and
search is decided in one place. Each returns a queryset with the joins its callers need.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    ManyToManyField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable

from tickets import permissions
from tickets.models import Attachment, EventKind, InboundMessage, Message, Status, Tag, Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import User


#: What a list shows of the people on a ticket (the queue's columns, ``PersonOut`` in the API): a
#: person row has seventeen columns, three of them dates, and a page of 50 joins two per ticket.
_LISTED_PERSON = ("id", "name", "email")


#: Where a list's tickets keep the names of their tags (``tag_names`` reads them): a plain list.
LISTED_TAGS = "listed_tags"

#: Ticket ids per query when a list's tags are read (SQLite's older limit on parameters is 999).
_TAG_BATCH = 500


def _attach_tag_names(tickets: list[Ticket], using: str) -> None:
    """Each ticket's tag names, by name, in one query over the tag table and its link table.
    Django's prefetch of the many-to-many (a queryset joined through the link table, then a
    model per tag) cost a queue page 0.76 ms of CPU; this plain read 0.16 ms."""
    names: dict[int, list[str]] = {ticket.pk: [] for ticket in tickets}
    if names:
        connection = connections[using]
        quote = connection.ops.quote_name
        field = Ticket._meta.get_field("tags")
        assert isinstance(field, ManyToManyField)
        ticket_col, tag_col = quote(field.m2m_column_name()), quote(field.m2m_reverse_name())
        links, tags, name_col = quote(field.m2m_db_table()), quote(Tag._meta.db_table), quote("name")
        # Table and column names from the models, quoted; the ids are parameters.
        select = f"SELECT l.{ticket_col}, t.{name_col} FROM {links} l JOIN {tags} t ON t.{quote('id')} = l.{tag_col}"  # noqa: S608
        placeholders = ", ".join(["%s"] * len(names))
        with connection.cursor() as cursor:
            cursor.execute(f"{select} WHERE l.{ticket_col} IN ({placeholders}) ORDER BY t.{name_col}", list(names))
            for ticket_pk, tag_name in cursor.fetchall():
                names[ticket_pk].append(tag_name)
    for ticket in tickets:
        setattr(ticket, LISTED_TAGS, names[ticket.pk])


class _TicketsWithTagNames(ModelIterable):
    """A list's tickets, each with its tag names (``LISTED_TAGS``): read for every 500 tickets as
    they come, so ``.iterator()`` over a long list still streams."""

    def __iter__(self):
        batch: list[Ticket] = []
        for ticket in super().__iter__():
            batch.append(ticket)
            if len(batch) == _TAG_BATCH:
                _attach_tag_names(batch, self.queryset.db)
                yield from batch
                batch = []
        _attach_tag_names(batch, self.queryset.db)
        yield from batch


def _list_joins(qs: QuerySet[Ticket], *, tags: bool = True) -> QuerySet[Ticket]:
    people = [f"{role}__{name}" for role in ("requester", "assignee") for name in _LISTED_PERSON]
    listed = qs.select_related("requester", "assignee", "team", "organization").only(
        *(f.name for f in Ticket._meta.concrete_fields), *people, "team", "organization"
    )
    if tags:  # the tickets' tag names come with them (``values()`` and the like read rows of their own)
        listed._iterable_class = _TicketsWithTagNames
    return listed


def tag_names(ticket: Ticket) -> list[str]:
    """The names of ``ticket``'s tags, by name: from a list's read when it has one (no query),
    else from ``ticket.tags`` (its own prefetch, or one query)."""
    listed = getattr(ticket, LISTED_TAGS, None)
    return list(listed) if listed is not None else [tag.name for tag in ticket.tags.all()]


def ticket_list_for_agent(user: User) -> QuerySet[Ticket]:
    """Every ticket the agent may see, newest activity first, with list joins."""
    return _list_joins(permissions.visible_tickets(user)).order_by("-updated_at", "-id")


def ticket_list_for_requester(user: User) -> QuerySet[Ticket]:
    """The customer's tickets: their own, those shared with them and their organization's when it
    shares tickets — exactly what ``permissions.visible_tickets`` allows — newest activity they
    may know of first (``permissions.activity_column``). Without tags: customers are not shown them."""
    column = permissions.activity_column(user)
    return _list_joins(permissions.visible_tickets(user), tags=False).order_by(f"-{column}", "-id")


def ticket_get_for_user(user: User, pk: object) -> Ticket:
    """The ticket ``pk`` with its detail joins, or ``Http404`` when ``user`` may not see it."""
    from tickets.sla.models import SlaClock

    qs = (
        Ticket.objects.select_related("requester", "assignee", "team", "organization", "created_by")
        .prefetch_related("tags")
        # Whether the ticket has SLA clocks, in the same query: the agent's SLA card reads them
        # only then (``tickets.sla.selectors``), so a ticket outside every SLA costs nothing more.
        .annotate(has_sla_clocks=Exists(SlaClock.objects.filter(ticket=OuterRef("pk"))))
    )
    return permissions.get_ticket_or_404(user, pk, qs)


def ticket_get_for_portal_page(user: User, pk: object) -> Ticket:
    """The ticket ``pk`` as the portal's ticket page shows it — with its requester and assignee,
    the only people it names — or ``Http404`` when ``user`` may not see it."""
    return permissions.get_ticket_or_404(user, pk, Ticket.objects.select_related("requester", "assignee"))


def messages_for(user: User, ticket: Ticket, *, email_flags: bool = True) -> QuerySet[Message]:
    """The conversation of ``ticket`` as ``user`` may read it, oldest first, with attachments.

    Internal notes (and their attachments) are left out for anyone who may not see them. Each
    message says whether it ``came_by_email`` (the agent's page links those to their original),
    in the same query — unless ``email_flags`` is off (the portal shows no originals).
    """
    # No person is joined: every reader prints the author's id, name and role kept on the message.
    qs = ticket.messages.order_by("created_at", "id")
    if email_flags:
        qs = qs.annotate(came_by_email=Exists(InboundMessage.objects.filter(ticket_message=OuterRef("pk"))))
    attachments = Attachment.objects.order_by("created_at", "id")
    if not permissions.internal_visible(user, ticket):
        qs = qs.filter(internal=False)
        attachments = attachments.filter(internal=False)
    return qs.prefetch_related(Prefetch("attachments", queryset=attachments))


#: What a page shows of a file: its link, name, size, thumbnail (by type) and who sent it (and
#: its ticket, which the related manager's rows are matched to: deferred, it is one query a row).
_SHOWN_FILE = ("id", "ticket_id", "message_id", "filename", "content_type", "size", "uploaded_by_name", "created_at")


@dataclass
class Conversation:
    """A ticket's conversation as a page shows it: ``messages`` oldest first, each with its
    ``files`` (a list), and ``files``, every attachment of the ticket the reader may see."""

    messages: list[Message]
    files: list[Attachment]


def conversation_for(
    user: User, ticket: Ticket, *, email_flags: bool = True, public_only: bool = False
) -> Conversation:
    """``messages_for`` and ``attachments_for`` of ``ticket`` (``public_only``: without internal
    notes and their files, whoever reads), read as two plain queries: each message's files are
    taken from the ticket's list of files, where a related-manager prefetch built a queryset for
    every message to hold them (5 % of the portal ticket page's CPU)."""
    messages = messages_for(user, ticket, email_flags=email_flags).prefetch_related(None)
    files = attachments_for(user, ticket).only(*_SHOWN_FILE)
    if public_only:
        messages, files = messages.filter(internal=False), files.filter(internal=False)
    by_message: dict[int, list[Attachment]] = {}
    listed = list(files)
    for file in listed:
        if file.message_id is not None:
            by_message.setdefault(file.message_id, []).append(file)
    shown = list(messages)
    for message in shown:
        message.files = by_message.get(message.pk, [])
    return Conversation(messages=shown, files=listed)


def events_for(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The history of ``ticket`` that ``user`` may see, oldest first."""
    qs = ticket.events.order_by("created_at", "id")  # the actor's id and name are kept on the event
    if not permissions.internal_visible(user, ticket):
        qs = qs.filter(public=True)
        if not permissions.sees_satisfaction(user, ticket, internal=False):
            # A satisfaction answer is the requester's word to the support team: not for colleagues.
            qs = qs.exclude(kind=EventKind.SATISFACTION_RATED)
    return qs


def attachments_for(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    """Attachments of ``ticket`` that ``user`` may see (none on internal notes for customers)."""
    qs = ticket.attachments.order_by("created_at", "id")  # the uploader's id and name are kept on the file
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


# --- what the API shows of a ticket ------------------------------------------------------------


# The API's annotations are the same expressions for every request: built once per process
# (``annotate`` resolves a copy of each against its query, leaving them as they are). Building
# them anew cost an API list 1 ms of CPU, as much as compiling the whole query.


@cache
def _opening_body() -> Subquery:
    first = Message.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "id").values("body")[:1]
    return Subquery(first)


@cache
def _message_counts() -> tuple[Coalesce, Coalesce]:
    """The number of every message and of the public ones, of the ticket at hand."""
    messages = Message.objects.filter(ticket=OuterRef("pk")).order_by().values("ticket")
    every = Coalesce(Subquery(messages.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)
    public = Coalesce(
        Subquery(messages.filter(internal=False).annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
    )
    return every, public


def with_description(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate ``description``: the body of the ticket's opening message (always public)."""
    return qs.annotate(description=_opening_body())


def with_public_message_count(qs: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
    """Annotate ``message_count``: the messages ``user`` may read — public ones everywhere, and
    internal notes only on the tickets where ``permissions.readable_notes`` lets them read notes
    (so an agent who sees a ticket only as its requester is not told about its notes).

    A correlated subquery, not a GROUP BY over the joined list columns, so it stays cheap under
    keyset pagination; where notes are readable on some tickets only, one CASE picks per row.
    """
    every, public = _message_counts()
    notes = permissions.readable_notes(user)
    if notes is None:
        return qs.annotate(message_count=public)
    if not notes:  # Q(): on every ticket the user sees
        return qs.annotate(message_count=every)
    return qs.annotate(message_count=Case(When(notes, then=every), default=public, output_field=IntegerField()))


def with_activity(qs: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
    """Annotate ``activity_at``: when each ticket last changed as ``user`` may know it (the API's
    ``updated_at``) — any change where ``permissions.readable_notes`` lets them read internal
    content, the last public change elsewhere (``permissions.activity_at`` for one ticket) — and
    ``reads_internal``, whether they may see its internal fields (tags, team)."""
    notes = permissions.readable_notes(user)
    if notes is None:
        return qs.annotate(activity_at=F("public_activity_at"), reads_internal=Value(False))
    if not notes:  # Q(): on every ticket the user sees
        return qs.annotate(activity_at=F("updated_at"), reads_internal=Value(True))
    return qs.annotate(
        activity_at=Case(
            When(notes, then=F("updated_at")), default=F("public_activity_at"), output_field=DateTimeField()
        ),
        reads_internal=Case(When(notes, then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def ticket_list_for_api(user: User) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, with what the API shows of each: list joins, the opening
    message as ``description``, ``message_count`` (public messages only for customers) and
    ``activity_at`` (public activity only for customers)."""
    qs = _list_joins(permissions.visible_tickets(user))
    return with_activity(with_public_message_count(with_description(qs), user), user)


def ticket_for_api(user: User, pk: int) -> Ticket:
    """One ticket as ``ticket_list_for_api`` shows it, for the answer to a write ``user`` has just
    made to it (the service authorized that write). Not scoped by visibility on purpose: an agent
    who files a ticket for a team they do not work, or moves a ticket to another team, is shown
    the result of what they did, once. Never use it to read a ticket by a client-given id."""
    qs = with_activity(with_public_message_count(with_description(_list_joins(Ticket.objects.all())), user), user)
    return qs.get(pk=pk)


def ticket_as_opened(user: User, ticket: Ticket) -> Ticket | None:
    """``ticket_for_api`` for the ticket ``user`` has just opened (``services.ticket_create``),
    from what the service wrote instead of reading it back (the read was a fifth of a create's
    CPU); None when it must be read: when something changed it since in this request (a trigger
    answering the new ticket), when it opened solved (a survey may follow), or when whether
    ``user`` reads its internal side depends on the ticket (``permissions.readable_notes`` is a
    condition). Otherwise what ``ticket_for_api`` computes in SQL is known: the description is
    the opening message, the only message; it changed just now for everyone; its tags are those
    it was opened with; it has no satisfaction answer."""
    from tickets.satisfaction.selectors import PREFETCHED
    from tickets.services.changes import last_change

    change = last_change(ticket.pk)
    opened = getattr(ticket, "opening_message", None)
    if opened is None or change is None or change.ticket is not ticket or ticket.status == Status.SOLVED:
        return None
    notes = permissions.readable_notes(user)
    if notes:  # a condition per ticket (``Q()``, no condition, is false)
        return None
    ticket.description = opened.body  # type: ignore[attr-defined]  # the API's annotations
    ticket.message_count = 1  # type: ignore[attr-defined]
    ticket.reads_internal = notes is not None  # type: ignore[attr-defined]
    ticket.activity_at = ticket.updated_at if notes is not None else ticket.public_activity_at  # type: ignore[attr-defined]
    setattr(ticket, LISTED_TAGS, list(ticket.opening_tags))
    setattr(ticket, PREFETCHED, [])
    return ticket
