"""Macros (issue 16): a named set of rule actions — a reply with placeholders, a status, tags —
an agent applies to a ticket in one click, with a preview first, or to many from the queue.

A macro is personal (its owner's alone), shared with one team's members, or shared with every
agent. Who may see, use and manage which is ``tickets.permissions.rules`` (``usable_macros``,
``may_use_macro``, ``may_manage_macro``); what the actions mean is ``tickets.rules.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MacroScope(models.TextChoices):
    PERSONAL = "personal", _("Only me")
    TEAM = "team", _("One team")
    EVERYONE = "everyone", _("Every agent")


class Macro(models.Model):
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    #: ``[{"action": "set_status", "value": "pending"}, …]`` — checked by ``tickets.rules.actions.parse``.
    actions = models.JSONField(_("actions"), default=list)
    scope = models.CharField(_("shared with"), max_length=16, choices=MacroScope, default=MacroScope.PERSONAL)
    #: Personal macros: whose they are. Shared macros have no owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("owner"),
    )
    #: Team macros: whose members may use it.
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("team"),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    usage_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name", "id"]
        constraints = [
            models.CheckConstraint(
                name="macro_scope_matches_owner_and_team",
                condition=(
                    models.Q(scope="personal", owner__isnull=False, team__isnull=True)
                    | models.Q(scope="team", owner__isnull=True, team__isnull=False)
                    | models.Q(scope="everyone", owner__isnull=True, team__isnull=True)
                ),
            ),
        ]
        indexes = [models.Index(fields=["scope", "active"], name="macro_scope_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def shared(self) -> bool:
        return self.scope != MacroScope.PERSONAL
