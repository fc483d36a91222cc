"""Automations: time-based rules checked on a schedule (issue 16) — Celery beat
(``tickets.tasks.run_automations``) or cron (``manage.py run_automations``).

For each active automation, in position order, ``run_automations``:

1. ends the windows of tickets that no longer match (their ``TicketAutomationRun`` rows go:
   matching again later opens a new window, see ``tickets.models.automation``);
2. takes the tickets its ORM filter (``conditions.q`` at ``now``) selects and it has not acted on
   in their current window, in batches locked with ``SELECT … FOR UPDATE SKIP LOCKED`` — tickets
   another worker holds are left to it — and for each, in a savepoint: asks the predicate of the
   ticket as locked (it may have changed since the filter ran), writes the run row (unique: a
   worker that acted first makes the insert fail, and the ticket is skipped) and carries the
   actions out as the owner. Refused actions are recorded on the automation and the ticket is
   left alone until its window ends.

The desk's own automation ("autoclose": close tickets solved ``HELPDESK_AUTOCLOSE_DAYS`` ago) is
created on the first run. It acts as the system — history says "System", as the hard-wired job
did — and may only do what the system does in the lifecycle: close a solved ticket
(``services.lifecycle.TRANSITIONS``). Any other automation acts as a person: an agent or
administrator who passes ``actions.check_owner``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import Automation, Status, Ticket, TicketAutomationRun
from tickets.rules import actions as rule_actions
from tickets.rules import conditions as rule_conditions
from tickets.rules.context import AUTOMATION, acting_for
from tickets.triggers import REFUSALS, _message

log = logging.getLogger(__name__)

AUTOCLOSE = "autoclose"
AUTOCLOSE_NAME = gettext_lazy("Close solved tickets after %(days)s days")
CLOSE = [{"action": rule_actions.SET_STATUS, "value": Status.CLOSED}]


def autoclose_conditions(days: int) -> dict[str, Any]:
    return {
        "all": [
            {"field": "status", "operator": "is", "value": Status.SOLVED},
            {"field": "hours_since_solved", "operator": "greater_than", "value": days * 24},
        ]
    }


def default_autoclose() -> Automation:
    """The desk's auto-close automation, created (from ``HELPDESK_AUTOCLOSE_DAYS``) if missing."""
    days = settings.HELPDESK_AUTOCLOSE_DAYS
    automation, _created = Automation.objects.get_or_create(
        system_key=AUTOCLOSE,
        defaults={
            "name": str(AUTOCLOSE_NAME % {"days": days}),
            "description": _("The desk's own automation. It acts as the system and can be paused but not deleted."),
            "conditions": autoclose_conditions(days),
            "actions": CLOSE,
            "position": 0,
        },
    )
    return automation


def check(automation: Automation) -> tuple[rule_conditions.ConditionSet, list[rule_actions.Action]]:
    """Validate ``automation``'s conditions, actions and owner; ``ValidationError`` by field."""
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Any] = {}
    try:
        parsed["conditions"] = rule_conditions.parse(automation.conditions, allow_current_user=False)
        if parsed["conditions"].empty:
            errors["conditions"] = [_("An automation needs at least one condition: it would act on every ticket.")]
    except ValidationError as error:
        errors["conditions"] = error.messages
    try:
        parsed["actions"] = rule_actions.parse(automation.actions)
        if not parsed["actions"]:
            errors["actions"] = [_("Name at least one action.")]
    except ValidationError as error:
        errors["actions"] = error.messages
    if automation.owner is None and automation.system_key:
        if "actions" in parsed and [a.as_json() for a in parsed["actions"]] != CLOSE:
            errors["actions"] = [_("The desk's own automation acts as the system, which may only close tickets.")]
        solved = {"field": "status", "operator": "is", "value": Status.SOLVED}
        if "conditions" in parsed and solved not in [c.as_json() for c in parsed["conditions"].all]:
            errors.setdefault("conditions", []).append(_('It must keep the condition "status is solved".'))
    elif automation.owner is None:
        errors["owner"] = [_("Name the person the automation acts as.")]
    elif "actions" in parsed:
        try:
            rule_actions.check_owner(parsed["actions"], automation.owner)
        except ValidationError as error:
            errors["owner"] = error.messages
    if errors:
        raise ValidationError(errors)
    return parsed["conditions"], parsed["actions"]


def run_automations(*, now: datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Run every active automation once; returns how many tickets each acted on, by name."""
    now = now or timezone.now()
    default_autoclose()
    done: dict[str, int] = {}
    for automation in Automation.objects.filter(active=True).select_related("owner").order_by("position", "id"):
        done[automation.name] = run_one(automation, now=now, batch=batch)
    return done


def run_one(
    automation: Automation,
    *,
    now: datetime,
    batch: int = 200,
    ticket_ids: list[int] | None = None,
    conditions: dict[str, Any] | None = None,
) -> int:
    """Run ``automation`` (with ``conditions`` instead of its own, if given) on the tickets it
    matches at ``now`` (only those of ``ticket_ids``, if given); returns how many it acted on."""
    try:
        check(automation)
        condition_set = rule_conditions.parse(
            conditions if conditions is not None else automation.conditions, allow_current_user=False
        )
        actions = rule_actions.parse(automation.actions)
    except ValidationError as error:  # e.g. its owner lost their role: paused until fixed
        _record_failure(automation, now, _message(error))
        return 0
    matching = Ticket.objects.filter(condition_set.q(now=now)).values("pk")
    TicketAutomationRun.objects.filter(automation=automation).exclude(ticket__in=matching).delete()
    already = TicketAutomationRun.objects.filter(automation=automation, ticket=OuterRef("pk"))
    acted = 0
    refused: set[int] = set()
    while True:
        with transaction.atomic():
            due = (
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(pk__in=matching)
                .exclude(Exists(already))
                .exclude(pk__in=refused)
                .order_by("id")
            )
            if ticket_ids is not None:
                due = due.filter(pk__in=ticket_ids)
            tickets = list(due[:batch])
            for ticket in tickets:
                outcome = _act(automation, actions, condition_set, ticket, now)
                if outcome is True:
                    acted += 1
                elif outcome is not None:
                    refused.add(ticket.pk)
                    _record_failure(
                        automation,
                        now,
                        _("Ticket #%(ticket)s: %(message)s")
                        % {
                            "ticket": ticket.pk,
                            "message": outcome,
                        },
                    )
        if len(tickets) < batch:
            break
    if acted:
        Automation.objects.filter(pk=automation.pk).update(run_count=F("run_count") + acted, last_run_at=now)
    return acted


def _act(automation: Automation, actions: list[rule_actions.Action], conditions: Any, ticket: Ticket, now: datetime):
    """True: acted; None: nothing to do (no longer matches, or another worker acted first);
    a message: the services refused."""
    if not conditions.matches(ticket, now=now):
        return None
    try:
        with transaction.atomic():
            TicketAutomationRun.objects.create(automation=automation, ticket=ticket, ran_at=now)
    except IntegrityError:
        return None
    try:
        with transaction.atomic():
            owner = automation.owner
            if owner is None:
                _close_as_system(automation, ticket, now)
            else:
                rule_actions.apply(actions, ticket=ticket, actor=owner, kind=AUTOMATION, rule=automation)
    except REFUSALS as error:
        log.warning("Automation %s (%s) failed on ticket %s: %s", automation.pk, automation.name, ticket.pk, error)
        return _message(error)
    return True


def _close_as_system(automation: Automation, ticket: Ticket, now: datetime) -> None:
    """What the system may do to a ticket: close it once solved (``TRANSITIONS``)."""
    from tickets.exceptions import Conflict
    from tickets.services.changes import TicketChange
    from tickets.services.lifecycle import set_status

    if ticket.status != Status.SOLVED:
        raise Conflict(_("Only solved tickets are closed by the system."))
    with acting_for(AUTOMATION, automation):
        change = TicketChange(ticket, None, now)
        set_status(change, Status.CLOSED)
        change.save()
        change.after_commit(notify=True, expire_caches=True)


def _record_failure(automation: Automation, now: datetime, message: str) -> None:
    Automation.objects.filter(pk=automation.pk).update(
        failure_count=F("failure_count") + 1, last_error=message, last_failed_at=now
    )


def close_solved(
    *, now: datetime | None = None, days: int | None = None, batch: int = 500, ticket_ids: list[int] | None = None
) -> int:
    """Run the desk's auto-close automation now (what ``services.ticket_autoclose`` and
    ``manage.py close_solved_tickets`` do): ``days`` instead of its own number of days, if given."""
    automation = default_autoclose()
    conditions = None if days is None else autoclose_conditions(days)
    return run_one(automation, now=now or timezone.now(), batch=batch, ticket_ids=ticket_ids, conditions=conditions)
