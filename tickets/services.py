"""Every write to tickets (DESIGN §6).

Each service takes keyword-only arguments with an explicit ``actor``, runs in one transaction,
checks permission through ``tickets.permissions``, validates everything before writing, saves
with ``update_fields`` and writes one ``TicketEvent`` per change. Errors:

- ``django.http.Http404``: the actor may not see the ticket;
- ``django.core.exceptions.PermissionDenied``: they may see it but not do this;
- ``django.core.exceptions.ValidationError``: bad input, keyed by field name;
- ``tickets.exceptions.Conflict``: the ticket's state forbids it (closed, claimed by another).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from tickets import caching, notifications, permissions, search
from tickets.attachments import CheckedFile, atomic_with_files, check_uploads, delete_after_commit, store
from tickets.exceptions import BulkUpdateFailed, Conflict, StaleVersion
from tickets.models import (
    Attachment,
    Category,
    Channel,
    EventKind,
    Message,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)
from tickets.permissions import Action

if TYPE_CHECKING:
    from accounts.models import Team, User

# --- the lifecycle (DESIGN §4) -----------------------------------------------------------------

#: Every allowed status change. Anything else is refused with a message.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.IN_PROGRESS: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
#: The transitions a requester may make on their own ticket: solve it, or reopen a solved one.
REQUESTER_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {(s, Status.SOLVED) for s in (Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD)}
    | {(Status.SOLVED, Status.OPEN)}
)
#: Statuses a requester's public reply turns back to open.
REOPENED_BY_REQUESTER_REPLY = frozenset({Status.PENDING, Status.SOLVED})

SUBJECT_MIN, SUBJECT_MAX = 5, 150
DESCRIPTION_MIN, DESCRIPTION_MAX = 20, 20_000
BODY_MAX = 20_000
MAX_TAGS = 10
TAG_RE = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
MAX_METADATA_KEYS = 50
MAX_BULK_TICKETS = 500

_UNSET: Any = object()


# --- validation helpers --------------------------------------------------------------------------


def _clean_subject(subject: Any) -> str:
    if not isinstance(subject, str):
        raise ValidationError({"subject": ["Enter a subject."]})
    # CR/LF would end up in mail headers; a subject is one line.
    subject = " ".join(subject.split())
    if len(subject) < SUBJECT_MIN:
        raise ValidationError({"subject": [f"Use at least {SUBJECT_MIN} characters for the subject."]})
    if len(subject) > SUBJECT_MAX:
        raise ValidationError({"subject": [f"Use at most {SUBJECT_MAX} characters for the subject."]})
    return subject


def _clean_text(value: Any, *, field: str, minimum: int, maximum: int) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: ["This field is required."]})
    value = value.strip()
    if len(value) < minimum:
        raise ValidationError({field: ["Write a message." if minimum <= 1 else f"Use at least {minimum} characters."]})
    if len(value) > maximum:
        raise ValidationError({field: [f"Use at most {maximum:,} characters ({len(value):,} given)."]})
    return value


def _clean_choice(value: Any, choices: type, field: str, *, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: [f"{value!r} is not a valid {field}; use one of: {allowed}."]})
    return value


def clean_tags(tags: Any, *, field: str = "tags", limit: int | None = MAX_TAGS) -> list[str]:
    """Tag names, lower-cased and de-duplicated in order; ``ValidationError`` naming ``field``."""
    if tags is None:
        return []
    if isinstance(tags, str) or not isinstance(tags, Iterable):
        raise ValidationError({field: ["Give a list of tags."]})
    names: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not TAG_RE.match(tag):
            shown = tag if isinstance(tag, str) and len(tag) <= 60 else f"{str(tag)[:57]}..."
            raise ValidationError({field: [f"Tag {shown!r} is not valid: use 1–50 letters, digits, '-' or '_'."]})
        name = tag.lower()
        if name not in names:
            names.append(name)
    if limit is not None and len(names) > limit:
        raise ValidationError({field: [f"Use at most {limit} tags ({len(names)} given)."]})
    return names


def _clean_metadata(metadata: Any) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": ["Metadata must be a JSON object."]})
    if len(metadata) > MAX_METADATA_KEYS:
        raise ValidationError({"metadata": [f"Use at most {MAX_METADATA_KEYS} keys ({len(metadata)} given)."]})
    return metadata


def _tag_objects(names: list[str]) -> list[Tag]:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in names]


def _require_signed_in(actor: User) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("Sign in to do that.")


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.name}


def _event(ticket: Ticket, actor: User | None, kind: str, data: dict, *, public: bool, at: datetime) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        actor_name=actor.name if actor is not None else "System",
        kind=kind,
        data=data,
        public=public,
        created_at=at,
    )
    notifications.announce_after_commit(event.pk)
    teams, people = {ticket.team_id}, {ticket.assignee_id}
    if kind == EventKind.TEAM_CHANGED:
        teams.update((side or {}).get("id") for side in (data.get("old"), data.get("new")))
    elif kind == EventKind.ASSIGNED:
        people.update((side or {}).get("id") for side in (data.get("old"), data.get("new")))
    caching.tickets_changed(statistics=_moves_statistics(kind, actor), teams=teams, people=people)
    return event


# What the statistics count (tickets.stats): solves and reopens, who holds which open ticket and
# in which team, and staff replies (replies, first responses). Nothing else changes a figure.
_STATISTICS_KINDS = {EventKind.STATUS_CHANGED, EventKind.ASSIGNED, EventKind.TEAM_CHANGED}


def _moves_statistics(kind: str, actor: User | None) -> bool:
    if kind in _STATISTICS_KINDS:
        return True
    return kind == EventKind.MESSAGE_ADDED and actor is not None and actor.is_agent


# Plain fields whose change is one public history entry with the old and the new value.
_FIELD_EVENTS = (
    ("subject", EventKind.SUBJECT_CHANGED),
    ("priority", EventKind.PRIORITY_CHANGED),
    ("category", EventKind.CATEGORY_CHANGED),
)


def _assignment_event(ticket: Ticket, actor: User | None, assignee: User | None, *, at: datetime) -> TicketEvent:
    """The history entry of ``ticket`` going from its current assignee to ``assignee``."""
    return _event(
        ticket,
        actor,
        EventKind.ASSIGNED,
        {"old": _person(ticket.assignee), "new": _person(assignee)},
        public=True,
        at=at,
    )


def _lock(ticket: Ticket) -> Ticket:
    """Re-read ``ticket`` with its row locked until the transaction ends."""
    # No joins here: under READ COMMITTED, PostgreSQL re-reads a locked row after waiting but not
    # the rows joined to it, so a joined assignee could be stale. Related rows load afterwards.
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    # Keep what permission checks already learned about this ticket object.
    if "_helpdesk_levels" in ticket.__dict__:
        locked.__dict__["_helpdesk_levels"] = ticket.__dict__["_helpdesk_levels"]
    return locked


def _refuse_if_closed(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise Conflict("This ticket is closed and can no longer be changed. Open a follow-up ticket instead.")


def _validate_assignee(assignee: User | None, team: Team | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active or not assignee.is_agent:
        raise ValidationError({"assignee": [f"{assignee.name} is not an active agent."]})
    if not permissions.can_work_team(assignee, team):
        where = f"team {team.name}" if team is not None else "tickets without a team"
        raise ValidationError({"assignee": [f"{assignee.name} cannot work {where}."]})


def _set_status(ticket: Ticket, new: str, *, actor: User | None, at: datetime, changed: list[str]) -> None:
    old = ticket.status
    ticket.status = new
    if new == Status.SOLVED:
        ticket.solved_at = at
        changed.append("solved_at")
    elif old == Status.SOLVED and new != Status.CLOSED:
        ticket.solved_at = None
        changed.append("solved_at")
    if new == Status.CLOSED:
        ticket.closed_at = at
        changed.append("closed_at")
    changed.append("status")
    _event(ticket, actor, EventKind.STATUS_CHANGED, {"old": old, "new": new}, public=True, at=at)


def _check_transition(actor: User, ticket: Ticket, new: str) -> None:
    """Raise unless ``actor`` may move ``ticket`` from its status to ``new``."""
    old = ticket.status
    if new not in TRANSITIONS[old]:
        if old == Status.CLOSED:
            message = "This ticket is closed; closed tickets cannot be reopened. Open a follow-up ticket instead."
        else:
            message = f"A ticket cannot go from {Status(old).label.lower()} to {Status(new).label.lower()}."
        raise ValidationError({"status": [message]})
    if permissions.can(actor, Action.CHANGE, ticket):
        return
    if (old, new) in REQUESTER_TRANSITIONS:
        permissions.authorize(actor, Action.SOLVE, ticket)
        return
    permissions.authorize(actor, Action.VIEW, ticket)
    raise PermissionDenied("You can only mark your ticket solved, or reopen it once it is solved.")


def _save(ticket: Ticket, changed: list[str], at: datetime) -> None:
    ticket.updated_at = at
    ticket.save(update_fields=sorted(set(changed) | {"updated_at"}))


# --- creating ------------------------------------------------------------------------------------


def ticket_create(
    *,
    actor: User,
    subject: str,
    description: str,
    priority: str = Priority.NORMAL,
    category: str | None = None,
    tags: Iterable[str] | None = None,
    metadata: dict | None = None,
    attachments: list | tuple = (),
    channel: str = Channel.WEB,
    requester: User | dict | None = None,
    assignee: User | None = None,
    team: Team | None = None,
    status: str | None = None,
) -> Ticket:
    """Open a ticket for ``requester`` (default: the actor) with ``description`` as its first message.

    Customers may not set ``requester``, ``assignee``, ``team`` or ``status``: giving any of
    them is a ``ValidationError`` on that field, never silently ignored. Agents may name the
    requester as a user or as ``{"email", "name"}`` (a customer account is made if needed).
    All input, files included, is checked before anything is written.
    """
    _require_signed_in(actor)
    errors: dict[str, list[str]] = {}
    if not actor.is_agent:
        for field, value in (("requester", requester), ("assignee", assignee), ("team", team), ("status", status)):
            if value is not None:
                errors[field] = [f"Only agents can set the {field} of a new ticket."]
    if errors:
        raise ValidationError(errors)
    collected: dict[str, Any] = {}
    for field, clean in (
        ("subject", lambda: _clean_subject(subject)),
        (
            "description",
            lambda: _clean_text(description, field="description", minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX),
        ),
        ("priority", lambda: _clean_choice(priority, Priority, "priority")),
        ("category", lambda: _clean_choice(category or None, Category, "category", allow_none=True)),
        ("channel", lambda: _clean_choice(channel, Channel, "channel")),
        ("tags", lambda: clean_tags(tags)),
        ("metadata", lambda: _clean_metadata(metadata)),
        ("status", lambda: _clean_choice(status or Status.OPEN, Status, "status")),
    ):
        try:
            collected[field] = clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if collected.get("status") == Status.CLOSED:
        errors["status"] = ["A new ticket cannot start closed."]
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
        _validate_assignee(assignee, team)
        now = timezone.now()
        ticket = Ticket.objects.create(
            subject=collected["subject"],
            priority=collected["priority"],
            category=collected["category"],
            channel=collected["channel"],
            metadata=collected["metadata"],
            status=collected["status"],
            requester=requester_user,
            created_by=actor,
            assignee=assignee,
            team=team,
            organization=requester_user.organization,
            created_at=now,
            updated_at=now,
            solved_at=now if collected["status"] == Status.SOLVED else None,
        )
        if collected["tags"]:
            ticket.tags.set(_tag_objects(collected["tags"]))
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
        _event(
            ticket,
            actor,
            EventKind.CREATED,
            {
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "channel": ticket.channel,
                "requester": _person(requester_user),
                "message_id": message.pk,
            },
            public=True,
            at=now,
        )
        if team is not None:
            _event(
                ticket,
                actor,
                EventKind.TEAM_CHANGED,
                {"old": None, "new": {"id": team.pk, "name": team.name}},
                public=False,
                at=now,
            )
        if assignee is not None:
            _event(ticket, actor, EventKind.ASSIGNED, {"old": None, "new": _person(assignee)}, public=True, at=now)
        for item in checked:
            _attach(ticket, item, actor=actor, message=message, at=now)
    return ticket


def _resolve_requester(actor: User, requester: User | dict | None) -> User:
    from accounts import services as account_services
    from accounts.models import User

    if requester is None:
        return actor
    if isinstance(requester, User):
        if not requester.is_active:
            raise ValidationError({"requester": [f"{requester.name} is deactivated."]})
        return requester
    if isinstance(requester, dict):
        email = str(requester.get("email") or "").strip().lower()
        existing = User.objects.filter(email__iexact=email).first() if email else None
        if existing is not None:
            if not existing.is_active:
                raise ValidationError({"requester": [f"{existing.email} is deactivated."]})
            return existing
        try:
            return account_services.user_create(
                email=email, name=str(requester.get("name") or "").strip() or email.split("@")[0]
            )
        except ValidationError as exc:
            raise ValidationError(
                {"requester": [f"{field}: {'; '.join(msgs)}" for field, msgs in exc.message_dict.items()]}
            ) from None
    raise ValidationError({"requester": ["Give a user or an email and name."]})


def _attach(ticket: Ticket, item: CheckedFile, *, actor: User, message: Message | None, at: datetime) -> Attachment:
    internal = bool(message and message.internal)
    attachment = Attachment.objects.create(
        ticket=ticket,
        message=message,
        file=store(item),
        filename=item.filename,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        internal=internal,
        uploaded_by=actor,
        uploaded_by_name=actor.name,
        created_at=at,
    )
    _event(
        ticket,
        actor,
        EventKind.ATTACHMENT_ADDED,
        {
            "attachment_id": attachment.pk,
            "filename": item.filename,
            "size": item.size,
            "message_id": message.pk if message else None,
        },
        public=not internal,
        at=at,
    )
    return attachment


# --- status, assignment, fields ------------------------------------------------------------------


def ticket_change_status(*, actor: User, ticket: Ticket, status: str) -> Ticket:
    """Move ``ticket`` to ``status`` along ``TRANSITIONS``.

    Agents may take any allowed transition; the requester may only solve their ticket or reopen
    a solved one (``PermissionDenied`` otherwise). A transition not in the table is a
    ``ValidationError`` on ``status``. Setting the current status again changes nothing.
    """
    _require_signed_in(actor)
    permissions.authorize(actor, Action.VIEW, ticket)
    status = _clean_choice(status, Status, "status")
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.status == status:
            return ticket
        _check_transition(actor, ticket, status)
        now = timezone.now()
        changed: list[str] = []
        _set_status(ticket, status, actor=actor, at=now, changed=changed)
        _save(ticket, changed, now)
    return ticket


def ticket_assign(*, actor: User, ticket: Ticket, assignee: User | None) -> Ticket:
    """Give ``ticket`` to ``assignee`` (None: unassign). The assignee must be an active agent
    who may work the ticket's team. Assigning the current assignee changes nothing."""
    _require_signed_in(actor)
    permissions.authorize(actor, Action.ASSIGN, ticket)
    with transaction.atomic():
        ticket = _lock(ticket)
        _refuse_if_closed(ticket)
        if ticket.assignee_id == (assignee.pk if assignee else None):
            return ticket
        _validate_assignee(assignee, ticket.team)
        now = timezone.now()
        _assignment_event(ticket, actor, assignee, at=now)
        ticket.assignee = assignee
        _save(ticket, ["assignee"], now)
    return ticket


def ticket_claim(*, actor: User, ticket: Ticket, force: bool = False) -> Ticket:
    """Assign ``ticket`` to the acting agent; an open ticket becomes in progress.

    The row is locked, so of two agents claiming at once exactly one wins; the other gets a
    ``Conflict`` naming the holder. An admin may take a held ticket with ``force=True``.
    Claiming a ticket one already holds changes nothing.
    """
    _require_signed_in(actor)
    permissions.authorize(actor, Action.CLAIM, ticket)
    with transaction.atomic():
        ticket = _lock(ticket)
        _refuse_if_closed(ticket)
        if ticket.assignee_id == actor.pk:
            return ticket
        if ticket.assignee_id is not None and not (force and actor.is_admin):
            raise Conflict(f"{ticket.assignee.name} already holds this ticket.")
        _validate_assignee(actor, ticket.team)
        now = timezone.now()
        _event(
            ticket,
            actor,
            EventKind.ASSIGNED,
            {"old": _person(ticket.assignee), "new": _person(actor), "claimed": True},
            public=True,
            at=now,
        )
        ticket.assignee = actor
        changed = ["assignee"]
        if ticket.status == Status.OPEN:
            _set_status(ticket, Status.IN_PROGRESS, actor=actor, at=now, changed=changed)
        _save(ticket, changed, now)
    return ticket


def claim_next(*, actor: User, queryset=None) -> Ticket | None:
    """Claim the oldest unassigned open ticket ``actor`` may work, skipping rows other agents
    are claiming right now (``SKIP LOCKED`` on PostgreSQL). None when there is nothing left."""
    _require_signed_in(actor)
    if not actor.is_agent:
        raise PermissionDenied("Only agents can claim tickets.")
    base = permissions.visible_tickets(actor, queryset).filter(assignee__isnull=True, status=Status.OPEN)
    with transaction.atomic():
        candidate = base.order_by("created_at", "id").select_for_update(skip_locked=True, of=("self",)).first()
        if candidate is None:
            return None
        return ticket_claim(actor=actor, ticket=candidate)


def ticket_update(
    *,
    actor: User,
    ticket: Ticket,
    subject: str = _UNSET,
    priority: str = _UNSET,
    category: str | None = _UNSET,
    tags: Iterable[str] = _UNSET,
    add_tags: Iterable[str] = _UNSET,
    remove_tags: Iterable[str] = _UNSET,
    team: Team | None = _UNSET,
    assignee: User | None = _UNSET,
    status: str = _UNSET,
    metadata: dict = _UNSET,
    expected_updated_at: datetime | None = None,
) -> Ticket:
    """Change any of the named fields of ``ticket`` at once: all of them or none.

    With ``expected_updated_at`` (the version the caller last read), a ticket changed since then
    is refused with ``StaleVersion`` — checked under the row lock, so no update is ever lost.

    Only given fields are looked at, and only those whose value differs are changed, each with
    its own history event. ``status`` alone is open to the requester (solve/reopen); every other
    field needs an agent. Moving the ticket to another team moves the team's access with it
    and unassigns an assignee who cannot work the new team.
    """
    _require_signed_in(actor)
    permissions.authorize(actor, Action.VIEW, ticket)
    agent_fields = {
        "subject": subject,
        "priority": priority,
        "category": category,
        "tags": tags,
        "add_tags": add_tags,
        "remove_tags": remove_tags,
        "team": team,
        "assignee": assignee,
        "metadata": metadata,
    }
    if any(value is not _UNSET for value in agent_fields.values()):
        permissions.authorize(actor, Action.CHANGE, ticket)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for field, value, cleaner in (
        ("subject", subject, _clean_subject),
        ("priority", priority, lambda v: _clean_choice(v, Priority, "priority")),
        ("category", category, lambda v: _clean_choice(v or None, Category, "category", allow_none=True)),
        ("tags", tags, clean_tags),
        ("add_tags", add_tags, lambda v: clean_tags(v, field="add_tags", limit=None)),
        ("remove_tags", remove_tags, lambda v: clean_tags(v, field="remove_tags", limit=None)),
        ("status", status, lambda v: _clean_choice(v, Status, "status")),
        ("metadata", metadata, _clean_metadata),
    ):
        if value is _UNSET:
            continue
        try:
            clean[field] = cleaner(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        ticket = _lock(ticket)
        if expected_updated_at is not None and ticket.updated_at != expected_updated_at:
            raise StaleVersion("The ticket changed since you read it. Read it again, then repeat your change.")
        if ticket.status == Status.CLOSED and (set(clean) - {"status"} or team is not _UNSET or assignee is not _UNSET):
            _refuse_if_closed(ticket)
        now = timezone.now()
        changed: list[str] = []
        for field, kind in _FIELD_EVENTS:
            if field in clean and clean[field] != getattr(ticket, field):
                old = getattr(ticket, field)
                _event(ticket, actor, kind, {"old": old, "new": clean[field]}, public=True, at=now)
                setattr(ticket, field, clean[field])
                changed.append(field)
        if "metadata" in clean and clean["metadata"] != ticket.metadata:
            ticket.metadata = clean["metadata"]
            changed.append("metadata")
        if {"tags", "add_tags", "remove_tags"} & set(clean):
            _change_tags(ticket, actor, clean, now)
        if team is not _UNSET and (team.pk if team else None) != ticket.team_id:
            _move_team(ticket, actor, team, now, changed, keep_assignee=assignee is not _UNSET)
        if assignee is not _UNSET and (assignee.pk if assignee else None) != ticket.assignee_id:
            _validate_assignee(assignee, ticket.team)
            _assignment_event(ticket, actor, assignee, at=now)
            ticket.assignee = assignee
            changed.append("assignee")
        if "status" in clean and clean["status"] != ticket.status:
            _check_transition(actor, ticket, clean["status"])
            _set_status(ticket, clean["status"], actor=actor, at=now, changed=changed)
        if changed or ticket.__dict__.get("_tags_changed"):
            ticket.__dict__.pop("_tags_changed", None)
            _save(ticket, changed, now)
        if "subject" in changed:
            search.index_tickets([ticket.pk])
    return ticket


def _change_tags(ticket: Ticket, actor: User, clean: dict, at: datetime) -> None:
    current = list(ticket.tags.values_list("name", flat=True))
    wanted = list(clean["tags"]) if "tags" in clean else list(current)
    for name in clean.get("add_tags", []):
        if name not in wanted:
            wanted.append(name)
    wanted = [name for name in wanted if name not in clean.get("remove_tags", [])]
    if len(wanted) > MAX_TAGS:
        raise ValidationError(
            {"tags": [f"A ticket can have at most {MAX_TAGS} tags ({len(wanted)} after this change)."]}
        )
    added = [name for name in wanted if name not in current]
    removed = [name for name in current if name not in wanted]
    if not added and not removed:
        return
    ticket.tags.set(_tag_objects(wanted))
    _event(
        ticket, actor, EventKind.TAGS_CHANGED, {"added": added, "removed": removed, "tags": wanted}, public=False, at=at
    )
    ticket.__dict__["_tags_changed"] = True


def _move_team(
    ticket: Ticket, actor: User, team: Team | None, at: datetime, changed: list[str], *, keep_assignee: bool
) -> None:
    old = ticket.team
    if old is not None:
        permissions.revoke_team(ticket, old)
    if team is not None:
        permissions.grant_team(ticket, team)
    _event(
        ticket,
        actor,
        EventKind.TEAM_CHANGED,
        {
            "old": {"id": old.pk, "name": old.name} if old else None,
            "new": {"id": team.pk, "name": team.name} if team else None,
        },
        public=False,
        at=at,
    )
    ticket.team = team
    changed.append("team")
    if not keep_assignee and ticket.assignee is not None and not permissions.can_work_team(ticket.assignee, team):
        _event(
            ticket,
            actor,
            EventKind.ASSIGNED,
            {"old": _person(ticket.assignee), "new": None, "reason": "cannot work the new team"},
            public=True,
            at=at,
        )
        ticket.assignee = None
        changed.append("assignee")


# --- conversation --------------------------------------------------------------------------------


def message_add(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    attachments: list | tuple = (),
    status: str | None = None,
) -> Message:
    """Add a public reply or (agents) an internal note, with files, optionally setting a status.

    A customer's public reply to a pending or solved ticket reopens it; an agent's first public
    reply sets ``first_response_at``. Closed tickets take no replies (``Conflict``).
    """
    _require_signed_in(actor)
    permissions.authorize(actor, Action.ADD_NOTE if internal else Action.REPLY, ticket)
    if status is not None:
        permissions.authorize(actor, Action.CHANGE, ticket)
    errors: dict[str, list[str]] = {}
    try:
        body = _clean_text(body, field="body", minimum=1, maximum=BODY_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if status is not None:
        try:
            status = _clean_choice(status, Status, "status")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    checked = check_uploads(list(attachments))

    with atomic_with_files():
        ticket = _lock(ticket)
        if ticket.status == Status.CLOSED:
            raise Conflict("This ticket is closed and takes no more replies. Open a follow-up ticket instead.")
        now = timezone.now()
        message = Message.objects.create(
            ticket=ticket,
            author=actor,
            author_name=actor.name,
            author_role=actor.role,
            body=body,
            internal=internal,
            created_at=now,
        )
        search.index_tickets([ticket.pk])
        _event(
            ticket,
            actor,
            EventKind.NOTE_ADDED if internal else EventKind.MESSAGE_ADDED,
            {"message_id": message.pk},
            public=not internal,
            at=now,
        )
        for item in checked:
            _attach(ticket, item, actor=actor, message=message, at=now)
        changed: list[str] = []
        if not internal:
            if actor.is_agent and actor.pk != ticket.requester_id:
                if ticket.first_response_at is None:
                    ticket.first_response_at = now
                    changed.append("first_response_at")
            elif ticket.status in REOPENED_BY_REQUESTER_REPLY and status is None:
                _set_status(ticket, Status.OPEN, actor=actor, at=now, changed=changed)
        if status is not None and status != ticket.status:
            _check_transition(actor, ticket, status)
            _set_status(ticket, status, actor=actor, at=now, changed=changed)
        _save(ticket, changed, now)
    return message


def attachment_add(*, actor: User, ticket: Ticket, file, message: Message | None = None) -> Attachment:
    """Attach one file to ``ticket`` (and to ``message`` of that ticket, if given).

    Public attachments need the right to reply; attaching to an internal note needs an agent.
    """
    _require_signed_in(actor)
    if message is not None and message.ticket_id != ticket.pk:
        permissions.authorize(actor, Action.VIEW, ticket)
        raise ValidationError({"message": ["That message belongs to another ticket."]})
    internal = bool(message and message.internal)
    permissions.authorize(actor, Action.ADD_NOTE if internal else Action.REPLY, ticket)
    if message is not None and not internal and message.author_id != actor.pk and not actor.is_agent:
        raise PermissionDenied("You can only attach files to your own messages.")
    (checked,) = check_uploads([file], field="file")
    with atomic_with_files():
        ticket = _lock(ticket)
        if ticket.status == Status.CLOSED:
            raise Conflict("This ticket is closed and takes no more files. Open a follow-up ticket instead.")
        now = timezone.now()
        attachment = _attach(ticket, checked, actor=actor, message=message, at=now)
        _save(ticket, [], now)
    return attachment


def collaborator_add(*, actor: User, ticket: Ticket, email: str, name: str = "") -> User:
    """Share ``ticket`` with a customer by email (an account is made if there is none): they can
    read it and reply. Agents already see what they may; only customers are collaborators."""
    from accounts import services as account_services
    from accounts.models import User

    _require_signed_in(actor)
    permissions.authorize(actor, Action.ADD_COLLABORATOR, ticket)
    email = (email or "").strip().lower()
    with transaction.atomic():
        ticket = _lock(ticket)
        _refuse_if_closed(ticket)
        user = User.objects.filter(email__iexact=email).first() if email else None
        if user is None:
            try:
                user = account_services.user_create(email=email, name=name or email.split("@")[0])
            except ValidationError as exc:
                raise ValidationError({"email": exc.message_dict.get("email", exc.messages)}) from None
        if user.is_agent:
            raise ValidationError({"email": [f"{user.name} is an agent; agents do not need to be added."]})
        if user.pk == ticket.requester_id:
            raise ValidationError({"email": [f"{user.name} is the requester already."]})
        if ticket.collaborators.filter(pk=user.pk).exists():
            return user
        ticket.collaborators.add(user)
        permissions.grant_collaborator(ticket, user)
        now = timezone.now()
        _event(ticket, actor, EventKind.COLLABORATOR_ADDED, {"user": _person(user)}, public=True, at=now)
        _save(ticket, [], now)
    return user


def collaborator_remove(*, actor: User, ticket: Ticket, user: User) -> None:
    """Stop sharing ``ticket`` with ``user``."""
    _require_signed_in(actor)
    permissions.authorize(actor, Action.ADD_COLLABORATOR, ticket)
    with transaction.atomic():
        ticket = _lock(ticket)
        if not ticket.collaborators.filter(pk=user.pk).exists():
            return
        ticket.collaborators.remove(user)
        permissions.revoke_collaborator(ticket, user)
        now = timezone.now()
        _event(ticket, actor, EventKind.COLLABORATOR_REMOVED, {"user": _person(user)}, public=True, at=now)
        _save(ticket, [], now)


def ticket_delete(*, actor: User, ticket: Ticket) -> None:
    """Delete ``ticket`` with its conversation, history and files (admins only)."""
    _require_signed_in(actor)
    permissions.authorize(actor, Action.DELETE, ticket)
    with transaction.atomic():
        ticket = _lock(ticket)
        names = list(ticket.attachments.values_list("file", flat=True))
        ticket.delete()
        delete_after_commit(names)
        caching.access_changed()  # rare (admins only): forget every cached count and figure


def ticket_bulk_update(*, actor: User, ticket_ids: Iterable[int], changes: dict[str, Any]) -> list[Ticket]:
    """Apply the same ``changes`` to many tickets: every one of them, or none.

    ``changes`` may hold ``status``, ``priority``, ``assignee``, ``team``, ``add_tags`` and
    ``remove_tags``. Tickets are locked in id order (no deadlock between two bulk updates).
    When any ticket refuses, ``BulkUpdateFailed`` lists each failing id with its reason and
    nothing is changed.
    """
    _require_signed_in(actor)
    if not actor.is_agent:
        raise PermissionDenied("Only agents can change tickets in bulk.")
    allowed = {"status", "priority", "assignee", "team", "add_tags", "remove_tags"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({"changes": [f"Unknown change {name!r}." for name in sorted(unknown)]})
    if not changes:
        raise ValidationError({"changes": ["Choose at least one change."]})
    try:
        ids = sorted({int(pk) for pk in ticket_ids})
    except (TypeError, ValueError):
        raise ValidationError({"ids": ["Ticket ids must be whole numbers."]}) from None
    if not ids:
        raise ValidationError({"ids": ["Select at least one ticket."]})
    if len(ids) > MAX_BULK_TICKETS:
        raise ValidationError({"ids": [f"Change at most {MAX_BULK_TICKETS} tickets at once ({len(ids)} given)."]})
    failures: dict[int, str] = {}
    updated: list[Ticket] = []
    with transaction.atomic():
        visible = {
            t.pk: t
            for t in permissions.visible_tickets(actor)
            .filter(pk__in=ids)
            .select_for_update(of=("self",))
            .order_by("pk")
        }
        for pk in ids:
            ticket = visible.get(pk)
            if ticket is None:
                failures[pk] = "no such ticket"
                continue
            try:
                with transaction.atomic():
                    updated.append(ticket_update(actor=actor, ticket=ticket, **changes))
            except ValidationError as exc:
                failures[pk] = "; ".join(
                    f"{field}: {' '.join(msgs)}" if field != "__all__" else " ".join(msgs)
                    for field, msgs in exc.message_dict.items()
                )
            except (PermissionDenied, Conflict) as exc:
                failures[pk] = str(exc) or "not allowed"
            except Http404:
                failures[pk] = "no such ticket"
        if failures:
            transaction.set_rollback(True)
    if failures:
        raise BulkUpdateFailed(failures)
    return updated


def ticket_autoclose(*, now: datetime | None = None, days: int | None = None, batch: int = 500) -> int:
    """Close tickets that have been solved for ``days`` (HELPDESK_AUTOCLOSE_DAYS) or longer.

    Each closes in its own short transaction with a system history event (actor: none), so a
    long run never holds many locks; rows another process is changing right now are skipped
    and picked up by the next run. Returns how many tickets were closed.
    """
    from django.conf import settings

    now = now or timezone.now()
    days = settings.HELPDESK_AUTOCLOSE_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    closed = 0
    while True:
        with transaction.atomic():
            due = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=Status.SOLVED, solved_at__lte=cutoff)
                .order_by("solved_at", "id")[:batch]
            )
            for ticket in due:
                changed: list[str] = []
                _set_status(ticket, Status.CLOSED, actor=None, at=now, changed=changed)
                ticket.updated_at = now
                ticket.save(update_fields=sorted(set(changed) | {"updated_at"}))
            closed += len(due)
        if len(due) < batch:
            return closed


def notification_mark_read(*, actor: User, ids: list[int] | None) -> int:
    """Mark ``actor``'s notifications ``ids`` (None: all of them) read. Returns how many changed."""
    from tickets.models import Notification

    _require_signed_in(actor)
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- portal read markers -------------------------------------------------------------------------


def ticket_mark_seen(*, actor: User, ticket: Ticket) -> None:
    """Remember that ``actor`` has read ``ticket``'s conversation up to now.

    This drives the portal's "new reply" flag. Reading is not a change of the ticket: no history
    event is written and ``updated_at`` stays as it is. ``Http404`` when ``actor`` may not see it.
    """
    from django.db import IntegrityError

    from tickets.models import TicketReadMarker

    _require_signed_in(actor)
    permissions.authorize(actor, Action.VIEW, ticket)
    now = timezone.now()
    # One UPDATE on every visit but the first; the unique constraint settles two first visits at once.
    markers = TicketReadMarker.objects.filter(user=actor, ticket=ticket)
    if markers.update(last_seen_at=now):
        return
    try:
        with transaction.atomic():
            TicketReadMarker.objects.create(user=actor, ticket=ticket, last_seen_at=now)
    except IntegrityError:
        markers.update(last_seen_at=now)


# --- API: idempotent create (appended for the REST API) -------------------------------------------

IDEMPOTENCY_WINDOW_HOURS = 24


def ticket_create_idempotent(*, actor: User, key: str, **fields: Any) -> tuple[Ticket, bool]:
    """``ticket_create`` that a client may safely repeat: the first call with ``key`` creates the
    ticket and remembers the key for ``actor``; a repeat within 24 hours returns that ticket and
    ``False`` (nothing is created). Two racing repeats: one creates, the other gets its ticket.
    A key older than 24 hours is forgotten and may make a new ticket.
    """
    from datetime import timedelta

    from django.db import IntegrityError

    from tickets.models import IdempotencyKey

    _require_signed_in(actor)
    cutoff = timezone.now() - timedelta(hours=IDEMPOTENCY_WINDOW_HOURS)

    def remembered() -> Ticket | None:
        row = (
            IdempotencyKey.objects.filter(user=actor, key=key, created_at__gte=cutoff).select_related("ticket").first()
        )
        return row.ticket if row is not None else None

    ticket = remembered()
    if ticket is not None:
        return ticket, False
    try:
        with atomic_with_files():
            IdempotencyKey.objects.filter(user=actor, key=key, created_at__lt=cutoff).delete()
            ticket = ticket_create(actor=actor, **fields)
            IdempotencyKey.objects.create(user=actor, key=key, ticket=ticket)
    except IntegrityError:
        ticket = remembered()
        if ticket is None:
            raise
        return ticket, False
    return ticket, True
