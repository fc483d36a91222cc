"""Fields a desk defines for its own business (issue 16): an order number, a plan, a renewal
date. Their definitions live here; each ticket's values live on the ticket itself, in
``Ticket.custom_fields`` (``{"key": value}``), indexed on PostgreSQL by a GIN index so that a
view or rule filtering on a field reads the index (see ``tickets.rules`` and DESIGN §3).

Values are stored typed and never empty: text and drop-down values as strings, numbers as
numbers, dates as ``YYYY-MM-DD`` strings, checkboxes as booleans, multi-selects as a sorted list
of option values. A field with no value has no key — "present" means "has the key".
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHECKBOX = "checkbox", _("Checkbox")
    DROPDOWN = "dropdown", _("Drop-down")
    MULTISELECT = "multiselect", _("Multi-select")
    REGEX = "regex", _("Text matching a pattern")


class TicketField(models.Model):
    key = models.SlugField(
        _("key"),
        max_length=40,
        unique=True,
        help_text=_("How rules, the API and exports name the field: lower-case letters, digits and underscores."),
    )
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=16, choices=FieldType, default=FieldType.TEXT)
    description = models.CharField(_("help text"), max_length=255, blank=True)
    #: Drop-down and multi-select options: ``[{"value": "gold", "label": "Gold"}, …]``.
    options = models.JSONField(_("options"), default=list, blank=True)
    pattern = models.CharField(
        _("pattern"),
        max_length=200,
        blank=True,
        help_text=_("For pattern fields: a regular expression the whole value must match."),
    )
    visible_to_customers = models.BooleanField(
        _("visible to customers"),
        default=False,
        help_text=_("Shown (and asked) in the customer portal. Otherwise agents only."),
    )
    required_in_portal = models.BooleanField(_("required when a customer files a ticket"), default=False)
    required_on_solve = models.BooleanField(_("required before solving"), default=False)
    teams = models.ManyToManyField(
        "accounts.Team",
        blank=True,
        related_name="ticket_fields",
        verbose_name=_("teams"),
        help_text=_("Only tickets of these teams have the field. None: every ticket."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ticket field")
        verbose_name_plural = _("ticket fields")
        constraints = [
            models.CheckConstraint(condition=models.Q(field_type__in=FieldType.values), name="ticket_field_type_valid"),
            models.CheckConstraint(
                condition=models.Q(key__regex=r"^[a-z][a-z0-9_]{0,39}$"), name="ticket_field_key_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def option_values(self) -> list[str]:
        return [option["value"] for option in self.options or []]

    def option_label(self, value: str) -> str:
        for option in self.options or []:
            if option["value"] == value:
                return option["label"]
        return value
