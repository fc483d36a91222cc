"""What a macro, trigger or automation does to a ticket: ``[{"action": "set_status", "value":
"pending"}, {"action": "add_reply", "value": "Hi {{requester.first_name}}, …"}, …]``.

``parse`` checks a list once (every mistake named); ``check_owner`` says which actions the
person a rule acts for may not do; ``preview`` says what applying would change without writing;
``apply`` carries the actions out through ``tickets.services`` as ``actor`` — one field update
(all or nothing, one history event per field) and then the reply or note — so permissions,
validation, history and notifications are exactly those of the same change made by hand. Every
event written says which rule did it (``tickets.rules.context``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import Category, Priority, Status
from tickets.rules import context, placeholders
from tickets.rules import fields as f

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket, TicketField

SET_STATUS, SET_PRIORITY, SET_CATEGORY = "set_status", "set_priority", "set_category"
SET_TEAM, SET_ASSIGNEE, SET_CUSTOM_FIELD = "set_team", "set_assignee", "set_custom_field"
ADD_TAGS, REMOVE_TAGS = "add_tags", "remove_tags"
ADD_REPLY, ADD_NOTE, ADD_COLLABORATOR = "add_reply", "add_note", "add_collaborator"

LABELS = {
    SET_STATUS: gettext_lazy("Set status"),
    SET_PRIORITY: gettext_lazy("Set priority"),
    SET_CATEGORY: gettext_lazy("Set category"),
    SET_TEAM: gettext_lazy("Move to team"),
    SET_ASSIGNEE: gettext_lazy("Assign to"),
    SET_CUSTOM_FIELD: gettext_lazy("Set field"),
    ADD_TAGS: gettext_lazy("Add tags"),
    REMOVE_TAGS: gettext_lazy("Remove tags"),
    ADD_REPLY: gettext_lazy("Reply publicly"),
    ADD_NOTE: gettext_lazy("Add internal note"),
    ADD_COLLABORATOR: gettext_lazy("Add collaborator"),
}
#: The choices of the ticket's choice columns (the ``choices`` of its model fields).
_CHOICES: dict[str, type[models.TextChoices]] = {"status": Status, "priority": Priority, "category": Category}
#: One of each at most: two statuses or two replies in one rule is a mistake, not a plan.
SINGLE = (SET_STATUS, SET_PRIORITY, SET_CATEGORY, SET_TEAM, SET_ASSIGNEE, ADD_REPLY, ADD_NOTE)
MAX_ACTIONS = 20


@dataclass(frozen=True)
class Action:
    name: str
    value: Any
    field: str = ""  # set_custom_field: the field's key

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.name,
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
        }
        if self.field:
            data["field"] = self.field
        return data


def parse(data: Any, *, custom: list[TicketField] | None = None) -> list[Action]:
    if data in (None, ""):
        return []
    if not isinstance(data, list):
        raise ValidationError(_("Actions must be a list."))
    if len(data) > MAX_ACTIONS:
        raise ValidationError(_("At most %(limit)s actions.") % {"limit": MAX_ACTIONS})
    available = (
        f.available(custom) if any(isinstance(i, dict) and i.get("action") == SET_CUSTOM_FIELD for i in data) else {}
    )
    errors: list[str] = []
    parsed: list[Action] = []
    for index, item in enumerate(data, start=1):
        try:
            parsed.append(_parse_one(item, available))
        except ValidationError as error:
            errors.extend(
                _("Action %(number)s: %(message)s") % {"number": index, "message": message}
                for message in error.messages
            )
    seen: set[tuple[str, str]] = set()
    for action in parsed:
        key = (action.name, action.field)
        if (action.name in SINGLE or action.name == SET_CUSTOM_FIELD) and key in seen:
            errors.append(_("%(action)s appears twice.") % {"action": LABELS[action.name]})
        seen.add(key)
    if errors:
        raise ValidationError(errors)
    return parsed


def _parse_one(item: Any, available: dict[str, f.Field]) -> Action:
    from tickets.services.validation import clean_tags

    if not isinstance(item, dict) or item.get("action") not in LABELS:
        raise ValidationError(
            _('each action is an object with "action" (one of: %(names)s) and "value".') % {"names": ", ".join(LABELS)}
        )
    name, value = item["action"], item.get("value")

    def one_of(choices: Any, *, empty: bool = False) -> Any:
        if empty and value in (None, ""):
            return None
        if value not in choices.values:
            raise ValidationError(
                _("%(value)s is not one of: %(choices)s.")
                % {"value": repr(value), "choices": ", ".join(choices.values)}
            )
        return value

    if name == SET_STATUS:
        return Action(name, one_of(Status))
    if name == SET_PRIORITY:
        return Action(name, one_of(Priority))
    if name == SET_CATEGORY:
        return Action(name, one_of(Category, empty=True))
    if name in (SET_TEAM, SET_ASSIGNEE):
        return Action(name, _reference(name, value))
    if name in (ADD_TAGS, REMOVE_TAGS):
        tags = clean_tags(value if isinstance(value, list) else [value], field="value", limit=None)
        if not tags:
            raise ValidationError(_("name at least one tag."))
        return Action(name, tuple(tags))
    if name in (ADD_REPLY, ADD_NOTE):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(_("the text is empty."))
        placeholders.check(value)
        return Action(name, value.strip())
    if name == ADD_COLLABORATOR:
        from django.core.validators import validate_email

        if value == "requester" or not isinstance(value, str):
            raise ValidationError(_("name the collaborator's email address."))
        validate_email(value)
        return Action(name, value.strip().lower())
    # set_custom_field
    key = item.get("field")
    field = available.get(f"{f.CUSTOM_PREFIX}{key}")
    if field is None:
        raise ValidationError(_('unknown field "%(field)s".') % {"field": key})
    # The field was found under CUSTOM_PREFIX + key: its name without the prefix is ``key``.
    return Action(name, value, field=field.name.removeprefix(f.CUSTOM_PREFIX))


def _reference(name: str, value: Any) -> Any:
    from accounts.models import Team, User

    if value is None:
        return None
    if name == SET_ASSIGNEE and value == f.CURRENT_USER:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("%(value)s is not an id.") % {"value": repr(value)})
    model = Team if name == SET_TEAM else User
    if not model.objects.filter(pk=value).exists():
        raise ValidationError(_("%(value)s does not exist.") % {"value": value})
    return value


def check_owner(actions: list[Action], owner: User) -> None:
    """``ValidationError`` for actions ``owner`` — the person the rule or macro acts as — may
    not do anywhere: customers do not run rules; a team they may not work; an assignee who may
    not be assigned there."""
    from accounts.models import Team, User
    from tickets import permissions

    if not permissions.may_claim_tickets(owner):
        raise ValidationError(_("Only agents and administrators may own macros and rules."))
    errors = []
    for action in actions:
        if action.name == SET_TEAM and action.value is not None:
            team = Team.objects.get(pk=action.value)
            if not permissions.can_work_team(owner, team):
                errors.append(
                    _("%(person)s may not move tickets to %(team)s.") % {"person": owner.name, "team": team.name}
                )
        if action.name == SET_ASSIGNEE and isinstance(action.value, int):
            person = User.objects.get(pk=action.value)
            if not permissions.may_claim_tickets(person):
                errors.append(_("%(person)s cannot be assigned tickets.") % {"person": person.name})
    if errors:
        raise ValidationError(errors)


# --- applying -----------------------------------------------------------------------------------


def _field_changes(actions: list[Action], ticket: Ticket, actor: User) -> dict[str, Any]:
    from accounts.models import Team, User

    changes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for action in actions:
        if action.name == SET_STATUS:
            changes["status"] = action.value
        elif action.name == SET_PRIORITY:
            changes["priority"] = action.value
        elif action.name == SET_CATEGORY:
            changes["category"] = action.value
        elif action.name == SET_TEAM:
            changes["team"] = Team.objects.get(pk=action.value) if action.value else None
        elif action.name == SET_ASSIGNEE:
            value = actor.pk if action.value == f.CURRENT_USER else action.value
            changes["assignee"] = User.objects.get(pk=value) if value else None
        elif action.name == ADD_TAGS:
            changes["add_tags"] = list(action.value)
        elif action.name == REMOVE_TAGS:
            changes["remove_tags"] = list(action.value)
        elif action.name == SET_CUSTOM_FIELD:
            custom[action.field] = action.value
    if custom:
        changes["custom_fields"] = custom
    return changes


def texts(actions: list[Action], ticket: Ticket, actor: User) -> dict[str, str]:
    """The reply and note the actions would write for ``ticket``, placeholders filled in."""
    return {
        "reply" if action.name == ADD_REPLY else "note": placeholders.render(action.value, ticket=ticket, actor=actor)
        for action in actions
        if action.name in (ADD_REPLY, ADD_NOTE)
    }


def preview(actions: list[Action], *, ticket: Ticket, actor: User) -> dict[str, Any]:
    """What ``apply`` would do to ``ticket``, without writing: each field whose value would
    change (old and new, as shown), tags added and removed, the reply and note texts."""
    shown: list[dict[str, Any]] = []
    current_tags = {tag.name for tag in ticket.tags.all()}
    for name, value in _field_changes(actions, ticket, actor).items():
        if name in ("status", "priority", "category"):
            old = getattr(ticket, name)
            if old != value:
                display = dict(_CHOICES[name].choices)
                shown.append(
                    {"field": name, "old": display.get(old, old or ""), "new": display.get(value, value or "")}
                )
        elif name == "team" and (value.pk if value else None) != ticket.team_id:
            old_team = ticket.team
            shown.append(
                {
                    "field": "team",
                    "old": old_team.name if old_team is not None else "",
                    "new": value.name if value else "",
                }
            )
        elif name == "assignee" and (value.pk if value else None) != ticket.assignee_id:
            old_assignee = ticket.assignee
            old = old_assignee.name if old_assignee is not None else ""
            shown.append({"field": "assignee", "old": old, "new": value.name if value else ""})
        elif name == "add_tags":
            added = [t for t in value if t not in current_tags]
            if added:
                shown.append({"field": "tags", "added": added})
        elif name == "remove_tags":
            removed = [t for t in value if t in current_tags]
            if removed:
                shown.append({"field": "tags", "removed": removed})
        elif name == "custom_fields":
            for key, new in value.items():
                old = (ticket.custom_fields or {}).get(key)
                if old != new:
                    shown.append({"field": f"custom.{key}", "old": old, "new": new})
    return {"changes": shown, **texts(actions, ticket, actor)}


def apply(
    actions: list[Action], *, ticket: Ticket, actor: User, kind: str, rule: Any, reply: str | None = None
) -> Ticket:
    """Carry out ``actions`` on ``ticket`` as ``actor``, all or nothing. Raises what the
    services raise (Http404, PermissionDenied, ValidationError, Conflict). ``reply``: the reply
    as the agent edited it after a preview (already filled in), instead of the action's text;
    only when the actions reply at all."""
    from tickets import services

    with transaction.atomic(), context.acting_for(kind, rule):
        written = texts(actions, ticket, actor)
        if reply is not None and "reply" in written:
            written["reply"] = reply
        changes = _field_changes(actions, ticket, actor)
        status = changes.pop("status", None)
        if "note" in written:
            services.message_add(actor=actor, ticket=ticket, body=written["note"], internal=True)
        if changes:
            ticket = services.ticket_update(actor=actor, ticket=ticket, **changes)
        if "reply" in written:
            services.message_add(actor=actor, ticket=ticket, body=written["reply"], status=status)
        elif status is not None:
            ticket = services.ticket_update(actor=actor, ticket=ticket, status=status)
        for action in actions:
            if action.name == ADD_COLLABORATOR:
                services.collaborator_add(actor=actor, ticket=ticket, email=action.value)
        ticket.refresh_from_db()
    return ticket
