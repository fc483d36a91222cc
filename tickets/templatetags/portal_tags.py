"""Template helpers of the customer portal: history entries as sentences."""

from __future__ import annotations

from django import template

from tickets.models import Category, EventKind, Priority, Status

register = template.Library()


def _label(choices, value) -> str:
    if value in (None, ""):
        return "none"
    return choices(value).label if value in choices.values else str(value)


def _name(person) -> str:
    if not isinstance(person, dict):
        return "nobody"
    return person.get("name") or "someone"


@register.filter
def event_sentence(event) -> str:
    """One history entry in words, e.g. "Alice Agent changed status from Open to Pending"."""
    who = event.actor_name or "System"
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return f"{who} opened the ticket"
    if kind == EventKind.STATUS_CHANGED:
        return f"{who} changed status from {_label(Status, data.get('old'))} to {_label(Status, data.get('new'))}"
    if kind == EventKind.PRIORITY_CHANGED:
        old, new = _label(Priority, data.get("old")), _label(Priority, data.get("new"))
        return f"{who} changed priority from {old} to {new}"
    if kind == EventKind.CATEGORY_CHANGED:
        old, new = _label(Category, data.get("old")), _label(Category, data.get("new"))
        return f"{who} changed category from {old} to {new}"
    if kind == EventKind.SUBJECT_CHANGED:
        return f"{who} changed the subject to “{data.get('new', '')}”"
    if kind == EventKind.ASSIGNED:
        if data.get("claimed"):
            return f"{who} took the ticket"
        if data.get("new") is None:
            return f"{who} unassigned the ticket"
        return f"{who} assigned the ticket to {_name(data.get('new'))}"
    if kind == EventKind.MESSAGE_ADDED:
        return f"{who} replied"
    if kind == EventKind.ATTACHMENT_ADDED:
        return f"{who} attached {data.get('filename', 'a file')}"
    if kind == EventKind.COLLABORATOR_ADDED:
        return f"{who} shared the ticket with {_name(data.get('user'))}"
    if kind == EventKind.COLLABORATOR_REMOVED:
        return f"{who} stopped sharing the ticket with {_name(data.get('user'))}"
    return f"{who}: {EventKind(kind).label if kind in EventKind.values else kind}"
