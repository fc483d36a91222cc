"""How Zendesk's values map onto ours (pure functions, no database).

Statuses: new and open → open, pending → pending, hold → on hold, solved → solved, closed →
closed (``deleted`` tickets are left out). Priorities are the same four words (none → normal).
Roles: end-user → customer, agent → agent, admin → admin. ``via.channel``: web, email and api
are ours too; a phone call (voice) is what our agents record as ``agent``; every other channel
(chat, mobile, social…) becomes ``web`` and is kept in the ticket's metadata.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from accounts.models import Role
from tickets.models import Channel, Priority, Status
from tickets.services.validation import MAX_TAGS, TAG_RE

STATUSES = {
    "new": Status.OPEN,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.ON_HOLD,
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
}
ROLES = {"end-user": Role.CUSTOMER, "agent": Role.AGENT, "admin": Role.ADMIN}
CHANNELS = {"web": Channel.WEB, "email": Channel.EMAIL, "api": Channel.API, "voice": Channel.AGENT}


def status(value: Any) -> str | None:
    """Our status for Zendesk's; None for a ticket to leave out (``deleted``, or unknown)."""
    return STATUSES.get(value) if isinstance(value, str) else None


def priority(value: Any) -> str:
    return value if isinstance(value, str) and value in Priority.values else Priority.NORMAL


def role(value: Any) -> str:
    return ROLES.get(value, Role.CUSTOMER) if isinstance(value, str) else Role.CUSTOMER


def channel(via: Any) -> tuple[str, str]:
    """(our channel, Zendesk's channel name) for a ticket's ``via``."""
    name = via.get("channel") if isinstance(via, dict) else None
    name = name if isinstance(name, str) else "web"
    return CHANNELS.get(name, Channel.WEB), name


def moment(value: Any) -> datetime | None:
    """A Zendesk timestamp (``2024-01-31T12:00:00Z``) as an aware datetime."""
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def tags(values: Any) -> tuple[list[str], list[str]]:
    """(the tags we keep, the ones we cannot): ours are 1–50 letters, digits, ``-`` or ``_``,
    at most ``MAX_TAGS`` a ticket; Zendesk's are freer."""
    kept: list[str] = []
    left: list[str] = []
    for value in values if isinstance(values, list) else []:
        name = str(value).lower()
        if not TAG_RE.match(name):
            left.append(str(value))
        elif name not in kept:
            kept.append(name)
    return kept[:MAX_TAGS], left + kept[MAX_TAGS:]


def field_key(title: str) -> str:
    """The key our desk would give a field of that title (for matching fields across desks)."""
    key = re.sub(r"[^a-z0-9]+", "_", (title or "").lower()).strip("_")
    return key if key and key[0].isalpha() else f"f_{key}"
