"""The SLA sweeper: marks due clocks breached, warns ahead of breaches and stops the clocks of
policies turned off (issue 17).

Run every minute by Celery beat (``tickets.sla.sweep``, ``CELERY_BEAT_SCHEDULE``) or by cron
(``manage.py sla_sweep``). No per-ticket delayed tasks: the due clocks are read off the partial
index on ``breach_at`` in batches with ``SELECT … FOR UPDATE OF clock, ticket SKIP LOCKED``, so
any number of workers may sweep at once and each clock is breached, recorded, notified and
escalated exactly once: the state change, its history event, its notifications and its policy's
breach actions commit together, under the row locks. The ticket row is locked with its clock
(and skipped when someone holds it) so the sweeper takes locks in the order every ticket change
and ``sla_refresh`` take them — ticket, then clocks — and never waits inside a batch.

Who hears of it and what is done about it: the clock's policy (``tickets.sla.escalation``).

Policies turned off or deleted: their clocks are never breached or warned; each sweep first
re-applies the policies to the tickets that still run such clocks (``sla_refresh``), which moves
them to the policy that matches now or — when none does, e.g. every policy is off — removes the
SLA from the ticket: its unfinished clocks go, and with them its "next breach" in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tickets.models import EventKind
from tickets.sla import escalation
from tickets.sla.models import ClockState, SlaClock, SlaPolicy
from tickets.sla.refresh import clock_events, sla_refresh

log = logging.getLogger("tickets.sla")


@dataclass
class SweepResult:
    breached: int = 0
    warned: int = 0
    escalated: int = 0  # breaches whose policy's actions ran
    retired: int = 0  # tickets whose policy was turned off or deleted, re-applied


def sweep_sla(now: datetime | None = None, batch: int = 500) -> SweepResult:
    """Re-apply the policies to tickets whose policy is off, breach every running clock due by
    ``now``, then warn those due within their policy's warning time."""
    now = now or timezone.now()
    result = SweepResult()
    _drain(lambda: _retire_batch(now, batch, result), batch)
    escalator = escalation.Escalator()
    _drain(lambda: _breach_batch(now, batch, result, escalator), batch)
    leads = (
        SlaPolicy.objects.filter(active=True, warning_minutes__gt=0)
        .values_list("warning_minutes", flat=True)
        .distinct()
        .order_by()
    )
    for minutes in list(leads):
        _drain(partial(_warn_batch, now, batch, minutes, result), batch)
    return result


def _drain(step: Callable[[], int], batch: int) -> None:
    while step() >= batch:
        pass


def _locked(where: Q, batch: int) -> list[SlaClock]:
    rows = (
        SlaClock.objects.select_for_update(skip_locked=True, of=("self", "ticket"))
        .select_related("ticket__assignee", "ticket__team", "policy")
        .filter(where)
        .order_by("breach_at", "id")
    )
    return list(rows[:batch])


def _breach_batch(now: datetime, batch: int, result: SweepResult, escalator: escalation.Escalator) -> int:
    """Breach up to ``batch`` due clocks: a few statements for the batch (the state, the history
    events, the notifications), then each clock's policy's breach actions."""
    with transaction.atomic():
        due = _locked(Q(state=ClockState.RUNNING, breach_at__lte=now, policy__active=True), batch)
        if not due:
            return 0
        SlaClock.objects.filter(pk__in=[c.pk for c in due]).update(
            state=ClockState.BREACHED, breached_at=F("breach_at")
        )
        for clock in due:
            clock.state, clock.breached_at = ClockState.BREACHED, clock.breach_at
        events = clock_events(due, EventKind.SLA_BREACHED, _breach_time)
        result.breached += len(due)
        result.escalated += escalation.on_breaches(list(zip(due, events, strict=True)), escalator)
        return len(due)


def _breach_time(clock: SlaClock) -> datetime:
    assert clock.breach_at is not None  # running clocks have one (a CHECK constraint)
    return clock.breach_at


def _warn_batch(now: datetime, batch: int, minutes: int, result: SweepResult) -> int:
    """Warn of up to ``batch`` clocks due within ``minutes`` under policies warning that far ahead."""
    with transaction.atomic():
        where = Q(
            state=ClockState.RUNNING,
            breach_at__gt=now,
            breach_at__lte=now + timedelta(minutes=minutes),
            warned_at__isnull=True,
            policy__active=True,
            policy__warning_minutes=minutes,
        )
        soon = _locked(where, batch)
        if not soon:
            return 0
        SlaClock.objects.filter(pk__in=[c.pk for c in soon]).update(warned_at=now)
        for clock in soon:
            clock.warned_at = now
        events = clock_events(soon, EventKind.SLA_WARNING, lambda _clock: now, warning_minutes=minutes)
        escalation.on_warnings(list(zip(soon, events, strict=True)))
        result.warned += len(soon)
        return len(soon)


def _retire_batch(now: datetime, batch: int, result: SweepResult) -> int:
    """Re-apply the policies to the tickets of up to ``batch`` unfinished clocks whose policy is
    off or gone. Returns how many clocks were handled (0 after a failure: the rest wait for the
    next sweep, and the breaches are swept meanwhile)."""
    off = list(SlaPolicy.objects.filter(active=False).values_list("pk", flat=True))
    with transaction.atomic():
        where = Q(state__in=(ClockState.RUNNING, ClockState.PAUSED)) & (Q(policy__isnull=True) | Q(policy_id__in=off))
        rows = list(
            SlaClock.objects.select_for_update(skip_locked=True, of=("self", "ticket"))
            .select_related("ticket")
            .filter(where)
            .order_by("id")[:batch]
        )
        tickets = {clock.ticket_id: clock.ticket for clock in rows}
        for ticket in tickets.values():
            try:
                sla_refresh(ticket, now)
            except Exception:  # one bad ticket must not keep the sweeper from the breaches
                log.exception("Could not re-apply the SLA policies to ticket %s", ticket.pk)
                return 0
            result.retired += 1
        return len(rows)
