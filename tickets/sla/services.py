"""Changing schedules and policies: every rule checked here, for the API and the settings pages
alike. Each function raises ``ValidationError`` (by field) and changes nothing, or saves in one
transaction."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.languages import is_time_zone
from tickets.models import Priority
from tickets.rules import actions as rule_actions
from tickets.rules import conditions as rule_conditions
from tickets.sla import hook
from tickets.sla.businesstime import Calendar, Interval, add_time
from tickets.sla.models import (
    MAX_WARNING_MINUTES,
    Audience,
    Metric,
    Schedule,
    ScheduleHoliday,
    ScheduleInterval,
    ScheduleTeam,
    SlaPolicy,
    SlaTarget,
    public_holidays,
)
from tickets.sla.refresh import schedule_of

MAX_INTERVALS = 7 * 6
MAX_HOLIDAYS = 500
MAX_TARGET_MINUTES = 60 * 24 * 365
DEFAULT_WARNING_MINUTES = 30

_M = TypeVar("_M", bound=models.Model)


def _check_holiday_region(country: str, subdivision: str) -> dict[str, str]:
    import holidays

    if not country:
        return {"subdivision": _("Choose a country first.")} if subdivision else {}
    supported = holidays.list_supported_countries()
    if country not in supported:
        return {"country": _("Unknown country code: %(code)s.") % {"code": country}}
    if subdivision and subdivision not in supported[country]:
        return {
            "subdivision": _("Unknown region %(region)s of %(country)s.") % {"region": subdivision, "country": country}
        }
    return {}


def _others(rows: QuerySet[_M], pk: Any) -> QuerySet[_M]:
    """``rows`` but the one with ``pk`` (all of them when it is None: the object is not saved yet)."""
    return rows if pk is None else rows.exclude(pk=pk)


def _forget_cached(instance: models.Model, attribute: str, empty: object) -> None:
    """Reset a cache kept on a saved instance: ``Schedule.calendar()``'s ``_calendar`` (None: build
    again) or Django's ``_prefetched_objects_cache`` (empty: related managers query again). Neither
    is a declared attribute (the model infers ``_calendar`` as a Calendar, django-stubs leaves the
    prefetch cache out), so the value is written to the instance's ``__dict__``, as ``=`` would."""
    vars(instance)[attribute] = empty


def _clean_schedule(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    name = (data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("Give the schedule a name of up to 100 characters.")
    elif _others(Schedule.objects.all(), data.get("pk")).filter(name=name).exists():
        errors["name"] = _("Another schedule has this name.")
    zone = data.get("time_zone") or ""
    if not is_time_zone(zone):
        errors["time_zone"] = _("Unknown time zone: %(zone)s.") % {"zone": zone}
    country = (data.get("country") or "").strip().upper()
    subdivision = (data.get("subdivision") or "").strip().upper()
    errors.update(_check_holiday_region(country, subdivision))
    intervals = data.get("intervals") or []
    if not intervals:
        errors["intervals"] = _("Add at least one opening interval.")
    elif len(intervals) > MAX_INTERVALS:
        errors["intervals"] = _("At most %(limit)s intervals.") % {"limit": MAX_INTERVALS}
    else:
        try:
            Calendar(zoneinfo.ZoneInfo("UTC"), tuple(Interval(int(d), s, e) for d, s, e in intervals))
        except (ValueError, TypeError):
            errors["intervals"] = _("Each interval opens before it closes, on one day, without overlapping another.")
    teams = _clean_teams(data.get("teams"), data.get("pk"), errors)
    holidays = data.get("holidays") or []
    if len(holidays) > MAX_HOLIDAYS:
        errors["holidays"] = _("At most %(limit)s holidays.") % {"limit": MAX_HOLIDAYS}
    elif len({day for day, _name in holidays}) != len(holidays):
        errors["holidays"] = _("Each date may be listed once.")
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "time_zone": zone,
        "country": country,
        "subdivision": subdivision,
        "is_default": bool(data.get("is_default")),
        "intervals": sorted((int(d), s, e) for d, s, e in intervals),
        "holidays": sorted((day, (label or "")[:100]) for day, label in holidays),
        "teams": teams,
    }


def _clean_teams(given: Any, pk: Any, errors: dict[str, Any]) -> list[int] | None:
    """The ids of the teams that follow the schedule (None: leave them as they are). A team
    follows one schedule at most: one that another schedule has is refused, naming it."""
    if given is None:
        return None
    from accounts.models import Team

    ids = sorted({team if isinstance(team, int) else team.pk for team in given})
    found = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if len(found) != len(ids):
        errors["teams"] = _("No such team.")
        return None
    taken = ScheduleTeam.objects.filter(team_id__in=ids)
    if pk is not None:
        taken = taken.exclude(schedule_id=pk)
    clash = taken.select_related("schedule").order_by("team__name").first()
    if clash is not None:
        errors["teams"] = _("Team %(team)s already follows the schedule %(schedule)s.") % {
            "team": found[clash.team_id],
            "schedule": clash.schedule.name,
        }
    return ids


@transaction.atomic
def schedule_save(schedule: Schedule | None = None, **data: Any) -> Schedule:
    """Create (``schedule`` None) or replace a schedule: its fields, intervals, custom holidays
    and, when ``teams`` is given (team ids), the teams that follow it. The first schedule becomes
    the default; making one default unsets the other."""
    clean = _clean_schedule({**data, "pk": schedule.pk if schedule else None})
    intervals, holidays, teams = clean.pop("intervals"), clean.pop("holidays"), clean.pop("teams")
    others = _others(Schedule.objects.all(), schedule.pk if schedule else None)
    if not others.filter(is_default=True).exists():
        clean["is_default"] = True
    if clean["is_default"]:
        others.filter(is_default=True).update(is_default=False)
    if schedule is None:
        schedule = Schedule(**clean)
    else:
        for key, value in clean.items():
            setattr(schedule, key, value)
        schedule.updated_at = timezone.now()
    schedule.save()
    schedule.intervals.all().delete()
    schedule.holidays.all().delete()
    ScheduleInterval.objects.bulk_create(
        [ScheduleInterval(schedule=schedule, weekday=d, start=s, end=e) for d, s, e in intervals]
    )
    ScheduleHoliday.objects.bulk_create([ScheduleHoliday(schedule=schedule, date=d, name=n) for d, n in holidays])
    if teams is not None:
        schedule.team_links.exclude(team_id__in=teams).delete()
        kept = set(schedule.team_links.values_list("team_id", flat=True))
        ScheduleTeam.objects.bulk_create([ScheduleTeam(schedule=schedule, team_id=t) for t in teams if t not in kept])
    _forget_cached(schedule, "_calendar", None)
    _forget_cached(schedule, "_prefetched_objects_cache", {})
    hook.policies_changed()  # bulk_create sends no signal: the refresh's cached calendars go
    return schedule


def schedule_delete(schedule: Schedule) -> None:
    if schedule.is_default:
        raise ValidationError(_("The default schedule cannot be deleted; make another one the default first."))
    try:
        schedule.delete()
    except ProtectedError as exc:
        raise ValidationError(_("Policies use this schedule; change them first.")) from exc


def _clean_targets(targets: Any) -> list[tuple[str, str, int, bool]]:
    out, seen = [], set()
    for priority, metric, minutes, business in targets or []:
        if priority not in Priority.values or metric not in Metric.values:
            raise ValidationError({"targets": _("Unknown priority or metric.")})
        if not isinstance(minutes, int) or not 0 < minutes <= MAX_TARGET_MINUTES:
            raise ValidationError({"targets": _("Each target is a whole number of minutes, at most a year.")})
        if (priority, metric) in seen:
            raise ValidationError({"targets": _("One target per priority and metric.")})
        seen.add((priority, metric))
        out.append((priority, metric, minutes, bool(business)))
    return out


def _clean_audience(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or any(item not in Audience.values for item in value):
        raise ValidationError(
            _("Choose among: %(choices)s.") % {"choices": ", ".join(Audience.values)}, code="recipients"
        )
    return [a for a in Audience.values if a in value]  # in a fixed order, each once


def _clean_escalation(data: dict[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    """The policy's warning time, who hears of warnings and breaches, and its breach actions with
    the person they act as (checked by the rules engine as a trigger's are). Adds to ``errors``."""
    clean: dict[str, Any] = {}
    minutes = data.get("warning_minutes", DEFAULT_WARNING_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= MAX_WARNING_MINUTES:
        errors["warning_minutes"] = _("Whole minutes from 0 (no warning) to %(limit)s (a week).") % {
            "limit": MAX_WARNING_MINUTES
        }
    clean["warning_minutes"] = minutes
    for name in ("warning_recipients", "breach_recipients"):
        try:
            clean[name] = _clean_audience(data.get(name))
        except ValidationError as exc:
            errors[name] = exc.messages
    acts_as = data.get("acts_as")
    clean["acts_as"] = acts_as
    try:
        actions = rule_actions.parse(data.get("breach_actions"))
    except ValidationError as exc:
        errors["breach_actions"] = exc.messages
        return clean
    clean["breach_actions"] = [action.as_json() for action in actions]
    if actions and acts_as is None:
        errors["acts_as"] = _("Name the person the breach actions act as.")
    elif actions and acts_as is not None:
        try:
            rule_actions.check_owner(actions, acts_as)
        except ValidationError as exc:
            errors["acts_as"] = exc.messages
    return clean


@transaction.atomic
def policy_save(policy: SlaPolicy | None = None, **data: Any) -> SlaPolicy:
    """Create or replace a policy, its targets and its escalation (conditions and breach
    actions checked by the rules engine)."""
    errors: dict[str, Any] = {}
    name = (data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("Give the policy a name of up to 100 characters.")
    elif _others(SlaPolicy.objects.all(), policy.pk if policy else None).filter(name=name).exists():
        errors["name"] = _("Another policy has this name.")
    description = data.get("description") or ""
    if len(description) > 1000:
        errors["description"] = _("At most 1000 characters.")
    position = data.get("position", 0)
    if not isinstance(position, int) or not 0 <= position <= 1_000_000:
        errors["position"] = _("A position from 0 to 1000000.")
    try:
        parsed = rule_conditions.parse(data.get("conditions") or {}, allow_current_user=False)
    except ValidationError as exc:
        errors["conditions"] = exc.messages
    try:
        targets = _clean_targets(data.get("targets"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    escalation = _clean_escalation(data, errors)
    if errors:
        raise ValidationError(errors)
    fields = {
        "name": name,
        "description": description,
        "position": position,
        "active": bool(data.get("active", True)),
        "conditions": parsed.as_json(),
        "schedule": data.get("schedule"),
        **escalation,
    }
    if policy is None:
        policy = SlaPolicy(**fields)
    else:
        for key, value in fields.items():
            setattr(policy, key, value)
        policy.updated_at = timezone.now()
    policy.save()
    policy.targets.all().delete()
    SlaTarget.objects.bulk_create(
        [SlaTarget(policy=policy, priority=p, metric=m, minutes=n, business_hours=b) for p, m, n, b in targets]
    )
    _forget_cached(policy, "_prefetched_objects_cache", {})
    hook.policies_changed()  # bulk_create sends no signal: the refresh's cached targets go
    return policy


def preview(policy: SlaPolicy, priority: str, *, now: datetime | None = None) -> list[tuple[str, datetime]]:
    """For a ticket created ``now`` with ``priority``: (metric, due) of each target that starts
    at creation (first reply, requester wait, resolution), in ``schedule_of(policy)``."""
    now = now or timezone.now()
    schedule = schedule_of(policy)
    calendar = schedule.calendar() if schedule else None
    starts_at_creation = (Metric.FIRST_REPLY_TIME, Metric.REQUESTER_WAIT_TIME, Metric.RESOLUTION_TIME)
    out = []
    for target in policy.targets.filter(priority=priority, metric__in=starts_at_creation).order_by("metric"):
        due = add_time(calendar, now, timedelta(minutes=target.minutes), business=target.business_hours)
        out.append((target.metric, due))
    return out


# --- what the audit log shows ----------------------------------------------------------------------


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


@audit.untranslated
def schedule_values(schedule: Schedule) -> audit.Values:
    intervals = ", ".join(f"{i.weekday}:{_hm(i.start)}-{_hm(i.end)}" for i in schedule.intervals.all())
    holidays = ", ".join(f"{h.date:%Y-%m-%d}" for h in schedule.holidays.all())
    return {
        gettext_noop("Name"): schedule.name,
        gettext_noop("Time zone"): schedule.time_zone,
        gettext_noop("Default"): gettext_noop("Yes") if schedule.is_default else gettext_noop("No"),
        gettext_noop("Public holidays"): " ".join(filter(None, [schedule.country, schedule.subdivision])) or "—",
        gettext_noop("Opening hours"): intervals or "—",
        gettext_noop("Closed days"): holidays or "—",
        gettext_noop("Teams"): ", ".join(sorted(link.team.name for link in schedule.team_links.select_related("team")))
        or "—",
    }


@audit.untranslated
def policy_values(policy: SlaPolicy) -> audit.Values:
    targets = ", ".join(
        f"{t.priority}/{t.metric}: {t.minutes}{'b' if t.business_hours else 'c'}" for t in policy.targets.all()
    )
    return {
        gettext_noop("Name"): policy.name,
        gettext_noop("Description"): policy.description or "—",
        gettext_noop("Position"): str(policy.position),
        gettext_noop("Active"): gettext_noop("Yes") if policy.active else gettext_noop("No"),
        gettext_noop("Conditions"): str(policy.conditions),
        gettext_noop("Schedule"): policy.schedule.name if policy.schedule else "—",
        gettext_noop("Targets"): targets or "—",
        gettext_noop("Warning minutes"): str(policy.warning_minutes),
        gettext_noop("Warned"): ", ".join(policy.warning_recipients) or gettext_noop("Default"),
        gettext_noop("Told of a breach"): ", ".join(policy.breach_recipients) or gettext_noop("Default"),
        gettext_noop("Actions on a breach"): str(policy.breach_actions) if policy.breach_actions else "—",
        gettext_noop("Breach actions act as"): policy.acts_as.email if policy.acts_as else "—",
    }


def known_holidays(schedule: Schedule, year: int) -> list[date]:
    return sorted(public_holidays(schedule.country, schedule.subdivision, year))
