"""Opening tickets: from the portal, the API (safely repeatable with an idempotency key), and by
agents on a customer's behalf."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.addresses import normalize_email
from accounts.models import Team, User
from helpdesk import memo
from tickets import permissions, search
from tickets.attachments import atomic_with_files, check_uploads
from tickets.exceptions import Conflict
from tickets.models import Category, Channel, EventKind, IdempotencyKey, Message, Priority, Status, Ticket
from tickets.permissions import Action
from tickets.services import custom_fields as cf
from tickets.services.assignment import validate_assignee
from tickets.services.changes import TicketChange, person, team_ref
from tickets.services.conversation import attach_file
from tickets.services.validation import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    clean_choice,
    clean_metadata,
    clean_subject,
    clean_tags,
    clean_text,
    collect_errors,
    require_signed_in,
    tag_objects,
)
from tickets.sla import hook as sla_hook

IDEMPOTENCY_WINDOW_HOURS = 24


@memo.scoped
def ticket_create(
    *,
    actor: User,
    subject: str,
    description: str,
    priority: str = Priority.NORMAL,
    category: str | None = None,
    tags: Iterable[str] | None = None,
    metadata: dict[str, Any] | None = None,
    attachments: list[Any] | tuple[Any, ...] = (),
    via: str = Channel.WEB,
    channel: str | None = None,
    requester: User | dict[str, Any] | None = None,
    assignee: User | None = None,
    team: Team | None = None,
    status: str | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Ticket:
    """Open a ticket for ``requester`` (default: the actor) with ``description`` as its first message.

    ``via`` is the door the ticket came through (the portal: web, the API: api, …), set by the
    calling code; ``channel`` is what staff record instead (a phone call filed as "agent").
    Customers may not set ``requester``, ``assignee``, ``team``, ``status`` or ``channel``
    (``permissions.STAFF_ONLY_CREATE_FIELDS``): giving any of them is a ``ValidationError`` on
    that field, never silently ignored. Agents may name the requester as a user or as
    ``{"email", "name"}`` (a customer account is made if needed). All input, files included, is
    checked before anything is written.

    ``custom_fields`` (``{"key": value}``, ``tickets.services.custom_fields``): customers set only
    the fields visible to them and, filing on the web or through the API, must fill in those
    required in the portal (an email cannot be asked for them); agents set any
    field of the ticket's team.

    The returned ticket carries its first message as ``opening_message`` and its tag names as
    ``opening_tags``.
    """
    actor = require_signed_in(actor)
    staff_only = {
        "requester": requester,
        "assignee": assignee,
        "team": team,
        "status": status,
        "channel": channel,
    }
    refused = permissions.refused_create_fields(
        actor, [name for name, value in staff_only.items() if value is not None]
    )
    if refused:
        raise ValidationError(
            {field: [_("Only agents can set the %(field)s of a new ticket.") % {"field": field}] for field in refused}
        )
    collected, errors = collect_errors(
        [
            ("subject", lambda: clean_subject(subject)),
            (
                "description",
                lambda: clean_text(description, field="description", minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX),
            ),
            ("priority", lambda: clean_choice(priority, Priority, "priority")),
            ("category", lambda: clean_choice(category or None, Category, "category", allow_none=True)),
            ("channel", lambda: clean_choice(channel or via, Channel, "channel")),
            ("tags", lambda: clean_tags(tags)),
            ("metadata", lambda: clean_metadata(metadata)),
            ("status", lambda: clean_choice(status or Status.OPEN, Status, "status")),
            (
                "custom_fields",
                lambda: cf.clean_custom_fields(
                    custom_fields, ticket_team=team, actor=actor, partial=False, existing=None
                ),
            ),
        ]
    )
    if (
        "custom_fields" in collected
        and via in (Channel.WEB, Channel.API)
        and not permissions.sees_every_custom_field(actor)
    ):
        # A form (the portal's, an integration's) asks its required fields; an email cannot.
        errors.update(cf.missing_for_portal(collected["custom_fields"]))
    if collected.get("status") == Status.SOLVED and "custom_fields" in collected:
        try:
            cf.check_solvable(Ticket(team=team, custom_fields=collected["custom_fields"]))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if collected.get("status") == Status.CLOSED:
        errors["status"] = [_("A new ticket cannot start closed.")]
    try:
        checked = check_uploads(list(attachments))
    except ValidationError:
        if errors:  # report the form's errors together; the file error alone keeps its 413/415
            raise ValidationError(errors) from None
        raise
    if errors:
        raise ValidationError(errors)

    with atomic_with_files():
        requester_user = _resolve_requester(actor, requester)
        validate_assignee(assignee, team)
        now = timezone.now()
        ticket = Ticket.objects.create(
            subject=collected["subject"],
            priority=collected["priority"],
            category=collected["category"],
            channel=collected["channel"],
            metadata=collected["metadata"],
            custom_fields=collected["custom_fields"],
            status=collected["status"],
            requester=requester_user,
            created_by=actor,
            assignee=assignee,
            team=team,
            organization=requester_user.organization,
            created_at=now,
            updated_at=now,
            public_activity_at=now,
            solved_at=now if collected["status"] == Status.SOLVED else None,
        )
        if collected["tags"]:
            ticket.tags.set(tag_objects(collected["tags"]))
        permissions.grant_new_ticket(ticket)
        message = Message.objects.create(
            ticket=ticket,
            author=actor,
            author_name=actor.name,
            author_role=actor.role,
            body=collected["description"],
            internal=False,
            created_at=now,
        )
        search.index_tickets([ticket.pk])
        change = TicketChange(ticket, actor, now)
        change.record(
            EventKind.CREATED,
            {
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "channel": ticket.channel,
                "requester": person(requester_user),
                "message_id": message.pk,
            },
            public=True,
        )
        if team is not None:
            change.record(EventKind.TEAM_CHANGED, {"old": None, "new": team_ref(team)}, public=False)
        if assignee is not None:
            change.record(EventKind.ASSIGNED, {"old": None, "new": person(assignee)}, public=True)
        for item in checked:
            attach_file(change, item, message=message)
        sla_hook.start(change, message)
        change.after_commit(notify=True, expire_caches=True)
    # What the ticket was opened with, for ``selectors.ticket_as_opened`` to show without reading
    # it back.
    ticket.opening_message = message
    ticket.opening_tags = sorted(collected["tags"] or ())
    return ticket


def _resolve_requester(actor: User, requester: User | dict[str, Any] | None) -> User:
    if requester is None:
        return actor
    if isinstance(requester, User):
        if not requester.is_active:
            raise ValidationError({"requester": [_("%(name)s is deactivated.") % {"name": requester.name}]})
        return requester
    if isinstance(requester, dict):
        email = normalize_email(requester.get("email"))
        existing = User.objects.with_email(email).first() if email else None
        if existing is not None:
            if not existing.is_active:
                raise ValidationError({"requester": [_("%(name)s is deactivated.") % {"name": existing.email}]})
            return existing
        try:
            return account_services.user_create(
                email=email, name=str(requester.get("name") or "").strip() or email.split("@")[0]
            )
        except ValidationError as exc:
            raise ValidationError(
                {"requester": [f"{field}: {'; '.join(msgs)}" for field, msgs in exc.message_dict.items()]}
            ) from None
    raise ValidationError({"requester": [_("Give a user or an email and name.")]})


@memo.scoped
def ticket_create_idempotent(*, actor: User, key: str, **fields: Any) -> tuple[Ticket, bool]:
    """``ticket_create`` that a client may safely repeat: the first call with ``key`` creates the
    ticket and remembers the key for ``actor``; a repeat within 24 hours returns that ticket and
    ``False`` (nothing is created). Two racing repeats: one creates, the other gets its ticket.
    A key older than 24 hours is forgotten and may make a new ticket.
    """
    actor = require_signed_in(actor)
    cutoff = timezone.now() - timedelta(hours=IDEMPOTENCY_WINDOW_HOURS)

    def remembered() -> Ticket | None:
        row = (
            IdempotencyKey.objects.filter(user=actor, key=key, created_at__gte=cutoff).select_related("ticket").first()
        )
        return row.ticket if row is not None else None

    ticket = remembered()
    if ticket is not None:
        return _replayed(actor, ticket), False
    try:
        with atomic_with_files():
            IdempotencyKey.objects.filter(user=actor, key=key, created_at__lt=cutoff).delete()
            ticket = ticket_create(actor=actor, **fields)
            IdempotencyKey.objects.create(user=actor, key=key, ticket=ticket)
    except IntegrityError:
        ticket = remembered()
        if ticket is None:
            raise
        return _replayed(actor, ticket), False
    return ticket, True


def _replayed(actor: User, ticket: Ticket) -> Ticket:
    """The ticket a repeated key made, if ``actor`` may still see it. The first answer shows the
    result of what they did once, even in a team they do not work; a replay is a new read, so it is
    held to visibility — ``Conflict`` naming only the ticket number they were already given."""
    if not permissions.can(actor, Action.VIEW, ticket):
        raise Conflict(
            _("This Idempotency-Key already created ticket #%(number)s, which you can no longer see.")
            % {"number": ticket.pk}
        )
    return ticket
