"""Saved views (issue 16): a named set of conditions (``tickets.rules.conditions``), the columns
the queue shows and its sort, personal (its owner's), shared with a team or with everyone.

The queue lists them beside the built-in views (``tickets.queue_views``); whatever a view's
conditions say, it only ever narrows the tickets its viewer may see (``permissions.visible_tickets``).
Conditions, columns and sort are checked by ``tickets.services.saved_views`` before they are stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ViewScope(models.TextChoices):
    PERSONAL = "personal", _("Only me")
    TEAM = "team", _("A team")
    EVERYONE = "everyone", _("Everyone")


#: The queue's columns a view may show, in the order the queue shows them; plus ``custom.<key>``.
COLUMNS: dict[str, StrOrPromise] = {
    "subject": _("Subject"),
    "requester": _("Requester"),
    "organization": _("Organization"),
    "status": _("Status"),
    "priority": _("Priority"),
    "assignee": _("Assignee"),
    "team": _("Team"),
    "tags": _("Tags"),
    "sla": _("Next breach"),
    "created": _("Created"),
    "updated": _("Updated"),
}
DEFAULT_COLUMNS = [
    "subject",
    "requester",
    "organization",
    "status",
    "priority",
    "assignee",
    "team",
    "tags",
    "sla",
    "updated",
]
CUSTOM_COLUMN_PREFIX = "custom."
#: The queue's sort keys (``tickets.queue.SORTS`` without the search-only "relevance").
SORT_KEYS = ("-updated", "updated", "-created", "created", "priority", "-priority", "status", "-status", "sla", "-sla")


class SavedView(models.Model):
    name = models.CharField(_("name"), max_length=100)
    #: ``{"all": [...], "any": [...]}`` — checked by ``tickets.rules.conditions.parse``.
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    sort = models.CharField(_("sort"), max_length=16, default="-updated")
    scope = models.CharField(_("shared with"), max_length=16, choices=ViewScope, default=ViewScope.PERSONAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_views"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="saved_views"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=ViewScope.values), name="saved_view_scope_valid"),
            # Personal: an owner and no team; team: a team and no owner; everyone: neither.
            models.CheckConstraint(
                condition=(
                    models.Q(scope=ViewScope.PERSONAL, owner__isnull=False, team__isnull=True)
                    | models.Q(scope=ViewScope.TEAM, owner__isnull=True, team__isnull=False)
                    | models.Q(scope=ViewScope.EVERYONE, owner__isnull=True, team__isnull=True)
                ),
                name="saved_view_scope_matches_owner_team",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """How the queue's URL names it (``?view=saved-12``)."""
        return f"saved-{self.pk}"

    @property
    def shared(self) -> bool:
        return self.scope != ViewScope.PERSONAL
