"""The conversation on a ticket: public replies and internal notes, files, and the customers a
ticket is shared with (collaborators)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.addresses import normalize_email
from accounts.models import User
from helpdesk import memo
from tickets import permissions, search
from tickets.attachments import CheckedFile, atomic_with_files, check_uploads, store
from tickets.models import Attachment, EventKind, Message, Status, Ticket
from tickets.permissions import Action
from tickets.services.changes import TicketChange, lock, person, refuse_if_closed
from tickets.services.lifecycle import REOPENED_BY_REQUESTER_REPLY, check_transition, set_status
from tickets.services.validation import BODY_MAX, clean_choice, clean_text, collect_errors, require_signed_in


def write_message(change: TicketChange, body: str, *, internal: bool) -> Message:
    """Add a message by the change's actor, with its history entry (unchecked)."""
    actor = change.actor
    assert actor is not None
    message = Message.objects.create(
        ticket=change.ticket,
        author=actor,
        author_name=actor.name,
        author_role=actor.role,
        body=body,
        internal=internal,
        created_at=change.at,
    )
    search.index_tickets([change.ticket.pk])
    kind = EventKind.NOTE_ADDED if internal else EventKind.MESSAGE_ADDED
    change.record(kind, {"message_id": message.pk}, public=not internal)
    return message


def attach_file(change: TicketChange, item: CheckedFile, *, message: Message | None) -> Attachment:
    """Store a checked file on the changed ticket (and ``message``), with its history entry. The
    file is written so that a rolled-back transaction leaves nothing stored (``atomic_with_files``)."""
    actor = change.actor
    assert actor is not None
    internal = bool(message and message.internal)
    attachment = Attachment.objects.create(
        ticket=change.ticket,
        message=message,
        file=store(item),
        filename=item.filename,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        internal=internal,
        uploaded_by=actor,
        uploaded_by_name=actor.name,
        created_at=change.at,
    )
    change.record(
        EventKind.ATTACHMENT_ADDED,
        {
            "attachment_id": attachment.pk,
            "filename": item.filename,
            "size": item.size,
            "message_id": message.pk if message else None,
        },
        public=not internal,
    )
    change.related_changed = True
    return attachment


@memo.scoped
def message_add(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    attachments: list[Any] | tuple[Any, ...] = (),
    status: str | None = None,
) -> Message:
    """Add a public reply or (agents) an internal note, with files, optionally setting a status.

    A reply from the requester's side to a pending or solved ticket reopens it; the support side's
    first public reply sets ``first_response_at``. Closed tickets take no replies (``Conflict``).
    """
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.ADD_NOTE if internal else Action.REPLY, ticket)
    if status is not None:
        permissions.authorize(actor, Action.CHANGE, ticket)
    checks: list[tuple[str, Any]] = [
        ("body", lambda: clean_text(body, field="body", minimum=1, maximum=BODY_MAX)),
    ]
    if status is not None:
        checks.append(("status", lambda: clean_choice(status, Status, "status")))
    clean, errors = collect_errors(checks)
    if errors:
        raise ValidationError(errors)
    checked = check_uploads(list(attachments))

    with atomic_with_files():
        ticket = lock(ticket)
        refuse_if_closed(ticket, _("This ticket is closed and takes no more replies. Open a follow-up ticket instead."))
        change = TicketChange(ticket, actor, timezone.now())
        message = write_message(change, clean["body"], internal=internal)
        for item in checked:
            attach_file(change, item, message=message)
        if not internal:
            if permissions.replies_for_support(actor, ticket):
                if ticket.first_response_at is None:
                    change.set("first_response_at", change.at)
            elif ticket.status in REOPENED_BY_REQUESTER_REPLY and status is None:
                set_status(change, Status.OPEN)
        new_status = clean.get("status")
        if new_status is not None and new_status != ticket.status:
            check_transition(actor, ticket, new_status)
            set_status(change, new_status)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return message


@memo.scoped
def attachment_add(*, actor: User, ticket: Ticket, file: Any, message: Message | None = None) -> Attachment:
    """Attach one file to ``ticket`` (and to ``message`` of that ticket, if given).

    Public attachments need the right to reply; attaching to an internal note needs an agent.
    """
    actor = require_signed_in(actor)
    if message is not None and message.ticket_id != ticket.pk:
        permissions.authorize(actor, Action.VIEW, ticket)
        raise ValidationError({"message": [_("That message belongs to another ticket.")]})
    internal = bool(message and message.internal)
    permissions.authorize(actor, Action.ADD_NOTE if internal else Action.REPLY, ticket)
    if message is not None and not internal and not permissions.may_attach_to(actor, message):
        raise PermissionDenied(_("You can only attach files to your own messages."))
    (checked,) = check_uploads([file], field="file")
    with atomic_with_files():
        ticket = lock(ticket)
        refuse_if_closed(ticket, _("This ticket is closed and takes no more files. Open a follow-up ticket instead."))
        change = TicketChange(ticket, actor, timezone.now())
        attachment = attach_file(change, checked, message=message)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return attachment


@memo.scoped
def collaborator_add(*, actor: User, ticket: Ticket, email: str, name: str = "") -> User:
    """Share ``ticket`` with a customer by email (an account is made if there is none): they can
    read it and reply. Agents already see what they may; only customers are collaborators."""
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.ADD_COLLABORATOR, ticket)
    email = normalize_email(email)
    with transaction.atomic():
        ticket = lock(ticket)
        refuse_if_closed(ticket)
        user = User.objects.with_email(email).first() if email else None
        if user is None:
            try:
                user = account_services.user_create(email=email, name=name or email.split("@")[0])
            except ValidationError as exc:
                raise ValidationError({"email": exc.message_dict.get("email", exc.messages)}) from None
        if not permissions.may_collaborate(user):
            raise ValidationError(
                {"email": [_("%(name)s is an agent; agents do not need to be added.") % {"name": user.name}]}
            )
        if user.pk == ticket.requester_id:
            raise ValidationError({"email": [_("%(name)s is the requester already.") % {"name": user.name}]})
        if ticket.collaborators.filter(pk=user.pk).exists():
            return user
        ticket.collaborators.add(user)
        permissions.grant_collaborator(ticket, user)
        change = TicketChange(ticket, actor, timezone.now())
        change.record(EventKind.COLLABORATOR_ADDED, {"user": person(user)}, public=True)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return user


@memo.scoped
def collaborator_add_by_channel(*, ticket: Ticket, user: User, via: str) -> bool:
    """Share ``ticket`` with customer ``user`` as the system, because a channel's setting says so
    (a customer in Cc of an email, the mailbox adding them). Agents, the requester, existing
    collaborators, inactive accounts and closed tickets are left as they are. True when added."""
    if not user.is_active or not permissions.may_collaborate(user) or user.pk == ticket.requester_id:
        return False
    with transaction.atomic():
        ticket = lock(ticket)
        if ticket.status == Status.CLOSED or ticket.collaborators.filter(pk=user.pk).exists():
            return False
        ticket.collaborators.add(user)
        permissions.grant_collaborator(ticket, user)
        change = TicketChange(ticket, None, timezone.now())
        change.record(EventKind.COLLABORATOR_ADDED, {"user": person(user), "via": via}, public=True)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
    return True


@memo.scoped
def collaborator_remove(*, actor: User, ticket: Ticket, user: User) -> None:
    """Stop sharing ``ticket`` with ``user``."""
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.ADD_COLLABORATOR, ticket)
    with transaction.atomic():
        ticket = lock(ticket)
        if not ticket.collaborators.filter(pk=user.pk).exists():
            return
        ticket.collaborators.remove(user)
        permissions.revoke_collaborator(ticket, user)
        change = TicketChange(ticket, actor, timezone.now())
        change.record(EventKind.COLLABORATOR_REMOVED, {"user": person(user)}, public=True)
        change.save()
        change.after_commit(notify=True, expire_caches=True)
