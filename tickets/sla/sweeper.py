"""The SLA sweeper: marks due clocks breached and warns 30 minutes ahead (issue 17).

Run every minute by Celery beat (``tickets.sla.sweep``, ``CELERY_BEAT_SCHEDULE``) or by cron
(``manage.py sla_sweep``). No per-ticket delayed tasks: the due clocks are read off the partial
index on ``breach_at`` in batches with ``SELECT … FOR UPDATE SKIP LOCKED``, so any number of
workers may sweep at once and each clock is breached, recorded and notified exactly once: the
state change, its history event and its notifications commit together, under the row's lock.

Notifications are in-app (the bell): the assignee; else the active members of the ticket's team;
else the active admins. They are not emailed (no mail templates for these kinds yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tickets import permissions
from tickets.models import EventKind, Notification, NotificationKind, TicketEvent
from tickets.sla.models import ClockState, SlaClock
from tickets.sla.refresh import clock_event

WARNING_AHEAD = timedelta(minutes=30)


@dataclass
class SweepResult:
    breached: int = 0
    warned: int = 0


def sweep_sla(now: datetime | None = None, batch: int = 500) -> SweepResult:
    """Breach every running clock due by ``now``, then warn those due within 30 minutes."""
    now = now or timezone.now()
    result = SweepResult()
    while True:
        done = _breach_batch(now, batch)
        result.breached += done
        if done < batch:
            break
    while True:
        done = _warn_batch(now, batch)
        result.warned += done
        if done < batch:
            break
    return result


def _locked(filters: dict, batch: int) -> list[SlaClock]:
    rows = (
        SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("ticket__assignee", "ticket__team", "policy")
        .filter(state=ClockState.RUNNING, **filters)
        .order_by("breach_at", "id")
    )
    return list(rows[:batch])


def _breach_batch(now: datetime, batch: int) -> int:
    with transaction.atomic():
        due = _locked({"breach_at__lte": now}, batch)
        for clock in due:
            clock.state, clock.breached_at = ClockState.BREACHED, clock.breach_at
            clock.save(update_fields=["state", "breached_at"])
            assert clock.breach_at is not None
            notify(clock, clock_event(clock, EventKind.SLA_BREACHED, clock.breach_at), NotificationKind.SLA_BREACHED)
        return len(due)


def _warn_batch(now: datetime, batch: int) -> int:
    with transaction.atomic():
        soon = _locked({"breach_at__gt": now, "breach_at__lte": now + WARNING_AHEAD, "warned_at__isnull": True}, batch)
        for clock in soon:
            clock.warned_at = now
            clock.save(update_fields=["warned_at"])
            notify(clock, clock_event(clock, EventKind.SLA_WARNING, now), NotificationKind.SLA_WARNING)
        return len(soon)


def recipients(clock: SlaClock) -> list[User]:
    ticket = clock.ticket
    if ticket.assignee is not None and ticket.assignee.is_active:
        return [ticket.assignee]
    if ticket.team is not None:
        members = list(permissions.staff_members().filter(pk__in=ticket.team.members.values("pk")))
        if members:
            return members
    return list(permissions.active_admins())


def notify(clock: SlaClock, event: TicketEvent, kind: str) -> None:
    """The event's in-app notifications (once per recipient: the table's unique key)."""
    rows = [
        Notification(recipient=user, ticket=clock.ticket, event=event, kind=kind, created_at=event.created_at)
        for user in recipients(clock)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
