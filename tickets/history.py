"""History entries in words, for every page that shows a ticket's history."""

from __future__ import annotations

from typing import Any

from tickets.models import Category, EventKind, Priority, Status, TicketEvent


def _label(choices, value: Any) -> str:
    if value is None or value == "":
        return "none"
    return choices(value).label if value in choices.values else str(value)


def _name(person: Any) -> str:
    return (person.get("name") or "someone") if isinstance(person, dict) else "nobody"


def describe(event: TicketEvent) -> str:
    """What an event did, as the end of a sentence whose subject is the actor:
    "changed the status from Open to Pending". Used by the agent timeline, the portal's history
    and the stale-reply warning, so every page words history the same way."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return "opened the ticket"
    if kind == EventKind.MESSAGE_ADDED:
        return "replied"
    if kind == EventKind.NOTE_ADDED:
        return "added an internal note"
    if kind == EventKind.STATUS_CHANGED:
        return f"changed the status from {_label(Status, data.get('old'))} to {_label(Status, data.get('new'))}"
    if kind == EventKind.PRIORITY_CHANGED:
        return f"changed the priority from {_label(Priority, data.get('old'))} to {_label(Priority, data.get('new'))}"
    if kind == EventKind.CATEGORY_CHANGED:
        return f"changed the category from {_label(Category, data.get('old'))} to {_label(Category, data.get('new'))}"
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
            moved = f"routed the ticket to team {_name(new)}"
        elif new is None:
            moved = f"took the ticket out of team {_name(old)}"
        else:
            moved = f"moved the ticket from team {_name(old)} to team {_name(new)}"
        if data.get("unassigned"):  # internal, like the move: the requester sees only the unassignment
            reason = f" ({data['reason']})" if data.get("reason") else ""
            moved += f" and unassigned {_name(data['unassigned'])}{reason}"
        return moved
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


def sentence(event: TicketEvent) -> str:
    """A whole sentence: "Alice Agent changed the status from Open to Pending"."""
    return f"{event.actor_name or 'System'} {describe(event)}"
