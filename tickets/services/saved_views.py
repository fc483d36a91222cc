"""Saved views (issue 16): make, change and delete them — checked, then written.

Agents make and manage their own personal views; shared views (a team's, everyone's) are the
desk managers' (``tickets.permissions.may_create_view`` / ``may_manage_view``). Every input is
checked before anything is written, and every mistake is named at once (``ValidationError``
keyed by field): conditions through the rules engine (``tickets.rules.conditions.parse``),
columns against the queue's columns and the desk's custom fields, the sort against the queue's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from tickets import permissions
from tickets.models import COLUMNS, DEFAULT_COLUMNS, SavedView, TicketField, ViewScope
from tickets.models.views import CUSTOM_COLUMN_PREFIX, SORT_KEYS
from tickets.rules import conditions as rule_conditions
from tickets.selectors.custom_fields import active_fields

MAX_VIEWS_PER_PERSON = 100
_UNSET: Any = object()


def clean_conditions(value: Any, *, custom: list[TicketField] | None = None) -> dict[str, Any]:
    """The conditions as stored (``parse`` then ``as_json``); ``ValidationError`` naming every mistake."""
    return rule_conditions.parse(value, custom=custom).as_json()


def clean_columns(value: Any, *, custom: list[TicketField] | None = None) -> list[str]:
    if value in (None, "", []):
        return list(DEFAULT_COLUMNS)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Columns are a list of column names."))
    keys = {field.key for field in (custom if custom is not None else active_fields())}
    unknown = [
        v
        for v in value
        if v not in COLUMNS and not (v.startswith(CUSTOM_COLUMN_PREFIX) and v[len(CUSTOM_COLUMN_PREFIX) :] in keys)
    ]
    if unknown:
        raise ValidationError(
            _("Unknown columns: %(columns)s. Use %(known)s or custom.<key> of an active field.")
            % {"columns": ", ".join(unknown[:10]), "known": ", ".join(COLUMNS)}
        )
    return list(dict.fromkeys(value))


def clean_sort(value: Any) -> str:
    if value in (None, ""):
        return "-updated"
    if not isinstance(value, str) or value not in SORT_KEYS:
        raise ValidationError(_("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(SORT_KEYS)})
    return value


def clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(_("Give the view a name."))
    name = " ".join(value.split())
    if len(name) > 100:
        raise ValidationError(_("Use at most %(count)d characters.") % {"count": 100})
    return name


def _clean_scope(actor: User, scope: Any, team: Any) -> tuple[str, Team | None]:
    if scope not in ViewScope.values:
        raise ValidationError({"scope": _("Share with one of: %(scopes)s.") % {"scopes": ", ".join(ViewScope.values)}})
    if scope == ViewScope.TEAM:
        if isinstance(team, int) and not isinstance(team, bool):
            team = Team.objects.filter(pk=team).first()
        if not isinstance(team, Team):
            raise ValidationError({"team": _("Choose the team the view is shared with.")})
        return scope, team
    return scope, None


def _collect(checks: dict[str, Any]) -> dict[str, Any]:
    """Run each check; raise one ValidationError keyed by field with every failure."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            cleaned[name] = check()
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def saved_view_create(
    *,
    actor: User,
    name: str,
    conditions: Any = None,
    columns: Any = None,
    sort: Any = None,
    scope: str = ViewScope.PERSONAL,
    team: Team | int | None = None,
    position: int = 0,
) -> SavedView:
    """A new view; ``PermissionDenied`` unless ``actor`` may make a view shared as ``scope``."""
    if not permissions.may_create_view(actor, scope if scope in ViewScope.values else ViewScope.EVERYONE):
        raise PermissionDenied(_("Only desk managers share views with a team or everyone."))
    scope, team_obj = _clean_scope(actor, scope, team)
    custom = active_fields()
    cleaned = _collect(
        {
            "name": lambda: clean_name(name),
            "conditions": lambda: clean_conditions(conditions, custom=custom),
            "columns": lambda: clean_columns(columns, custom=custom),
            "sort": lambda: clean_sort(sort),
        }
    )
    if scope == ViewScope.PERSONAL and SavedView.objects.filter(owner=actor).count() >= MAX_VIEWS_PER_PERSON:
        raise ValidationError({"name": _("At most %(count)d views each.") % {"count": MAX_VIEWS_PER_PERSON}})
    with transaction.atomic():
        return SavedView.objects.create(
            **cleaned,
            scope=scope,
            owner=actor if scope == ViewScope.PERSONAL else None,
            team=team_obj,
            position=max(0, int(position or 0)),
            created_by=actor,
        )


def saved_view_update(
    *,
    actor: User,
    view: SavedView,
    name: Any = _UNSET,
    conditions: Any = _UNSET,
    columns: Any = _UNSET,
    sort: Any = _UNSET,
    scope: Any = _UNSET,
    team: Any = _UNSET,
    position: Any = _UNSET,
    active: Any = _UNSET,
) -> SavedView:
    """Change the given fields of ``view`` (all or none). Moving a view between personal and
    shared needs both rights: to manage it as it is and to make it as it will be."""
    if not permissions.may_manage_view(actor, view):
        raise PermissionDenied(_("You may not change this view."))
    custom = active_fields()
    checks: dict[str, Any] = {}
    if name is not _UNSET:
        checks["name"] = lambda: clean_name(name)
    if conditions is not _UNSET:
        checks["conditions"] = lambda: clean_conditions(conditions, custom=custom)
    if columns is not _UNSET:
        checks["columns"] = lambda: clean_columns(columns, custom=custom)
    if sort is not _UNSET:
        checks["sort"] = lambda: clean_sort(sort)
    if position is not _UNSET:
        checks["position"] = lambda: _clean_position(position)
    if active is not _UNSET:
        checks["active"] = lambda: _clean_bool(active)
    cleaned = _collect(checks)
    if scope is not _UNSET or team is not _UNSET:
        new_scope = view.scope if scope is _UNSET else scope
        if not permissions.may_create_view(actor, new_scope if new_scope in ViewScope.values else ViewScope.EVERYONE):
            raise PermissionDenied(_("Only desk managers share views with a team or everyone."))
        new_scope, team_obj = _clean_scope(actor, new_scope, view.team if team is _UNSET else team)
        cleaned.update(
            scope=new_scope, team=team_obj, owner=(view.owner or actor) if new_scope == ViewScope.PERSONAL else None
        )
    for field, value in cleaned.items():
        setattr(view, field, value)
    view.updated_at = timezone.now()
    with transaction.atomic():
        view.save()
    return view


def saved_view_delete(*, actor: User, view: SavedView) -> None:
    if not permissions.may_manage_view(actor, view):
        raise PermissionDenied(_("You may not delete this view."))
    view.delete()


def _clean_position(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10_000:
        return value
    raise ValidationError(_("A position is a whole number from 0 to 10000."))


def _clean_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("Give true or false."))
    return value
