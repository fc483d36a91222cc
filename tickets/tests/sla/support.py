"""Builders for SLA tests: schedules, policies and a frozen clock the services read."""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone

from tickets.sla.models import Schedule, ScheduleInterval, SlaPolicy, SlaTarget


def weekday_schedule(name="Office", zone="Europe/Madrid", *, country="", default=True, hours=(time(9), time(17))):
    schedule = Schedule.objects.create(name=name, time_zone=zone, country=country, is_default=default)
    for day in range(5):
        ScheduleInterval.objects.create(schedule=schedule, weekday=day, start=hours[0], end=hours[1])
    return schedule


def policy(name="Standard", *, position=0, conditions=None, schedule=None, targets=(), active=True):
    """``targets``: (priority, metric, minutes, business_hours) tuples."""
    made = SlaPolicy.objects.create(
        name=name, position=position, conditions=conditions or {}, schedule=schedule, active=active
    )
    for priority, metric, minutes, business in targets:
        SlaTarget.objects.create(
            policy=made, priority=priority, metric=metric, minutes=minutes, business_hours=business
        )
    return made


class FrozenClock:
    """``timezone.now()`` answers ``self.now`` (services stamp their changes with it)."""

    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment
