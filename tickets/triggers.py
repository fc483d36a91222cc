"""Triggers: rules that answer a committed change to one ticket (issue 16).

``TicketChange.after_commit`` calls ``after_change`` for every change that wrote history; once
the transaction has committed, the active triggers answering that kind of change run in
position order, each at most once: each is asked of the ticket as it is then (re-read, so it
sees what the triggers before it did) with the predicate of its condition set, and one that
matches carries its actions out as its owner (``tickets.rules.actions.apply``: permissions,
validation and history as for anyone; every event says "via trigger …").

Changes a trigger makes are changes like any other, so they run the triggers again — one pass
deeper. A chain that is still going after ``MAX_PASSES`` passes (two rules that keep undoing
each other) or ``MAX_FIRINGS`` actions is stopped: a warning in the log and an internal note on
the ticket say which triggers kept firing. A trigger whose actions the services refuse is logged
and recorded on the trigger (``failure_count``, ``last_error``); the change that set it off has
already committed and stands.

Cost for a change no trigger answers: one cache read (the trigger definitions are parsed once
per process and per version of the definitions, ``definitions_changed`` bumps the version), and
with candidates one read of the ticket — no query per trigger.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import caching
from tickets.exceptions import Conflict
from tickets.models import EventKind, TriggerOn
from tickets.rules import actions as rule_actions
from tickets.rules import conditions as rule_conditions
from tickets.rules.context import TRIGGER

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Trigger
    from tickets.services.changes import TicketChange

log = logging.getLogger(__name__)

MAX_PASSES = 10
MAX_FIRINGS = 100
VERSION_KEY = "helpdesk:triggers:version"
#: What the services may refuse: recorded on the trigger, never raised to the change's author.
REFUSALS = (ValidationError, PermissionDenied, Conflict, Http404)


@dataclass(frozen=True)
class Compiled:
    pk: int
    name: str
    on: str
    owner_id: int
    conditions: rule_conditions.ConditionSet
    actions: list[rule_actions.Action]


@dataclass
class Chain:
    """One original change and every trigger change that follows from it."""

    fired: list[str] = field(default_factory=list)  # names, in order
    stopped: bool = False


_chain: ContextVar[tuple[Chain, int] | None] = ContextVar("helpdesk_trigger_chain", default=None)
_memo: dict[int, list[Compiled]] = {}


def definitions_changed() -> None:
    """Triggers were added, changed or deleted: every process re-reads them. Bumped at once (a
    reader in this transaction must see the change) and again at commit (a reader in another
    process may have cached the old definitions meanwhile)."""
    caching.changed_now_and_at_commit(VERSION_KEY)


def active() -> list[Compiled]:
    """The active triggers with an owner, parsed, in position order (once per version)."""
    current = caching.version(VERSION_KEY)
    compiled = _memo.get(current)
    if compiled is None:
        compiled = _load()
        _memo.clear()
        _memo[current] = compiled
    return compiled


def _load() -> list[Compiled]:
    from tickets.models import Trigger
    from tickets.selectors.custom_fields import active_fields

    custom = active_fields()
    compiled = []
    for trigger in Trigger.objects.filter(active=True, owner__isnull=False).order_by("position", "id"):
        owner_id = trigger.owner_id
        if owner_id is None:  # never: the query excludes ownerless triggers
            continue
        try:
            compiled.append(
                Compiled(
                    trigger.pk,
                    trigger.name,
                    trigger.on,
                    owner_id,
                    rule_conditions.parse(trigger.conditions, custom=custom),
                    rule_actions.parse(trigger.actions, custom=custom),
                )
            )
        except ValidationError as error:  # e.g. a custom field it names was deleted since
            log.warning("Trigger %s (%s) is invalid and does not run: %s", trigger.pk, trigger.name, error.messages)
    return compiled


def change_kinds(change: TicketChange) -> set[str]:
    """Which ``TriggerOn`` kinds ``change`` is."""
    from tickets import permissions

    kinds = {event.kind for event in change.events}
    if EventKind.CREATED in kinds:
        return {TriggerOn.CREATED}
    answered: set[str] = {TriggerOn.UPDATED}
    if any(event.kind == EventKind.MESSAGE_ADDED and event.public for event in change.events):
        staff = change.actor is not None and permissions.counts_as_staff_activity(change.actor)
        answered.add(TriggerOn.AGENT_REPLY if staff else TriggerOn.REQUESTER_REPLY)
    return answered


def after_change(change: TicketChange) -> None:
    """Run the triggers for ``change`` once its transaction commits (called by
    ``TicketChange.after_commit``)."""
    if not change.events:
        return
    outer = _chain.get()
    chain, depth = (outer[0], outer[1] + 1) if outer is not None else (Chain(), 1)
    kinds = change_kinds(change)
    ticket_id, actor = change.ticket.pk, change.actor
    transaction.on_commit(lambda: run(ticket_id, kinds, actor=actor, chain=chain, depth=depth), robust=True)


@contextlib.contextmanager
def _in_chain(chain: Chain, depth: int) -> Iterator[None]:
    token = _chain.set((chain, depth))
    try:
        yield
    finally:
        _chain.reset(token)


def run(ticket_id: int, kinds: set[str], *, actor: User | None, chain: Chain, depth: int) -> int:
    """Run the active triggers answering ``kinds`` on ticket ``ticket_id``; returns how many
    fired."""
    from tickets.models import Ticket

    if chain.stopped:
        return 0
    candidates = [trigger for trigger in active() if trigger.on in kinds]
    if not candidates:
        return 0
    fired = 0
    # Read once, with its tags if a condition looks at them; again only after a trigger fired.
    tickets = Ticket.objects.filter(pk=ticket_id)
    if any(c.field.name == "tags" for trigger in candidates for c in trigger.conditions.all + trigger.conditions.any):
        tickets = tickets.prefetch_related("tags")
    ticket = None
    with _in_chain(chain, depth):
        for trigger in candidates:
            if chain.stopped:
                break
            ticket = ticket or tickets.all().first()
            if ticket is None:  # deleted by a trigger before
                break
            now = timezone.now()
            if not trigger.conditions.matches(ticket, now=now, current_user=actor):
                continue
            if depth > MAX_PASSES or len(chain.fired) >= MAX_FIRINGS:
                _stop(chain, trigger, ticket, depth)
                break
            chain.fired.append(trigger.name)
            if _fire(trigger, ticket, now):
                fired += 1
            ticket = None
    return fired


def _fire(trigger: Compiled, ticket: Any, now: Any) -> bool:
    from accounts.models import User
    from tickets.models import Trigger

    owner = User.objects.get(pk=trigger.owner_id)
    try:
        rule_actions.check_owner(trigger.actions, owner)
        rule_actions.apply(trigger.actions, ticket=ticket, actor=owner, kind=TRIGGER, rule=trigger)
    except REFUSALS as error:
        message = _message(error)
        log.warning("Trigger %s (%s) failed on ticket %s: %s", trigger.pk, trigger.name, ticket.pk, message)
        Trigger.objects.filter(pk=trigger.pk).update(
            failure_count=F("failure_count") + 1,
            last_error=_("Ticket #%(ticket)s: %(message)s") % {"ticket": ticket.pk, "message": message},
            last_failed_at=now,
        )
        return False
    Trigger.objects.filter(pk=trigger.pk).update(fire_count=F("fire_count") + 1, last_fired_at=now)
    return True


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or error.__class__.__name__


def _stop(chain: Chain, trigger: Compiled, ticket: Any, depth: int) -> None:
    """End the chain and say so: in the log and in an internal note on the ticket, written as
    the owner of the trigger that did not run."""
    from accounts.models import User
    from tickets import services
    from tickets.rules.context import acting_for

    chain.stopped = True
    passes = min(depth - 1, MAX_PASSES)
    recent = list(dict.fromkeys(reversed(chain.fired[-2 * MAX_PASSES :])))
    names = ", ".join(f"“{name}”" for name in reversed(recent))
    note = _(
        "Triggers stopped after %(passes)s passes: %(names)s kept changing this ticket in turn, "
        "so “%(trigger)s” did not run again. Check their conditions so that their actions do not "
        "make each other match."
    ) % {"passes": passes, "names": names, "trigger": trigger.name}
    log.warning("Ticket %s: %s", ticket.pk, note)
    owner = User.objects.get(pk=trigger.owner_id)
    try:
        with acting_for(TRIGGER, trigger):
            services.message_add(actor=owner, ticket=ticket, body=note, internal=True)
    except REFUSALS as error:  # e.g. closed meanwhile: the log keeps the explanation
        log.warning("Ticket %s: could not add the note: %s", ticket.pk, _message(error))


def current_chain() -> tuple[Chain, int] | None:
    """The trigger chain and pass the running code belongs to (None outside triggers)."""
    return _chain.get()


def check(trigger: Trigger) -> tuple[rule_conditions.ConditionSet, list[rule_actions.Action]]:
    """Validate ``trigger``'s conditions, actions and owner; ``ValidationError`` by field."""
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Any] = {}
    for name, parse in (("conditions", rule_conditions.parse), ("actions", rule_actions.parse)):
        try:
            parsed[name] = parse(getattr(trigger, name))
        except ValidationError as error:
            errors[name] = error.messages
    if trigger.owner is None:
        errors["owner"] = [_("Name the person the trigger acts as.")]
    elif "actions" in parsed:
        try:
            rule_actions.check_owner(parsed["actions"], trigger.owner)
        except ValidationError as error:
            errors["owner"] = error.messages
    if errors:
        raise ValidationError(errors)
    return parsed["conditions"], parsed["actions"]
