"""Rules that do routine work (issue 16): triggers answer a committed change to one ticket;
automations look at every ticket on a schedule. Both hold a condition set and a list of actions
in the JSON of ``tickets.rules`` and act as their ``owner`` through the services.

Running them: ``tickets.triggers`` (after every committed change) and ``tickets.automations``
(Celery beat / ``manage.py run_automations``).

"At most once per condition window" (automations): a ``TicketAutomationRun`` row — unique per
automation and ticket — is written in the same transaction as the actions, and deleted by the
next run once the ticket no longer matches. A ticket that matches again later (pending again,
quiet for 72 hours again) opens a new window and is acted on again; a ticket that keeps matching
(the actions did not change what the conditions look at) is acted on once. The unique row is
also what keeps two workers from acting on the same ticket twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TriggerOn(models.TextChoices):
    CREATED = "created", _("Ticket is created")
    UPDATED = "updated", _("Ticket is updated (any change after creation, replies included)")
    REQUESTER_REPLY = "requester_reply", _("Requester replies")
    AGENT_REPLY = "agent_reply", _("Agent replies")


class _Rule(models.Model):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    #: The person the rule acts as (permissions and history as theirs). None on a trigger or a
    #: person's automation: its owner's account was deleted — it stays paused until an
    #: administrator names a new owner. The desk's own default automations have none: they act
    #: as the system (see ``Automation.system_key``).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acts as"),
    )
    failure_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def as_json(self) -> dict[str, Any]:
        return {"conditions": self.conditions, "actions": self.actions}


class Trigger(_Rule):
    on = models.CharField(_("runs when"), max_length=20, choices=TriggerOn, default=TriggerOn.CREATED)
    fire_count = models.PositiveIntegerField(default=0)
    last_fired_at = models.DateTimeField(null=True, blank=True)

    class Meta(_Rule.Meta):
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")

    def save(self, *args: Any, **kwargs: Any) -> None:
        from tickets import triggers

        super().save(*args, **kwargs)
        triggers.definitions_changed()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        from tickets import triggers

        result = super().delete(*args, **kwargs)
        triggers.definitions_changed()
        return result


class Automation(_Rule):
    #: The desk's own automations ("autoclose"): created on the first run, act as the system,
    #: may be paused and edited but not deleted.
    system_key = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    run_count = models.PositiveIntegerField(default=0)  # tickets acted on, all time
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta(_Rule.Meta):
        verbose_name = _("automation")
        verbose_name_plural = _("automations")


class TicketAutomationRun(models.Model):
    """``automation`` acted on ``ticket`` at ``ran_at`` and the ticket has matched ever since."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    ran_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["automation", "ticket"], name="automation_run_once_per_window"),
        ]

    def __str__(self) -> str:
        return f"{self.automation_id} → #{self.ticket_id}"
