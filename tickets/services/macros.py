"""Macros (``tickets.models.macros``): managing them, listing the ones an agent may use, and
applying one to a ticket or — all or nothing — to many.

Who may do what is ``tickets.permissions`` (``usable_macros``, ``may_use_macro``,
``may_create_macro``, ``may_manage_macro``); what a macro does is ``tickets.rules.actions``,
which carries the actions out through the ticket services as the agent applying it, so every
permission, validation and history rule of the same change made by hand holds, and the history
says "via macro …".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import Team, User
from helpdesk import memo
from helpdesk.forms import error_text
from helpdesk.ids import parse_id
from tickets import caching, permissions
from tickets.exceptions import BulkUpdateFailed, Conflict
from tickets.models import Macro, MacroScope, Ticket
from tickets.rules import actions as rule_actions
from tickets.rules.context import MACRO
from tickets.services.validation import MAX_BULK_TICKETS, require_signed_in

NAME_MAX = 100
DESCRIPTION_MAX = 300


@audit.untranslated
def audit_values(macro: Macro) -> audit.Values:
    """A shared macro as the audit log shows it (personal macros are their owner's tools, not
    the desk's settings, and are not logged)."""
    return {
        "Name": macro.name,
        "Description": macro.description,
        "Shared with": str(macro.get_scope_display()),
        "Team": macro.team.name if macro.team is not None else "",
        "Actions": json.dumps(macro.actions, ensure_ascii=False),
        "Active": audit._yes_no(macro.active),
    }


def _clean(
    *, actor: User, name: Any, description: Any, actions: Any, scope: Any, team: Team | None
) -> list[rule_actions.Action]:
    """Every mistake at once, keyed by field; the parsed actions when there is none."""
    errors: dict[str, list[str]] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = [_("Give the macro a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(count)d characters.") % {"count": NAME_MAX}]
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("At most %(count)d characters.") % {"count": DESCRIPTION_MAX}]
    if scope not in MacroScope.values:
        errors["scope"] = [_("Choose who the macro is for.")]
    elif scope == MacroScope.TEAM and team is None:
        errors["team"] = [_("Choose the team whose members may use the macro.")]
    elif not permissions.may_create_macro(actor, scope):
        errors["scope"] = [_("Only desk administrators may share macros; yours are for you only.")]
    parsed: list[rule_actions.Action] = []
    try:
        parsed = rule_actions.parse(actions)
        if not parsed:
            raise ValidationError(_("Add at least one action."))
        rule_actions.check_owner(parsed, actor)
    except ValidationError as exc:
        errors["actions"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return parsed


def macro_create(
    *,
    actor: User,
    name: str,
    actions: Any,
    scope: str = MacroScope.PERSONAL,
    team: Team | None = None,
    description: str = "",
    active: bool = True,
    position: int = 0,
) -> Macro:
    """A new macro: personal (``actor``'s own) or, for desk managers, shared with a team or with
    every agent. ``ValidationError`` keyed by field names every mistake; nothing is written."""
    actor = require_signed_in(actor)
    if not permissions.works_tickets(actor):
        raise PermissionDenied(_("Only agents and administrators have macros."))
    parsed = _clean(actor=actor, name=name, description=description, actions=actions, scope=scope, team=team)
    with transaction.atomic():
        macro = Macro.objects.create(
            name=name.strip(),
            description=description.strip(),
            actions=[action.as_json() for action in parsed],
            scope=scope,
            owner=actor if scope == MacroScope.PERSONAL else None,
            team=team if scope == MacroScope.TEAM else None,
            active=active,
            position=position,
            created_by=actor,
        )
        if macro.shared:
            audit.record_addition(actor, macro, audit_values(macro))
    return macro


def macro_update(*, actor: User, macro: Macro, **changes: Any) -> Macro:
    """Change ``macro`` (any of name, description, actions, scope, team, active, position): its
    owner for a personal macro, a desk manager for a shared one (and only they may share it)."""
    actor = require_signed_in(actor)
    if not permissions.may_manage_macro(actor, macro):
        raise PermissionDenied(_("You may not change this macro."))
    unknown = set(changes) - {"name", "description", "actions", "scope", "team", "active", "position"}
    if unknown:
        raise ValidationError({"__all__": [_("Unknown field %(name)s.") % {"name": ", ".join(sorted(unknown))}]})
    values = {
        "name": macro.name,
        "description": macro.description,
        "actions": macro.actions,
        "scope": macro.scope,
        "team": macro.team,
    }
    values.update({key: value for key, value in changes.items() if key in values})
    parsed = _clean(actor=actor, **values)
    with transaction.atomic():
        macro = Macro.objects.select_for_update(of=("self",)).select_related("team").get(pk=macro.pk)
        before = audit_values(macro) if macro.shared else None
        macro.name = values["name"].strip()
        macro.description = values["description"].strip()
        macro.actions = [action.as_json() for action in parsed]
        macro.scope = values["scope"]
        macro.team = values["team"] if macro.scope == MacroScope.TEAM else None
        if macro.scope == MacroScope.PERSONAL:
            macro.owner = macro.owner or actor
        else:
            macro.owner = None
        if "active" in changes:
            macro.active = bool(changes["active"])
        if "position" in changes:
            macro.position = int(changes["position"] or 0)
        macro.save()
        if before is not None or macro.shared:
            audit.record_change(actor, macro, before or {}, audit_values(macro))
    return macro


def macro_delete(*, actor: User, macro: Macro) -> None:
    actor = require_signed_in(actor)
    if not permissions.may_manage_macro(actor, macro):
        raise PermissionDenied(_("You may not delete this macro."))
    with transaction.atomic():
        if macro.shared:
            audit.record_deletion(actor, macro, audit_values(macro))
        macro.delete()


#: Bumped on every write to a macro (``macros_changed``: saved, deleted, used), so the pickers'
#: lists kept by ``macros_for`` are never older than the macros.
MACROS_KEY = caching.read_together("helpdesk:macros:version")


def macros_changed(**kwargs: Any) -> None:
    """A macro was saved, deleted or used. Connected in ``TicketsConfig.ready`` to Macro's saves
    and deletes."""
    caching.changed_now_and_at_commit(MACROS_KEY)


def macros_for(agent: User) -> list[Macro]:
    """The active macros ``agent`` may apply, the most used first (every queue and agent ticket
    page offers them). Kept in the process per agent under the versions of the macros and of
    access (teams, roles; ``caching.kept``): the query runs again only after a change. The macros
    are shared between requests: read them, do not change them."""

    def read() -> list[Macro]:
        return list(permissions.usable_macros(agent).order_by("-usage_count", "position", "name", "id"))

    return list(caching.kept("macros", agent.pk, read, scope=[MACROS_KEY, caching.ACCESS_KEY]))


def macro_usable_or_404(user: User, pk: object) -> Macro:
    """The macro ``pk`` if ``user`` may apply it, else 404 (a macro one may not use does not exist)."""

    pk_int = parse_id(pk)
    macro = permissions.usable_macros(user).filter(pk=pk_int).first() if pk_int is not None else None
    if macro is None:
        raise Http404("No such macro.")
    return macro


def _actions_of(actor: User, macro: Macro) -> list[rule_actions.Action]:
    if not permissions.may_use_macro(actor, macro):
        raise PermissionDenied(_("You may not use this macro."))
    return rule_actions.parse(macro.actions)


def macro_preview(*, actor: User, macro: Macro, ticket: Ticket) -> dict[str, Any]:
    """What applying ``macro`` to ``ticket`` would change, without writing (``actions.preview``)."""
    actor = require_signed_in(actor)
    parsed = _actions_of(actor, macro)
    if not permissions.can(actor, permissions.Action.VIEW, ticket):
        raise Http404("No such ticket.")
    return rule_actions.preview(parsed, ticket=ticket, actor=actor)


def macro_preview_draft(*, actor: User, actions: Any, ticket: Ticket) -> dict[str, Any]:
    """What a macro being written (``actions``, not saved) would change on ``ticket``, as
    ``macro_preview`` says it; writes nothing. ``ValidationError`` on "actions" in the engine's
    words; ``Http404`` for a ticket ``actor`` may not see."""
    actor = require_signed_in(actor)
    if not permissions.may_create_macro(actor, MacroScope.PERSONAL):
        raise PermissionDenied(_("Only agents and administrators have macros."))
    try:
        parsed = rule_actions.parse(actions)
        if not parsed:
            raise ValidationError(_("Add at least one action."))
        rule_actions.check_owner(parsed, actor)
    except ValidationError as exc:
        raise ValidationError({"actions": exc.messages}) from None
    if not permissions.can(actor, permissions.Action.VIEW, ticket):
        raise Http404("No such ticket.")
    return rule_actions.preview(parsed, ticket=ticket, actor=actor)


def _count_use(macro: Macro, times: int) -> None:
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + times, last_used_at=timezone.now())
    macros_changed()  # the pickers list the most used first


@memo.scoped
def macro_apply(*, actor: User, macro: Macro, ticket: Ticket, reply: str | None = None) -> Ticket:
    """Apply ``macro`` to ``ticket`` as ``actor``, all or nothing, and count the use. ``reply``:
    the macro's reply as the agent edited it after the preview (ignored when it has none)."""
    actor = require_signed_in(actor)
    parsed = _actions_of(actor, macro)
    if reply is not None and not reply.strip():
        raise ValidationError({"reply": [_("The reply is empty: write one, or undo the macro.")]})
    with transaction.atomic():
        ticket = rule_actions.apply(parsed, ticket=ticket, actor=actor, kind=MACRO, rule=macro, reply=reply)
        _count_use(macro, 1)
    return ticket


@memo.scoped
def macro_apply_bulk(*, actor: User, macro: Macro, ticket_ids: Iterable[Any]) -> list[Ticket]:
    """Apply ``macro`` to every ticket of ``ticket_ids``, or to none: when any ticket refuses,
    ``BulkUpdateFailed`` names each failing ticket with its reason and nothing is changed."""
    actor = require_signed_in(actor)
    if not permissions.may_change_in_bulk(actor):
        raise PermissionDenied(_("Only agents can change tickets in bulk."))
    parsed = _actions_of(actor, macro)
    given = [parse_id(pk) for pk in ticket_ids]
    if any(pk is None for pk in given):  # not digits, or past any id (refused before the database)
        raise ValidationError({"ids": [_("Ticket ids must be whole numbers.")]})
    ids = sorted({pk for pk in given if pk is not None})
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
        # Locked in id order, like every bulk change: two bulk changes never deadlock.
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
                failures[pk] = _("no such ticket")
                continue
            try:
                with transaction.atomic():
                    updated.append(rule_actions.apply(parsed, ticket=ticket, actor=actor, kind=MACRO, rule=macro))
            except ValidationError as exc:
                failures[pk] = error_text(exc)
            except (PermissionDenied, Conflict) as exc:
                failures[pk] = str(exc) or _("not allowed")
            except Http404:
                failures[pk] = _("no such ticket")
        if failures:
            transaction.set_rollback(True)
        else:
            _count_use(macro, len(updated))
    if failures:
        raise BulkUpdateFailed(failures)
    return updated
