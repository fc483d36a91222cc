"""How django-helpdesk's values map onto ours (pure functions, no database).

Statuses: open and reopened → open (on hold → on hold), resolved → solved, closed → closed,
duplicate → closed with the tag ``duplicate``. Priorities 1–5: critical → urgent, high → high,
normal → normal, low and very low → low. A ``TicketChange`` names its field by django-helpdesk's
English label ("Title", "Status", "Owner", "Priority", "Queue", "On Hold") and stores display
values; those become our history kinds. Other fields (due dates, checklists, custom fields) have
no history kind here and are left out with that reason.
"""

from __future__ import annotations

from typing import Any

from tickets.models import EventKind, Priority, Status

OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE = 1, 2, 3, 4, 5

STATUS_NAMES = {OPEN: "open", REOPENED: "reopened", RESOLVED: "resolved", CLOSED: "closed", DUPLICATE: "duplicate"}
# Display labels as stored in TicketChange rows (English), and the numbers themselves.
_STATUS_BY_LABEL = {
    "open": OPEN,
    "reopened": REOPENED,
    "resolved": RESOLVED,
    "closed": CLOSED,
    "duplicate": DUPLICATE,
    **{str(number): number for number in STATUS_NAMES},
}

PRIORITIES = {1: Priority.URGENT, 2: Priority.HIGH, 3: Priority.NORMAL, 4: Priority.LOW, 5: Priority.LOW}

# Our status for each of theirs (before on hold is taken into account).
_STATUSES = {
    OPEN: Status.OPEN,
    REOPENED: Status.OPEN,
    RESOLVED: Status.SOLVED,
    CLOSED: Status.CLOSED,
    DUPLICATE: Status.CLOSED,
}


def status(number: int, *, on_hold: bool = False) -> str:
    mapped = _STATUSES.get(number, Status.OPEN)
    if on_hold and mapped == Status.OPEN:
        return Status.ON_HOLD
    return mapped


def priority(number: Any) -> str:
    try:
        return PRIORITIES.get(int(number), Priority.NORMAL)
    except (TypeError, ValueError):
        return Priority.NORMAL


def status_from_label(label: str | None) -> str | None:
    """Our status for a TicketChange value ("Resolved", "3"), or None when it is not one."""
    number = _STATUS_BY_LABEL.get((label or "").strip().lower())
    return status(number) if number is not None else None


def priority_from_label(label: str | None) -> str | None:
    text = (label or "").strip()
    try:
        return PRIORITIES.get(int(text.split(".")[0]))
    except ValueError:
        return None


def field_kind(field: str) -> str | None:
    """Our history kind for a TicketChange field label, or None."""
    return {
        "title": EventKind.SUBJECT_CHANGED,
        "status": EventKind.STATUS_CHANGED,
        "priority": EventKind.PRIORITY_CHANGED,
        "owner": EventKind.ASSIGNED,
        "queue": EventKind.TEAM_CHANGED,
        "on hold": EventKind.STATUS_CHANGED,
    }.get((field or "").strip().lower())


def is_on_hold_field(field: str) -> bool:
    return (field or "").strip().lower() == "on hold"


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


UNASSIGNED = {"", "unassigned", "none"}
