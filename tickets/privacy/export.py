"""The ticket side of a person's export (``accounts.privacy``): every ticket they requested, are
CC'd on or are assigned, with the conversation they may see and its files; the history they
made; their notifications and satisfaction answers; the files they uploaded.

Read in batches of tickets: a fixed number of queries per ``BATCH`` tickets, whatever the number
of messages, events or files (no query per row). The long sections (tickets, history,
notifications, ratings) are generators: the zip is written while they are read, so memory holds
one batch, not the person's whole history (an agent may have worked 100,000 tickets).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.privacy.registry import Bundle
from tickets import history, permissions
from tickets.models import Attachment, Message, Notification, SatisfactionRating, Ticket, TicketEvent

BATCH = 200


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def involved_ticket_ids(person: User) -> list[int]:
    """The tickets ``person`` requested, is CC'd on or is assigned (ids, oldest first)."""
    ids = set(Ticket.objects.filter(requester=person).values_list("pk", flat=True))
    ids |= set(Ticket.collaborators.through.objects.filter(user=person).values_list("ticket_id", flat=True))
    ids |= set(Ticket.objects.filter(assignee=person).values_list("pk", flat=True))
    return sorted(ids)


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\- ]+", "_", name).strip() or "file"


def export(bundle: Bundle) -> None:
    person = bundle.person
    desk_work = permissions.export_includes_desk_work(person)
    ids = involved_ticket_ids(person)
    sections = (
        gettext_noop("Tickets"),
        gettext_noop("Messages"),
        gettext_noop("Files"),
        gettext_noop("Notifications"),
        gettext_noop("Satisfaction ratings"),
    )
    for what in sections:
        bundle.count(what, 0)  # counted while the zip is written; the audit entry lists them in this order
    bundle.data["tickets"] = _tickets(bundle, ids, desk_work)
    bundle.data["history_you_made_elsewhere"] = _other_events(person, set(ids), desk_work)
    bundle.data["notifications"] = _notifications(bundle)
    bundle.data["satisfaction_ratings"] = _ratings(bundle)


def _tickets(bundle: Bundle, ids: list[int], desk_work: bool) -> Iterator[dict[str, Any]]:
    for start in range(0, len(ids), BATCH):
        for entry in _batch(bundle, ids[start : start + BATCH], desk_work=desk_work):
            bundle.count(gettext_noop("Tickets"), 1)
            yield entry


def _notifications(bundle: Bundle) -> Iterator[dict[str, Any]]:
    rows = Notification.objects.filter(recipient=bundle.person).order_by("created_at", "pk")
    for row in rows.iterator(chunk_size=2000):
        bundle.count(gettext_noop("Notifications"), 1)
        yield {
            "ticket": row.ticket_id,
            "kind": row.kind,
            "created": _iso(row.created_at),
            "read": _iso(row.read_at),
            "emailed": _iso(row.emailed_at),
        }


def _ratings(bundle: Bundle) -> Iterator[dict[str, Any]]:
    rows = SatisfactionRating.objects.filter(requester=bundle.person).order_by("created_at", "pk")
    for row in rows.iterator(chunk_size=2000):
        bundle.count(gettext_noop("Satisfaction ratings"), 1)
        yield {
            "ticket": row.ticket_id,
            "score": row.score,
            "comment": row.comment,
            "offered": _iso(row.created_at),
            "rated": _iso(row.rated_at),
        }


def _messages(person: User, ids: list[int], desk_work: bool):
    visible = Q(internal=False)
    if desk_work:
        visible |= Q(internal=True, author=person)
    return Message.objects.filter(visible, ticket_id__in=ids).order_by("ticket_id", "created_at", "pk")


def _batch(bundle: Bundle, ids: list[int], *, desk_work: bool) -> list[dict[str, Any]]:
    """Six queries for up to ``BATCH`` tickets: tickets (with team and assignee), tags (staff
    only), collaborators, messages, files and history."""
    person = bundle.person
    rows = Ticket.objects.filter(pk__in=ids).select_related("team", "assignee", "requester").order_by("pk")
    if desk_work:
        rows = rows.prefetch_related("tags")
    collaborators: dict[int, list[int]] = defaultdict(list)
    for ticket_id, user_id in Ticket.collaborators.through.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "user_id"
    ):
        collaborators[ticket_id].append(user_id)
    messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    message_ids: set[int] = set()
    for message in _messages(person, ids, desk_work):
        message_ids.add(message.pk)
        messages[message.ticket_id].append(
            {
                "id": message.pk,
                "author": message.author_name,
                "yours": message.author_id == person.pk,
                "internal": message.internal,
                "created": _iso(message.created_at),
                "body": message.body,
                "files": [],
            }
        )
    by_message = {entry["id"]: entry for entries in messages.values() for entry in entries}
    files: dict[int, list[dict[str, Any]]] = defaultdict(list)
    files_shown = Q(message__isnull=True, internal=False) | Q(message_id__in=message_ids)
    if desk_work:
        files_shown |= Q(uploaded_by=person)
    for attachment in Attachment.objects.filter(files_shown, ticket_id__in=ids).order_by("pk"):
        path = f"files/{attachment.ticket_id}/{attachment.pk}-{_safe(attachment.filename)}"
        item = {
            "id": attachment.pk,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "uploaded_by_you": attachment.uploaded_by_id == person.pk,
            "created": _iso(attachment.created_at),
            "path": path,
        }
        (
            by_message[attachment.message_id]["files"]
            if attachment.message_id in by_message
            else files[attachment.ticket_id]
        ).append(item)
        # The stored name, not the row: the list of files to pack outlives the batch.
        bundle.add_file(path, functools.partial(attachment.file.storage.open, attachment.file.name, "rb"))
        bundle.count(gettext_noop("Files"), 1)
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    mine = TicketEvent.objects.filter(ticket_id__in=ids, actor=person)
    if not desk_work:
        mine = mine.filter(public=True)
    for event in mine.order_by("ticket_id", "created_at", "pk"):
        events[event.ticket_id].append(_event(event))
    out = []
    for ticket in rows:
        roles = [
            role
            for role, holds in (
                ("requester", ticket.requester_id == person.pk),
                ("cc", person.pk in collaborators[ticket.pk]),
                ("assignee", ticket.assignee_id == person.pk),
            )
            if holds
        ]
        entry: dict[str, Any] = {
            "id": ticket.pk,
            "your_roles": roles,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category,
            "channel": ticket.channel,
            "requester": ticket.requester.name,
            "assignee": ticket.assignee.name if ticket.assignee else None,
            "team": ticket.team.name if ticket.team else None,
            "created": _iso(ticket.created_at),
            "solved": _iso(ticket.solved_at),
            "closed": _iso(ticket.closed_at),
            "messages": messages[ticket.pk],
            "files_without_message": files[ticket.pk],
            "history_you_made": events[ticket.pk],
        }
        if desk_work:
            entry["tags"] = [tag.name for tag in ticket.tags.all()]
            entry["custom_fields"] = ticket.custom_fields
        out.append(entry)
        bundle.count(gettext_noop("Messages"), len(messages[ticket.pk]))
    return out


def _event(event: TicketEvent) -> dict[str, Any]:
    return {
        "ticket": event.ticket_id,
        "kind": event.kind,
        "created": _iso(event.created_at),
        "what": history.describe(event),
        "public": event.public,
    }


def _other_events(person: User, seen: set[int], desk_work: bool) -> Iterator[dict[str, Any]]:
    """History ``person`` made on tickets they are not (or no longer) part of: an agent's work on
    tickets assigned to someone else now. Only the entry, never the rest of those tickets."""
    rows = TicketEvent.objects.filter(actor=person)
    if not desk_work:
        rows = rows.filter(public=True)
    for event in rows.order_by("created_at", "pk").iterator(chunk_size=2000):
        if event.ticket_id not in seen:
            yield _event(event)
