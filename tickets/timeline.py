"""The agent ticket page's timeline: messages, internal notes and history events in one list.

Built from ``selectors.conversation_for`` and ``selectors.events_for`` (three queries, whatever
the length of the history). Events that only announce a message, or a file attached to a
message, are left out: the message itself stands in the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse

from tickets import permissions, selectors
from tickets.history import describe, via
from tickets.models import EventKind, Message, TicketEvent

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


def download_url(attachment_pk: int) -> str | None:
    """The attachment download page, when the attachments app provides one."""
    try:
        return reverse("attachments:download", args=[attachment_pk])
    except NoReverseMatch:
        return None


@dataclass
class Timeline:
    entries: list[Entry]
    last_event_id: int  # the newest history entry ``user`` may see (0: none)


def build(user: User, ticket: Ticket) -> Timeline:
    """Messages, notes and events of ``ticket`` that ``user`` may see, oldest first. At equal
    times a message comes before the events it caused (e.g. "reply and set Pending")."""
    entries: list[tuple[tuple, Entry]] = []
    last_event_id = 0
    says_via = permissions.internal_visible(user, ticket)
    for message in selectors.conversation_for(user, ticket).messages:
        for attachment in message.files:
            attachment.download_url = download_url(attachment.pk)
        entry = Entry(kind="note" if message.internal else "message", at=message.created_at, message=message)
        entries.append(((message.created_at, 0, message.pk), entry))
    for event in selectors.events_for(user, ticket):
        last_event_id = max(last_event_id, event.pk)
        if event.kind in _HIDDEN_KINDS:
            continue
        # A message shows its own files; a file removed since (tickets.privacy) shows as its entry.
        data = event.data or {}
        if event.kind == EventKind.ATTACHMENT_ADDED and data.get("message_id") and not data.get("removed"):
            continue
        entry = Entry(
            kind="event", at=event.created_at, event=event, text=describe(event) + (via(event) if says_via else "")
        )
        entries.append(((event.created_at, 1, event.pk), entry))
    entries.sort(key=lambda pair: pair[0])
    return Timeline(entries=[entry for _, entry in entries], last_event_id=last_event_id)
