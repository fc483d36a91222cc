"""What a rule's condition may look at: the ticket's fields, each with a type, and the operators
each type allows (issue 16). One table for views, triggers, automations and SLA policies, so a
condition means the same thing wherever it is written.

Built-in fields are named as a help desk names them (``status``, ``assignee``, ``tags``,
``hours_since_created``…); the desk's own fields are ``custom.<key>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from tickets.models import Category, Channel, FieldType, Priority, Status

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from tickets.models import TicketField

# Types: what a value is, and so which operators compare it.
CHOICE = "choice"  # one of fixed values (status, priority…)
REFERENCE = "reference"  # a row's id (team, assignee…), or "current_user" for people
TAGS = "tags"  # a set of names
TEXT = "text"
HOURS = "hours"  # time since a moment, in hours
NUMBER = "number"
DATE = "date"
CHECKBOX = "checkbox"
MULTI = "multi"  # a set of option values

IS, IS_NOT = "is", "is_not"
IN, NOT_IN = "in", "not_in"
LESS_THAN, GREATER_THAN = "less_than", "greater_than"
INCLUDES, NOT_INCLUDES = "includes", "not_includes"
CONTAINS, NOT_CONTAINS = "contains", "not_contains"
PRESENT, NOT_PRESENT = "present", "not_present"

OPERATORS: dict[str, tuple[str, ...]] = {
    CHOICE: (IS, IS_NOT, IN, NOT_IN),
    REFERENCE: (IS, IS_NOT, IN, NOT_IN),
    TAGS: (INCLUDES, NOT_INCLUDES),
    TEXT: (IS, IS_NOT, CONTAINS, NOT_CONTAINS),
    HOURS: (LESS_THAN, GREATER_THAN),
    NUMBER: (IS, IS_NOT, LESS_THAN, GREATER_THAN),
    DATE: (IS, IS_NOT, LESS_THAN, GREATER_THAN),
    CHECKBOX: (IS,),
    MULTI: (INCLUDES, NOT_INCLUDES),
}
#: Operators that take no value.
UNARY = (PRESENT, NOT_PRESENT)
#: Operators whose value is a list.
LISTED = (IN, NOT_IN, INCLUDES, NOT_INCLUDES)

OPERATOR_LABELS: dict[str, Promise] = {
    IS: _("is"),
    IS_NOT: _("is not"),
    IN: _("is one of"),
    NOT_IN: _("is none of"),
    LESS_THAN: _("less than"),
    GREATER_THAN: _("greater than"),
    INCLUDES: _("includes any of"),
    NOT_INCLUDES: _("includes none of"),
    CONTAINS: _("contains"),
    NOT_CONTAINS: _("does not contain"),
    PRESENT: _("is set"),
    NOT_PRESENT: _("is not set"),
}

#: The value a people field may name instead of an id: the viewer of a view, the person who
#: made the change a trigger answers, the agent applying a macro.
CURRENT_USER = "current_user"


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    type: str
    column: str = ""  # the Ticket attribute (built-ins)
    nullable: bool = False  # may be empty: adds present / not_present
    choices: tuple[str, ...] = ()
    model: str = ""  # a reference's model, "app.Model"
    people: bool = False  # a reference to a person: may be "current_user"
    custom: TicketField | None = field(default=None, compare=False)

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.type] + (UNARY if self.nullable else ())


BUILT_IN: dict[str, Field] = {
    f.name: f
    for f in (
        Field("status", _("Status"), CHOICE, "status", choices=tuple(Status.values)),
        Field("priority", _("Priority"), CHOICE, "priority", choices=tuple(Priority.values)),
        Field("category", _("Category"), CHOICE, "category", nullable=True, choices=tuple(Category.values)),
        Field("channel", _("Channel"), CHOICE, "channel", choices=tuple(Channel.values)),
        Field("team", _("Team"), REFERENCE, "team_id", nullable=True, model="accounts.Team"),
        Field("assignee", _("Assignee"), REFERENCE, "assignee_id", nullable=True, model="accounts.User", people=True),
        Field("requester", _("Requester"), REFERENCE, "requester_id", model="accounts.User", people=True),
        Field(
            "organization",
            _("Organization"),
            REFERENCE,
            "organization_id",
            nullable=True,
            model="accounts.Organization",
        ),
        Field("mailbox", _("Received at mailbox"), REFERENCE, nullable=True, model="tickets.Mailbox"),
        Field("tags", _("Tags"), TAGS),
        Field("subject", _("Subject"), TEXT, "subject"),
        Field("hours_since_created", _("Hours since created"), HOURS, "created_at"),
        Field("hours_since_updated", _("Hours since updated"), HOURS, "updated_at"),
        Field("hours_since_solved", _("Hours since solved"), HOURS, "solved_at", nullable=True),
    )
}

#: Keyed by ``FieldType`` values (``TicketField.field_type`` is read back as a plain ``str``).
_CUSTOM_TYPES: dict[str, str] = {
    FieldType.TEXT: TEXT,
    FieldType.REGEX: TEXT,
    FieldType.DROPDOWN: CHOICE,
    FieldType.NUMBER: NUMBER,
    FieldType.DATE: DATE,
    FieldType.CHECKBOX: CHECKBOX,
    FieldType.MULTISELECT: MULTI,
}
CUSTOM_PREFIX = "custom."


def custom_field(definition: TicketField) -> Field:
    kind = _CUSTOM_TYPES[definition.field_type]
    return Field(
        CUSTOM_PREFIX + definition.key,
        definition.label,
        kind,
        nullable=kind != CHECKBOX,  # an unchecked box is simply false
        choices=tuple(definition.option_values) if kind == CHOICE else (),
        custom=definition,
    )


def available(custom: list[TicketField] | None = None) -> dict[str, Field]:
    """Every field a condition may name: the built-ins and the desk's active custom fields
    (``custom``, when the caller has them; otherwise read in one query)."""
    if custom is None:
        from tickets.selectors.custom_fields import active_fields

        custom = active_fields()
    fields = dict(BUILT_IN)
    fields.update({CUSTOM_PREFIX + d.key: custom_field(d) for d in custom})
    return fields
