"""Changing a ticket's fields — one ticket, all named fields at once or none, and the same change
to many tickets at once or to none."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from helpdesk import memo
from tickets import permissions, search
from tickets.exceptions import BulkUpdateFailed, Conflict, StaleVersion
from tickets.models import Category, EventKind, Priority, Status, Ticket
from tickets.permissions import Action
from tickets.services import custom_fields as cf
from tickets.services.assignment import assign, move_team, validate_assignee
from tickets.services.changes import TicketChange, lock, refuse_if_closed
from tickets.services.lifecycle import check_transition, set_status
from tickets.services.validation import (
    MAX_BULK_TICKETS,
    MAX_TAGS,
    clean_choice,
    clean_metadata,
    clean_subject,
    clean_tags,
    collect_errors,
    require_signed_in,
    tag_objects,
)

_UNSET: Any = object()

# Plain fields whose change is one public history entry with the old and the new value.
_FIELD_EVENTS = (
    ("subject", EventKind.SUBJECT_CHANGED),
    ("priority", EventKind.PRIORITY_CHANGED),
    ("category", EventKind.CATEGORY_CHANGED),
)
_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "subject": clean_subject,
    "priority": lambda v: clean_choice(v, Priority, "priority"),
    "category": lambda v: clean_choice(v or None, Category, "category", allow_none=True),
    "tags": clean_tags,
    "add_tags": lambda v: clean_tags(v, field="add_tags", limit=None),
    "remove_tags": lambda v: clean_tags(v, field="remove_tags", limit=None),
    "status": lambda v: clean_choice(v, Status, "status"),
    "metadata": clean_metadata,
}


@memo.scoped
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
    metadata: dict[str, Any] = _UNSET,
    custom_fields: dict[str, Any] = _UNSET,
    expected_updated_at: datetime | None = None,
) -> Ticket:
    """Change any of the named fields of ``ticket`` at once: all of them or none.

    With ``expected_updated_at`` (the version the caller last read: ``permissions.activity_at``,
    the last change they may know of), a ticket changed since then is refused with
    ``StaleVersion`` — checked under the row lock, so no update is ever lost.

    Only given fields are looked at, and only those whose value differs are changed, each with
    its own history event. ``status`` alone is open to the requester (solve/reopen); every other
    field needs an agent. ``custom_fields`` changes the named custom fields only (a ``None`` or
    empty value clears one; ``tickets.services.custom_fields``). Moving the ticket to another team moves the team's access with it
    and unassigns an assignee who cannot work the new team.
    """
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.VIEW, ticket)
    given = {
        "subject": subject,
        "priority": priority,
        "category": category,
        "tags": tags,
        "add_tags": add_tags,
        "remove_tags": remove_tags,
        "status": status,
        "metadata": metadata,
    }
    if any(value is not _UNSET for name, value in given.items() if name != "status") or (
        team is not _UNSET or assignee is not _UNSET or custom_fields is not _UNSET
    ):
        permissions.authorize(actor, Action.CHANGE, ticket)
    clean, errors = collect_errors(
        (name, lambda name=name, value=value: _CLEANERS[name](value))
        for name, value in given.items()
        if value is not _UNSET
    )
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        ticket = lock(ticket)
        if expected_updated_at is not None and permissions.activity_at(actor, ticket) != expected_updated_at:
            raise StaleVersion(_("The ticket changed since you read it. Read it again, then repeat your change."))
        if set(clean) - {"status"} or team is not _UNSET or assignee is not _UNSET or custom_fields is not _UNSET:
            refuse_if_closed(ticket)
        change = TicketChange(ticket, actor, timezone.now())
        for field, kind in _FIELD_EVENTS:
            if field in clean and clean[field] != getattr(ticket, field):
                change.record(kind, {"old": getattr(ticket, field), "new": clean[field]}, public=True)
                change.set(field, clean[field])
        if "metadata" in clean and clean["metadata"] != ticket.metadata:
            change.set("metadata", clean["metadata"])
        if {"tags", "add_tags", "remove_tags"} & set(clean):
            _change_tags(change, clean)
        if team is not _UNSET and (team.pk if team else None) != ticket.team_id:
            move_team(change, team, keep_assignee=assignee is not _UNSET)
        if assignee is not _UNSET and (assignee.pk if assignee else None) != ticket.assignee_id:
            validate_assignee(assignee, ticket.team)
            assign(change, assignee)
        if custom_fields is not _UNSET:
            _change_custom_fields(change, actor, custom_fields)
        if "status" in clean and clean["status"] != ticket.status:
            check_transition(actor, ticket, clean["status"])
            set_status(change, clean["status"])
        if change.changed or change.related_changed:
            change.save()
        if "subject" in change.changed:
            search.index_tickets([ticket.pk])
        change.after_commit(notify=True, expire_caches=True)
    return ticket


def _change_custom_fields(change: TicketChange, actor: User, values: Any) -> None:
    """Merge ``values`` into the ticket's custom fields (checked against its team, after a move
    in the same change, and against what ``actor`` — the change's actor — may set), one history
    event per field that changed."""
    ticket = change.ticket
    old = dict(ticket.custom_fields or {})
    new = cf.clean_custom_fields(
        values, ticket_team=ticket.team_id, actor=actor, partial=True, existing=old, ticket=ticket
    )
    if new != old:
        cf.record_changes(change, old, new)
        change.set("custom_fields", new)


def _change_tags(change: TicketChange, clean: dict[str, Any]) -> None:
    ticket = change.ticket
    current = list(ticket.tags.values_list("name", flat=True))
    wanted = list(clean["tags"]) if "tags" in clean else list(current)
    for name in clean.get("add_tags", []):
        if name not in wanted:
            wanted.append(name)
    wanted = [name for name in wanted if name not in clean.get("remove_tags", [])]
    if len(wanted) > MAX_TAGS:
        raise ValidationError(
            {
                "tags": [
                    _("A ticket can have at most %(count)d tags (%(given)d after this change).")
                    % {"count": MAX_TAGS, "given": len(wanted)}
                ]
            }
        )
    added = [name for name in wanted if name not in current]
    removed = [name for name in current if name not in wanted]
    if not added and not removed:
        return
    ticket.tags.set(tag_objects(wanted))
    change.record(EventKind.TAGS_CHANGED, {"added": added, "removed": removed, "tags": wanted}, public=False)
    change.related_changed = True


#: What one bulk change may set.
BULK_FIELDS = frozenset({"status", "priority", "assignee", "team", "add_tags", "remove_tags", "custom_fields"})


@memo.scoped
def ticket_bulk_update(*, actor: User, ticket_ids: Iterable[int], changes: dict[str, Any]) -> list[Ticket]:
    """Apply the same ``changes`` to many tickets: every one of them, or none.

    ``changes`` may hold ``status``, ``priority``, ``assignee``, ``team``, ``add_tags``,
    ``remove_tags`` and ``custom_fields`` (merged into each ticket's). Tickets are locked in id order (no deadlock between two bulk updates).
    When any ticket refuses, ``BulkUpdateFailed`` lists each failing id with its reason and
    nothing is changed.
    """
    actor = require_signed_in(actor)
    if not permissions.may_change_in_bulk(actor):
        raise PermissionDenied(_("Only agents can change tickets in bulk."))
    unknown = set(changes) - BULK_FIELDS
    if unknown:
        raise ValidationError(
            {"changes": [_("Unknown change %(name)s.") % {"name": repr(name)} for name in sorted(unknown)]}
        )
    if not changes:
        raise ValidationError({"changes": [_("Choose at least one change.")]})
    try:
        ids = sorted({int(pk) for pk in ticket_ids})
    except (TypeError, ValueError):
        raise ValidationError({"ids": [_("Ticket ids must be whole numbers.")]}) from None
    if not ids:
        raise ValidationError({"ids": [_("Select at least one ticket.")]})
    if len(ids) > MAX_BULK_TICKETS:
        raise ValidationError(
            {
                "ids": [
                    _("Change at most %(count)d tickets at once (%(given)d given).")
                    % {"count": MAX_BULK_TICKETS, "given": len(ids)}
                ]
            }
        )
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
