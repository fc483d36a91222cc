"""Service level agreements' store: business schedules, policies with their targets, and the
clocks each ticket runs against them (issue 17).

Registered under the ``tickets`` app (``tickets.models`` imports this module at its bottom; the
migration lives in ``tickets/migrations``). Arithmetic: ``tickets.sla.businesstime``; what a
clock does: ``tickets.sla.clocks``.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.languages import is_time_zone
from tickets.models import Priority, Ticket
from tickets.sla.businesstime import Calendar, Interval


def validate_time_zone(value: str) -> None:
    if not is_time_zone(value):
        raise ValidationError(_("Unknown time zone: %(zone)s."), params={"zone": value}, code="time_zone")


@lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (and ``subdivision``) in ``year``, from ``holidays``."""
    import holidays

    if not country:
        return frozenset()
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


class Schedule(models.Model):
    """Opening hours in one time zone, with public holidays and the desk's own closed days."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    # The schedule of policies that name none (and of the preview); at most one.
    is_default = models.BooleanField(_("default"), default=False)
    country = models.CharField(
        _("country"), max_length=3, blank=True, help_text=_("ISO code whose public holidays close the desk, e.g. ES.")
    )
    subdivision = models.CharField(
        _("region"), max_length=10, blank=True, help_text=_("Region code for regional holidays, e.g. MD.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="sla_schedule_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def calendar(self) -> Calendar:
        """The arithmetic's view of this schedule (its intervals and custom dates: two queries,
        cached on the instance)."""
        cached = getattr(self, "_calendar", None)
        if cached is not None:
            return cached
        intervals = tuple(Interval(i.weekday, i.start, i.end) for i in self.intervals.all())
        custom = frozenset(self.holidays.values_list("date", flat=True))
        country, subdivision = self.country, self.subdivision

        def is_holiday(day: date) -> bool:
            return day in custom or day in public_holidays(country, subdivision, day.year)

        self._calendar = Calendar(zoneinfo.ZoneInfo(self.time_zone), intervals, is_holiday)
        return self._calendar


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ScheduleInterval(models.Model):
    """One opening interval of a weekday, wall-clock times in the schedule's zone; several a day."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday)
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="sla_interval_start_before_end"),
            models.CheckConstraint(condition=models.Q(weekday__gte=0, weekday__lte=6), name="sla_interval_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class ScheduleHoliday(models.Model):
    """A day the desk is closed besides public holidays."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["schedule", "date"], name="sla_holiday_once_per_schedule")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class ScheduleTeam(models.Model):
    """A team whose tickets follow ``schedule`` when their policy names no schedule of its own
    (instead of the default schedule); a team follows at most one."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="team_links")
    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="sla_schedule_link", verbose_name=_("team")
    )

    class Meta:
        ordering = ["schedule", "team"]

    def __str__(self) -> str:
        return self.team.name  # what the schedules' list prints (their links come with their teams)


class Metric(models.TextChoices):
    FIRST_REPLY_TIME = "first_reply_time", _("First reply time")
    NEXT_REPLY_TIME = "next_reply_time", _("Next reply time")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    REQUESTER_WAIT_TIME = "requester_wait_time", _("Requester wait time")
    RESOLUTION_TIME = "resolution_time", _("Resolution time")


class Audience(models.TextChoices):
    """Who hears of a clock about to breach, or breached (``tickets.sla.escalation``)."""

    ASSIGNEE = "assignee", _("The assignee")
    TEAM = "team", _("The team's members")
    ADMINS = "admins", _("The administrators")


#: The longest warning lead time: a week.
MAX_WARNING_MINUTES = 7 * 24 * 60


class SlaPolicy(models.Model):
    """Targets for the tickets its conditions match; the first active match by position applies.

    Escalation (``tickets.sla.escalation``): ``warning_minutes`` ahead of a breach (0: no
    warning) the ``warning_recipients`` hear of it, and at the breach the ``breach_recipients``;
    both are lists of ``Audience`` values, empty meaning the first of assignee → team's members →
    administrators there is. At the breach the sweeper also carries out ``breach_actions`` (the
    rules engine's actions JSON, as triggers hold it) as ``acts_as``.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # ``tickets.rules.conditions`` JSON: {"all": [...], "any": [...]}; empty matches every ticket.
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    schedule = models.ForeignKey(
        Schedule,
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text=_("Business hours of the targets; empty: the default schedule."),
    )
    warning_minutes = models.PositiveIntegerField(_("warn this many minutes ahead"), default=30)
    warning_recipients = models.JSONField(_("warned"), default=list, blank=True)
    breach_recipients = models.JSONField(_("told of a breach"), default=list, blank=True)
    breach_actions = models.JSONField(_("actions on a breach"), default=list, blank=True)
    # The person the breach actions act as (permissions and history as theirs, "via SLA policy").
    # None with actions: the account was deleted — the actions wait for a new one.
    acts_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("breach actions act as"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warning_minutes__lte=MAX_WARNING_MINUTES), name="sla_policy_warning_at_most_a_week"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """How long ``metric`` may take for tickets of ``priority`` under a policy."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=8, choices=Priority)
    metric = models.CharField(_("metric"), max_length=24, choices=Metric)
    minutes = models.PositiveIntegerField(_("minutes"))
    business_hours = models.BooleanField(_("business hours"), default=True)

    class Meta:
        ordering = ["policy", "metric", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority", "metric"], name="sla_target_once"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="sla_target_positive"),
            models.CheckConstraint(condition=models.Q(metric__in=Metric.values), name="sla_target_metric_valid"),
            models.CheckConstraint(condition=models.Q(priority__in=Priority.values), name="sla_target_priority_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.priority}: {self.minutes} min"


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    FULFILLED = "fulfilled", _("Fulfilled")
    BREACHED = "breached", _("Breached")


class SlaClock(models.Model):
    """One metric's clock on one ticket (the current cycle for next reply and periodic update).

    ``used_seconds`` is the target time used up to ``resumed_at``; while running the clock
    also uses the time since then. ``breach_at`` is set only while running: what the sweeper
    and the "next breach" sort read off its partial index.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="clocks")
    metric = models.CharField(max_length=24, choices=Metric)
    target_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True)
    state = models.CharField(max_length=12, choices=ClockState, default=ClockState.RUNNING)
    started_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    used_seconds = models.BigIntegerField(default=0)
    breach_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # "Breaches in 30 min" was sent for this cycle.
    warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="sla_clock_once_per_metric"),
            models.CheckConstraint(condition=models.Q(metric__in=Metric.values), name="sla_clock_metric_valid"),
            models.CheckConstraint(condition=models.Q(state__in=ClockState.values), name="sla_clock_state_valid"),
            models.CheckConstraint(
                condition=~models.Q(state="running") | models.Q(breach_at__isnull=False, resumed_at__isnull=False),
                name="sla_clock_running_has_breach_at",
            ),
        ]
        indexes = [
            # The sweeper's due clocks, and the queue's "next breach" (running clocks only).
            models.Index(fields=["breach_at"], name="sla_clock_breach_idx", condition=models.Q(state="running")),
        ]

    def __str__(self) -> str:
        return f"{self.metric} on #{self.ticket_id}: {self.state}"
