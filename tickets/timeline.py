"""The agent ticket page's timeline: messages, internal notes and history events in one list.

Built from ``selectors.messages_for`` and ``selectors.events_for`` (two queries plus the
attachments prefetch, whatever the length of the history). Events that only announce a
message, or a file attached to a message, are left out: the message itself stands in the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse

from tickets import selectors
from tickets.models import Category, EventKind, Message, Priority, Status, TicketEvent

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

_HIDDEN_KINDS = {EventKind.MESSAGE_ADDED, EventKind.NOTE_ADDED, EventKind.CREATED}


@dataclass
class Entry:
    kind: str  # "message" | "note" | "event"
    at: datetime
    message: Message | None = None
    event: TicketEvent | None = None
    text: str = ""


def _label(choices, value: Any) -> str:
    if value is None or value == "":
        return "none"
    return choices(value).label if value in choices.values else str(value)


def _name(person: Any) -> str:
    return (person.get("name") or "someone") if isinstance(person, dict) else "nobody"


def describe(event: TicketEvent) -> str:
    """One sentence for a history event, for people (actor name not included)."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.STATUS_CHANGED:
        return f"changed the status from {_label(Status, data.get('old'))} to {_label(Status, data.get('new'))}"
    if kind == EventKind.PRIORITY_CHANGED:
        return (
            f"changed the priority from {_label(Priority, data.get('old'))} to {_label(Priority, data.get('new'))}"
        )
    if kind == EventKind.CATEGORY_CHANGED:
        return (
            f"changed the category from {_label(Category, data.get('old'))} to {_label(Category, data.get('new'))}"
        )
    if kind == EventKind.ASSIGNED:
        new = data.get("new")
        if data.get("claimed"):
            return "claimed the ticket"
        if new is None:
            reason = f" ({data['reason']})" if data.get("reason") else ""
            return f"unassigned {_name(data.get('old'))}{reason}"
        return f"assigned the ticket to {_name(new)}"
    if kind == EventKind.TEAM_CHANGED:
        old, new = data.get("old"), data.get("new")
        if old is None:
            return f"routed the ticket to team {_name(new)}"
        if new is None:
            return f"took the ticket out of team {_name(old)}"
        return f"moved the ticket from team {_name(old)} to team {_name(new)}"
    if kind == EventKind.TAGS_CHANGED:
        parts = []
        if data.get("added"):
            parts.append("added tags " + ", ".join(data["added"]))
        if data.get("removed"):
            parts.append("removed tags " + ", ".join(data["removed"]))
        return " and ".join(parts) or "changed the tags"
    if kind == EventKind.SUBJECT_CHANGED:
        return f"changed the subject to “{data.get('new', '')}”"
    if kind == EventKind.ATTACHMENT_ADDED:
        return f"attached {data.get('filename', 'a file')}"
    if kind == EventKind.COLLABORATOR_ADDED:
        return f"shared the ticket with {_name(data.get('user'))}"
    if kind == EventKind.COLLABORATOR_REMOVED:
        return f"stopped sharing the ticket with {_name(data.get('user'))}"
    return EventKind(kind).label.lower() if kind in EventKind.values else kind


def download_url(attachment_pk: int) -> str | None:
    """The attachment download page, when the attachments app provides one."""
    try:
        return reverse("attachments:download", args=[attachment_pk])
    except NoReverseMatch:
        return None


def build(user: User, ticket: Ticket) -> list[Entry]:
    """Messages, notes and events of ``ticket`` that ``user`` may see, oldest first. At equal
    times a message comes before the events it caused (e.g. "reply and set Pending")."""
    entries: list[tuple[tuple, Entry]] = []
    for message in selectors.messages_for(user, ticket):
        for attachment in message.attachments.all():
            attachment.download_url = download_url(attachment.pk)
        entry = Entry(kind="note" if message.internal else "message", at=message.created_at, message=message)
        entries.append(((message.created_at, 0, message.pk), entry))
    for event in selectors.events_for(user, ticket):
        if event.kind in _HIDDEN_KINDS:
            continue
        if event.kind == EventKind.ATTACHMENT_ADDED and (event.data or {}).get("message_id"):
            continue
        entry = Entry(kind="event", at=event.created_at, event=event, text=describe(event))
        entries.append(((event.created_at, 1, event.pk), entry))
    entries.sort(key=lambda pair: pair[0])
    return [entry for _, entry in entries]
