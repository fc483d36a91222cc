"""Managing triggers and automations (API and settings area): check, save, delete — each with
its audit log entry in the same transaction (``accounts.audit``) — and the test run "which of
the last 1,000 tickets would this match?"."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from tickets import automations, triggers
from tickets.models import Automation, Ticket, Trigger
from tickets.rules import conditions as rule_conditions

FIELDS = ("name", "description", "conditions", "actions", "position", "active", "owner")
SAMPLE = 1000
SHOWN = 10


@audit.untranslated
def values(rule: Trigger | Automation) -> audit.Values:
    shown = {
        "Name": rule.name,
        "Description": rule.description,
        "Conditions": json.dumps(rule.conditions, ensure_ascii=False, sort_keys=True),
        "Actions": json.dumps(rule.actions, ensure_ascii=False),
        "Position": str(rule.position),
        "Active": audit._yes_no(rule.active),
        "Acts as": rule.owner.email if rule.owner is not None else "System",
    }
    if isinstance(rule, Trigger):
        shown["Runs when"] = str(rule.get_on_display())
    return shown


def _check(rule: Trigger | Automation) -> None:
    errors: dict[str, list[str]] = {}
    if not (rule.name or "").strip():
        errors["name"] = [_("Give it a name.")]
    try:
        if isinstance(rule, Trigger):
            triggers.check(rule)
        else:
            automations.check(rule)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def create(model: type[Trigger] | type[Automation], *, actor: User, **fields: Any) -> Trigger | Automation:
    """A new trigger or automation; ``owner`` defaults to ``actor`` (the administrator)."""
    fields.setdefault("owner", actor)
    rule = model(**{k: v for k, v in fields.items() if k in (*FIELDS, "on")})
    rule.name = (rule.name or "").strip()
    _check(rule)
    with transaction.atomic():
        rule.save()
        audit.record_addition(actor, rule, values(rule))
    return rule


def update(rule: Trigger | Automation, *, actor: User, **fields: Any) -> Trigger | Automation:
    if rule.pk and isinstance(rule, Automation) and rule.system_key and fields.get("owner"):
        raise ValidationError({"owner": [_("The desk's own automation acts as the system.")]})
    with transaction.atomic(), audit.changing(actor, rule, values):
        for name, value in fields.items():
            if name in (*FIELDS, "on"):
                setattr(rule, name, value.strip() if name == "name" else value)
        _check(rule)
        rule.save()
    return rule


def deletion_refusal(rule: Trigger | Automation) -> str:
    """Why ``rule`` cannot be deleted, or "" when it can."""
    if isinstance(rule, Automation) and rule.system_key:
        return _("The desk's own automation cannot be deleted; pause it instead.")
    return ""


def delete(rule: Trigger | Automation, *, actor: User) -> None:
    refusal = deletion_refusal(rule)
    if refusal:
        raise ValidationError(refusal)
    with transaction.atomic():
        audit.record_deletion(actor, rule, values(rule))
        rule.delete()


def set_active(rule: Trigger | Automation, *, actor: User, active: bool) -> Trigger | Automation:
    """Resume (checked first, as any change is) or pause ``rule``; pausing is never refused, so a
    rule that no longer passes its checks — its owner's account was deleted — can be stopped."""
    if active:
        return update(rule, actor=actor, active=True)
    with transaction.atomic(), audit.changing(actor, rule, values):
        rule.active = False
        rule.save(update_fields=["active", "updated_at"])
    return rule


def move(rule: Trigger | Automation, *, actor: User, up: bool) -> bool:
    """Swap ``rule`` with its neighbour above (``up``) or below in the running order, numbering
    the rules 1, 2, 3… (each changed position with its audit entry). False at either end."""
    with transaction.atomic():
        rows = list(type(rule).objects.select_for_update().order_by("position", "id"))
        index = next(i for i, row in enumerate(rows) if row.pk == rule.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(rows):
            return False
        rows[index], rows[other] = rows[other], rows[index]
        for number, row in enumerate(rows, start=1):
            if row.position != number:
                with audit.changing(actor, row, values):
                    row.position = number
                    row.save(update_fields=["position", "updated_at"])
    return True


def test_run(conditions: Any, *, automation: bool) -> dict[str, Any]:
    """Which of the last 1,000 tickets ``conditions`` match now: the count and the first ten
    (newest first), with the ORM filter a rule uses. ``ValidationError`` for bad conditions."""
    parsed = rule_conditions.parse(conditions, allow_current_user=not automation)
    now = timezone.now()
    recent = Ticket.objects.order_by("-id").values("pk")[:SAMPLE]
    matching = Ticket.objects.filter(pk__in=recent).filter(parsed.q(now=now)).order_by("-id")
    first = list(matching.values("id", "subject", "status")[:SHOWN])
    return {"sample": SAMPLE, "count": matching.count(), "tickets": first}
