"""The placeholders a macro's or rule's reply may use — ``{{ticket.id}}``,
``{{requester.first_name}}`` — filled in as plain text. Not a template language: no tags, no
filters, no attribute walking; only the names below, so a rule cannot reach anything else of
the ticket or the desk. The reply itself is rendered like any other (escaped, sanitized)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z0-9_]+)*)\s*\}\}")


def _first_name(user: User | None) -> str:
    return (user.name.split() or [""])[0] if user is not None and user.name else ""


def _values(ticket: Ticket, actor: User | None) -> dict[str, Any]:
    from tickets import permissions

    requester, assignee = ticket.requester, ticket.assignee
    return {
        "ticket.id": ticket.pk,
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.get_status_display(),
        "ticket.priority": ticket.get_priority_display(),
        "ticket.url": permissions.ticket_path_for(requester, ticket.pk),
        "requester.name": requester.name,
        "requester.first_name": _first_name(requester),
        "requester.email": requester.email,
        "assignee.name": assignee.name if assignee else "",
        "assignee.first_name": _first_name(assignee),
        "team.name": ticket.team.name if ticket.team is not None else "",
        "current_user.name": actor.name if actor else "",
        "current_user.first_name": _first_name(actor),
    }


NAMES = (
    "ticket.id",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "ticket.url",
    "requester.name",
    "requester.first_name",
    "requester.email",
    "assignee.name",
    "assignee.first_name",
    "team.name",
    "current_user.name",
    "current_user.first_name",
)


def check(text: str) -> None:
    """``ValidationError`` naming any placeholder that does not exist."""
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in NAMES})
    if unknown:
        raise ValidationError(
            _("Unknown placeholder %(names)s; available: %(available)s.")
            % {"names": ", ".join("{{" + name + "}}" for name in unknown), "available": ", ".join(NAMES)}
        )


def render(text: str, *, ticket: Ticket, actor: User | None) -> str:
    values = _values(ticket, actor)
    return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), text)
