"""Writing imported tickets as they were: their own timestamps, authors and history.

The services (``tickets.services``) write the present — ``timezone.now()``, the actor's
permission, the status table — and then announce it (``TicketChange.after_commit``: notifications,
triggers, SLA clocks, live updates). History from another desk is neither: its replies were sent
long ago, its status changes happened then, and no customer should hear of them again. So the
importers write through these functions instead. They use the same building blocks as the
services — the access grants of ``tickets.permissions``, the search index, the upload checks and
the transactional file store of ``tickets.attachments``, the history formats of
``tickets.services.changes`` — and never ask for an after-commit effect: an import sends no email,
fires no trigger, starts no SLA clock and wakes no live page. The session expires cached counts
once at the end (``ImportSession``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Team, User
from helpdesk.text import clean_label
from tickets import permissions, search
from tickets.attachments import CheckedFile, store
from tickets.models import Attachment, EventKind, Message, Ticket, TicketEvent
from tickets.services.changes import person
from tickets.services.validation import BODY_MAX, SUBJECT_MAX, SUBJECT_MIN, tag_objects

#: The fields ``ticket_rewrite`` may change on an imported ticket.
REWRITABLE = (
    "subject",
    "status",
    "priority",
    "assignee",
    "team",
    "metadata",
    "created_at",
    "updated_at",
    "public_activity_at",
    "first_response_at",
    "solved_at",
    "closed_at",
)


def subject_from(title: str | None, reference: str) -> str:
    """A subject the desk accepts (one line, 5–150 characters) from a source title: long titles
    are shortened with "…", short ones get the source reference (``"Hi (#7)"``)."""
    subject = clean_label(title or "")
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    if len(subject) < SUBJECT_MIN:
        subject = f"{subject} ({reference})".strip() if subject else reference
    if len(subject) < SUBJECT_MIN:
        subject = _("Ticket %(reference)s") % {"reference": reference}
    return subject


def body_from(text: str) -> tuple[str, bool]:
    """A message body the desk accepts, and whether it had to be shortened."""
    if len(text) <= BODY_MAX:
        return text, False
    return text[: BODY_MAX - 1] + "…", True


def ticket_write(*, tags: list[str] | tuple[str, ...] = (), **fields: Any) -> Ticket:
    """Create an imported ticket with ``fields`` as given (timestamps included) and its access
    rows (requester, team, organization), as ``ticket_create`` would, without its effects."""
    requester: User = fields["requester"]
    ticket = Ticket.objects.create(organization=requester.organization, **fields)
    if tags:
        ticket.tags.set(tag_objects(list(tags)))
    permissions.grant_new_ticket(ticket)
    return ticket


def ticket_rewrite(ticket: Ticket, **fields: Any) -> list[str]:
    """Bring an imported ticket's fields to the source's values; returns the names changed. A
    new team takes the old team's access along (``permissions.revoke_team``/``grant_team``)."""
    changed = [name for name in REWRITABLE if name in fields and getattr(ticket, name) != fields[name]]
    if not changed:
        return []
    old_team: Team | None = ticket.team if "team" in changed else None
    for name in changed:
        setattr(ticket, name, fields[name])
    ticket.save(update_fields=changed)
    if "team" in changed:
        if old_team is not None:
            permissions.revoke_team(ticket, old_team)
        if ticket.team is not None:
            permissions.grant_team(ticket, ticket.team)
    if "subject" in changed:
        search.index_tickets([ticket.pk])
    return changed


def event_write(
    ticket: Ticket, *, kind: str, actor: User | None, data: dict[str, Any], public: bool, at: datetime
) -> TicketEvent:
    """One history entry as it happened (``TicketChange.record`` without the change's effects)."""
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        actor_name=actor.name if actor is not None else "System",
        kind=kind,
        data=data,
        public=public,
        created_at=at,
    )


def message_write(ticket: Ticket, *, author: User, body: str, internal: bool, at: datetime) -> Message:
    """A reply or internal note as it was written, with its history entry."""
    message = Message.objects.create(
        ticket=ticket,
        author=author,
        author_name=author.name,
        author_role=author.role,
        body=body,
        internal=internal,
        created_at=at,
    )
    kind = EventKind.NOTE_ADDED if internal else EventKind.MESSAGE_ADDED
    event_write(ticket, kind=kind, actor=author, data={"message_id": message.pk}, public=not internal, at=at)
    return message


def message_rewrite(message: Message, *, body: str, internal: bool) -> None:
    """An imported message edited (or made public or internal) at the source since."""
    message.body, message.internal = body, internal
    message.save(update_fields=["body", "internal"])
    Attachment.objects.filter(message=message).update(internal=internal)


def attachment_write(
    ticket: Ticket,
    checked: CheckedFile,
    *,
    message: Message | None,
    internal: bool,
    uploaded_by: User | None,
    at: datetime,
) -> Attachment:
    """Store a file that passed the upload checks (``check_upload``) on ``ticket``, with its
    history entry. Inside the record's ``atomic_with_files`` a rollback removes the stored file."""
    attachment = Attachment.objects.create(
        ticket=ticket,
        message=message,
        file=store(checked),
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        internal=internal,
        uploaded_by=uploaded_by,
        uploaded_by_name=uploaded_by.name if uploaded_by is not None else "System",
        created_at=at,
    )
    event_write(
        ticket,
        kind=EventKind.ATTACHMENT_ADDED,
        actor=uploaded_by,
        data={
            "attachment_id": attachment.pk,
            "filename": checked.filename,
            "size": checked.size,
            "message_id": message.pk if message is not None else None,
        },
        public=not internal,
        at=at,
    )
    return attachment


def collaborator_write(ticket: Ticket, user: User, *, at: datetime) -> bool:
    """Share ``ticket`` with customer ``user`` (read and reply), as ``collaborator_add`` does.
    False when they already are a collaborator."""
    if ticket.collaborators.filter(pk=user.pk).exists():
        return False
    ticket.collaborators.add(user)
    permissions.grant_collaborator(ticket, user)
    event_write(ticket, kind=EventKind.COLLABORATOR_ADDED, actor=None, data={"user": person(user)}, public=True, at=at)
    return True


def reindex(ticket: Ticket) -> None:
    """Rebuild the ticket's search document once its messages are written (same transaction)."""
    search.index_tickets([ticket.pk])
