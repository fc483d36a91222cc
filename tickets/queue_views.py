"""The queue's views as one kind of thing (issue 16): the built-in views and the agent's saved
views, each a name, conditions in the rules engine's JSON shape, columns and a sort.

- Built-ins keep their hand-tuned filters (``queue.view_filter``): each is the exact WHERE that
  its partial index serves (``ticket_unassigned_updated_idx``, ``ticket_team_unsolved_idx``…).
  Their ``conditions`` say the same thing in the engine's words (``test_saved_views`` proves the
  two select the same tickets), but the generic filter would lose an index for "My teams" (the
  engine has no "the viewer's teams", and a sub-select there made PostgreSQL sort every unsolved
  ticket of the team) — so the queue runs the hand-tuned one.
- Saved views compile their stored conditions (checked when saved) to one ORM filter, AND-ed onto
  the tickets the viewer may see: a view can never show more than its viewer may see.
- Counts: every view's capped count in ONE query (``queue.view_counts``), cached like today.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk import memo
from tickets import caching, permissions, queue
from tickets.models import DEFAULT_COLUMNS, UNSOLVED_STATUSES, SavedView, Status, TicketField
from tickets.rules import fields as rule_fields
from tickets.rules.conditions import Condition, ConditionSet

if TYPE_CHECKING:
    from accounts.models import User

SAVED_PREFIX = "saved-"
_UNSOLVED = list(UNSOLVED_STATUSES)

#: Each built-in view's conditions in the engine's shape; None where the engine cannot say it
#: ("My teams": the viewer's teams, which the queue knows as a list of ids — ``queue._my_team_ids``;
#: the SLA views: due times, which no field of the engine reads).
BUILTIN_CONDITIONS: dict[str, dict[str, Any] | None] = {
    "unassigned": {
        "all": [
            {"field": "assignee", "operator": "not_present"},
            {"field": "status", "operator": "in", "value": _UNSOLVED},
        ]
    },
    "mine": {
        "all": [
            {"field": "assignee", "operator": "is", "value": rule_fields.CURRENT_USER},
            {"field": "status", "operator": "in", "value": _UNSOLVED},
        ]
    },
    "my_teams": None,
    "open": {"all": [{"field": "status", "operator": "in", "value": [Status.OPEN, Status.IN_PROGRESS]}]},
    "pending": {"all": [{"field": "status", "operator": "is", "value": Status.PENDING}]},
    "on_hold": {"all": [{"field": "status", "operator": "is", "value": Status.ON_HOLD}]},
    "solved": {
        "all": [
            {"field": "status", "operator": "is", "value": Status.SOLVED},
            {"field": "hours_since_solved", "operator": "less_than", "value": queue.SOLVED_RECENT_DAYS * 24},
        ]
    },
    "all": {"all": []},
    # Due times of the SLA clocks (``Ticket.sla_breach_at``): no field of the engine says them.
    "sla_breaching": None,
    "sla_breached": None,
}
#: The built-ins' own order (the SLA views: the next breach first, their index's order).
BUILTIN_SORTS = {"sla_breaching": "sla", "sla_breached": "sla"}


@dataclass(frozen=True)
class ViewDefinition:
    key: str  # "unassigned", or "saved-12"
    label: str | Promise
    conditions: dict[str, Any] | None
    columns: tuple[str, ...] = tuple(DEFAULT_COLUMNS)
    sort: str = queue.DEFAULT_SORT
    saved: SavedView | None = field(default=None, compare=False)

    @property
    def builtin(self) -> bool:
        return self.saved is None


BUILTINS = [
    ViewDefinition(v.key, v.label, BUILTIN_CONDITIONS[v.key], sort=BUILTIN_SORTS.get(v.key, queue.DEFAULT_SORT))
    for v in queue.VIEWS
]


def definition(view: SavedView) -> ViewDefinition:
    return ViewDefinition(
        view.key, view.name, view.conditions, tuple(view.columns or DEFAULT_COLUMNS), view.sort or "-updated", view
    )


#: Bumped on every write to a saved view (``saved_views_changed``, connected in
#: ``TicketsConfig.ready`` to SavedView's saves and deletes).
SAVED_VIEWS_KEY = caching.read_together("helpdesk:saved-views:version")


def saved_views_changed(**kwargs: Any) -> None:
    caching.changed_now_and_at_commit(SAVED_VIEWS_KEY)


def saved_views(user: User) -> list[SavedView]:
    """The saved views in ``user``'s queue: kept in the process per person under the versions
    of the saved views and of access (``caching.kept``), read once per request. Shared between
    requests: read them, do not change them."""

    def read() -> list[SavedView]:
        return list(permissions.views_visible_to(user))

    return memo.remember(
        ("saved-views", user.pk),
        lambda: caching.kept("saved-views", user.pk, read, scope=[SAVED_VIEWS_KEY, caching.ACCESS_KEY]),
    )


def definitions(user: User) -> list[ViewDefinition]:
    return BUILTINS + [definition(v) for v in saved_views(user)]


def find(user: User, key: str) -> ViewDefinition | None:
    """The view ``key`` of ``user``'s queue (a built-in's key or ``saved-<id>``), or None."""
    for view in definitions(user):
        if view.key == key:
            return view
    return None


# --- filters -------------------------------------------------------------------------------------


class BrokenView(ValueError):
    """A stored view names a field that is gone (a custom field switched off): it matches nothing."""


def _uses_custom(views: list[SavedView]) -> bool:
    if any(str(c).startswith(rule_fields.CUSTOM_PREFIX) for v in views for c in v.columns or []):
        return True
    return any(
        str(c.get("field", "")).startswith(rule_fields.CUSTOM_PREFIX)
        for v in views
        for group in ("all", "any")
        for c in (v.conditions or {}).get(group) or []
        if isinstance(c, dict)
    )


def custom_fields(views: list[SavedView]) -> list[TicketField]:
    """The active custom fields, read (once per request) only when a view names one."""
    if not _uses_custom(views):
        return []
    from tickets.selectors.custom_fields import active_fields

    return active_fields()


def compile_conditions(data: dict[str, Any] | None, custom: list[TicketField]) -> ConditionSet:
    """Stored conditions (checked by ``conditions.parse`` when they were saved) as a condition
    set, without checking them again: no query per referenced team or person on every page."""
    available = rule_fields.available(custom)
    groups: dict[str, list[Condition]] = {"all": [], "any": []}
    for group in groups:
        for item in (data or {}).get(group) or []:
            field = item.get("field") if isinstance(item, dict) else None
            found = available.get(field) if isinstance(field, str) else None
            if found is None or item.get("operator") not in found.operators:
                raise BrokenView(str(item.get("field") if isinstance(item, dict) else item))
            operator, value = item["operator"], item.get("value")
            if operator in rule_fields.UNARY:
                value = None
            elif operator in rule_fields.LISTED:
                value = tuple(value if isinstance(value, list) else [value])
            groups[group].append(Condition(found, operator, value))
    return ConditionSet(tuple(groups["all"]), tuple(groups["any"]))


def view_q(view: ViewDefinition, user: User, *, custom: list[TicketField] | None = None) -> Q:
    """The WHERE of ``view`` for ``user`` (to AND onto the tickets they may see)."""
    if view.saved is None:
        return queue.view_filter(view.key, user)
    if custom is None:
        custom = custom_fields([view.saved])
    try:
        return compile_conditions(view.conditions, custom).q(now=timezone.now(), current_user=user)
    except BrokenView:
        return Q(pk__in=[])


def is_broken(view: ViewDefinition, custom: list[TicketField]) -> bool:
    if view.saved is None:
        return False
    try:
        compile_conditions(view.conditions, custom)
    except BrokenView:
        return True
    return False


# --- counts --------------------------------------------------------------------------------------


def counted(user: User) -> list[tuple[str, Q]]:
    """(key, WHERE) of ``user``'s saved views, for the one counting query (``queue.view_counts``)."""
    views = saved_views(user)
    custom = custom_fields(views)
    return [(v.key, view_q(definition(v), user, custom=custom)) for v in views]


def signature(user: User) -> str:
    """What the counts' cache key says of ``user``'s saved views: a changed, added or removed
    view is a new key, so a count never belongs to a view's old conditions."""
    text = ";".join(f"{v.pk}:{v.updated_at.timestamp()}" for v in saved_views(user))
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else "none"


EMPTY_SAVED_TEXT = _("No ticket matches this view right now.")
BROKEN_TEXT = _("This view names a field that no longer exists, so it shows nothing. Edit its conditions.")


# --- the queue page ------------------------------------------------------------------------------


def filtered(user: User, view: ViewDefinition, data: dict[str, Any], *, custom: list[TicketField] | None = None):
    """The agent's tickets in ``view``, narrowed by the queue's cleaned filter ``data`` and in
    ``data["sort"]`` order: ``queue.filtered`` with the view's WHERE (built-in or saved)."""
    from tickets import selectors
    from tickets.selectors import listing

    tickets = selectors.ticket_list_for_agent(user).filter(view_q(view, user, custom=custom))
    sort = queue.SORTS[data.get("sort") or queue.DEFAULT_SORT][1]
    return listing.ticket_list(user, listing.TicketFilters.from_data(data), sort=sort, tickets=tickets)


def page_context(user: User, view: ViewDefinition, custom: list[TicketField], query: Any) -> dict[str, Any]:
    """What the queue page shows of ``view``: its columns, whether it is broken, the links to
    edit it and to save the current filters as a new view."""
    from urllib.parse import urlencode

    from django.urls import reverse

    labels = {f.key: f.label for f in custom}
    columns = set(view.columns)
    custom_columns = [
        (c.removeprefix(rule_fields.CUSTOM_PREFIX), labels.get(c.removeprefix(rule_fields.CUSTOM_PREFIX), c))
        for c in view.columns
        if c.startswith(rule_fields.CUSTOM_PREFIX)
    ]
    params = [(k, v) for k, values in query.lists() for v in values if k != "cursor"]
    return {
        "columns": columns,
        "custom_columns": custom_columns,
        "view_broken": is_broken(view, custom),
        "broken_text": BROKEN_TEXT,
        "edit_view_url": (
            reverse("agent:view_edit", args=[view.saved.pk])
            if view.saved is not None and permissions.may_manage_view(user, view.saved)
            else None
        ),
        "save_view_url": reverse("agent:view_new") + ("?" + urlencode(params) if params else ""),
    }
