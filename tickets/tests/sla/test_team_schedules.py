"""A team's own business schedule (issue 17: "one default schedule, others per team or policy").

A ticket's clocks count in its policy's schedule; when the policy names none, in the schedule its
team follows; else in the default one. Teams are given to a schedule on its settings page and in
``/api/v1/schedules/``; a team follows one schedule at most."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tickets import services
from tickets.models import Priority
from tickets.sla import services as sla_services
from tickets.sla.models import Metric, Schedule, ScheduleTeam, SlaClock
from tickets.sla.refresh import sla_refresh
from tickets.tests.api.support import token_client
from tickets.tests.sla.support import FrozenClock, policy, weekday_schedule

MADRID = ZoneInfo("Europe/Madrid")
MONDAY_10 = datetime(2026, 6, 1, 10, tzinfo=MADRID)
FIRST_REPLY_HOUR = [(Priority.NORMAL, Metric.FIRST_REPLY_TIME, 60, True)]


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch, MONDAY_10.astimezone(UTC))


def _afternoons(team=None):
    """Madrid, weekdays 15:00–19:00, followed by ``team``."""
    schedule = weekday_schedule("Afternoons", default=False, hours=(time(15), time(19)))
    if team is not None:
        ScheduleTeam.objects.create(schedule=schedule, team=team)
    return schedule


def _first_reply_due(ticket):
    sla_refresh(ticket)
    return SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_REPLY_TIME).breach_at


def _new_ticket(customer, admin, team):
    ticket = services.ticket_create(actor=customer, subject="Invoice is missing", description="x" * 20)
    return services.ticket_update(actor=admin, ticket=ticket, team=team) if team else ticket


def test_a_team_schedule_counts_when_the_policy_names_none(db, customer, admin, billing_team, tech_team, frozen):
    weekday_schedule()  # the default: Madrid 09:00–17:00
    _afternoons(billing_team)
    policy(targets=FIRST_REPLY_HOUR)
    assert _first_reply_due(_new_ticket(customer, admin, billing_team)) == datetime(2026, 6, 1, 16, tzinfo=MADRID)
    assert _first_reply_due(_new_ticket(customer, admin, tech_team)) == datetime(2026, 6, 1, 11, tzinfo=MADRID)
    assert _first_reply_due(_new_ticket(customer, admin, None)) == datetime(2026, 6, 1, 11, tzinfo=MADRID)


def test_the_policy_schedule_wins_over_the_team_schedule(db, customer, admin, billing_team, frozen):
    weekday_schedule()
    _afternoons(billing_team)
    mornings = weekday_schedule("Mornings", default=False, hours=(time(7), time(10, 30)))
    policy(schedule=mornings, targets=FIRST_REPLY_HOUR)
    # 10:00–10:30 today, then 07:00–07:30 on Tuesday.
    assert _first_reply_due(_new_ticket(customer, admin, billing_team)) == datetime(2026, 6, 2, 7, 30, tzinfo=MADRID)


def test_moving_a_ticket_to_another_team_recounts_in_its_schedule(db, customer, admin, billing_team, tech_team, frozen):
    weekday_schedule()
    _afternoons(billing_team)
    policy(targets=FIRST_REPLY_HOUR)
    ticket = _new_ticket(customer, admin, tech_team)
    assert _first_reply_due(ticket) == datetime(2026, 6, 1, 11, tzinfo=MADRID)
    frozen.set((MONDAY_10 + timedelta(minutes=30)).astimezone(UTC))
    ticket = services.ticket_update(actor=admin, ticket=ticket, team=billing_team)
    # A running clock counts in the schedule now in force since it last started or resumed:
    # Billing's afternoons, closed until 15:00.
    assert _first_reply_due(ticket) == datetime(2026, 6, 1, 16, tzinfo=MADRID)
    frozen.set((MONDAY_10 + timedelta(hours=1)).astimezone(UTC))
    ticket = services.ticket_update(actor=admin, ticket=ticket, team=tech_team)
    assert _first_reply_due(ticket) == datetime(2026, 6, 1, 11, tzinfo=MADRID)


def test_a_team_follows_one_schedule(db, billing_team, tech_team):
    weekday_schedule()
    afternoons = _afternoons(billing_team)
    hours = [(d, time(8), time(12)) for d in range(5)]
    with pytest.raises(ValidationError) as refused:
        sla_services.schedule_save(name="Mornings", time_zone="Europe/Madrid", intervals=hours, teams=[billing_team.pk])
    assert "Billing already follows the schedule Afternoons" in str(refused.value)
    assert not Schedule.objects.filter(name="Mornings").exists()
    # Saving without teams leaves them; an empty list takes them away.
    sla_services.schedule_save(afternoons, name="Afternoons", time_zone="Europe/Madrid", intervals=hours)
    assert list(afternoons.team_links.values_list("team_id", flat=True)) == [billing_team.pk]
    sla_services.schedule_save(afternoons, name="Afternoons", time_zone="Europe/Madrid", intervals=hours, teams=[])
    mornings = sla_services.schedule_save(
        name="Mornings", time_zone="Europe/Madrid", intervals=hours, teams=[billing_team.pk, tech_team.pk]
    )
    assert sorted(mornings.team_links.values_list("team__name", flat=True)) == ["Billing", "Technical"]
    with pytest.raises(ValidationError, match="No such team"):
        sla_services.schedule_save(
            mornings, name="Mornings", time_zone="Europe/Madrid", intervals=hours, teams=[999999]
        )


def test_settings_page_gives_a_schedule_its_teams(admin_client, billing_team, tech_team):
    weekday_schedule()
    form = {"name": "Afternoons", "time_zone": "Europe/Madrid", "day_0": "15:00-19:00", "teams": [billing_team.pk]}
    assert admin_client.post("/settings/schedules/new/", form).status_code == 302
    schedule = Schedule.objects.get(name="Afternoons")
    assert list(schedule.team_links.values_list("team_id", flat=True)) == [billing_team.pk]
    listed = admin_client.get("/settings/schedules/").content.decode()
    assert "Billing" in listed
    page = admin_client.get(f"/settings/schedules/{schedule.pk}/").content.decode()
    checked = re.findall(r'<input type="checkbox" name="teams" value="(\d+)"[^>]* checked', page)
    assert checked == [str(billing_team.pk)]
    clash = admin_client.post("/settings/schedules/new/", {**form, "name": "Evenings"})
    assert clash.status_code == 400
    assert "Billing already follows the schedule Afternoons" in clash.content.decode()
    moved = admin_client.post(f"/settings/schedules/{schedule.pk}/", {**form, "teams": [tech_team.pk]})
    assert moved.status_code == 302
    assert list(schedule.team_links.values_list("team_id", flat=True)) == [tech_team.pk]


def test_api_reads_and_changes_a_schedule_teams(admin, agent, billing_team, tech_team):
    weekday_schedule()
    body = {
        "name": "Afternoons",
        "time_zone": "Europe/Madrid",
        "intervals": [{"weekday": 0, "start": "15:00", "end": "19:00"}],
        "teams": [billing_team.pk],
    }
    created = token_client(admin).post("/api/v1/schedules/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["teams"] == [billing_team.pk]
    listed = {s["name"]: s["teams"] for s in token_client(agent).get("/api/v1/schedules/").json()}
    assert listed == {"Office": [], "Afternoons": [billing_team.pk]}
    clash = token_client(admin).post("/api/v1/schedules/", {**body, "name": "Evenings"}, format="json")
    assert clash.status_code == 400
    assert "Billing already follows the schedule Afternoons" in str(clash.json())
    url = f"/api/v1/schedules/{created.json()['id']}/"
    changed = token_client(admin).patch(url, {"teams": [tech_team.pk]}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["teams"] == [tech_team.pk]
    assert token_client(admin).patch(url, {"name": "Late"}, format="json").json()["teams"] == [tech_team.pk]


def test_the_policy_preview_says_when_team_schedules_may_differ(admin_client, billing_team):
    weekday_schedule()
    plain = policy(targets=[(Priority.HIGH, Metric.FIRST_REPLY_TIME, 60, True)])
    note = "tickets of a team with a schedule of its own are due by that schedule"
    page = admin_client.get(f"/settings/sla-policies/{plain.pk}/").content.decode()
    assert "For a ticket created now with priority High, First reply time is due" in page
    assert note not in page
    _afternoons(billing_team)
    assert note in admin_client.get(f"/settings/sla-policies/{plain.pk}/").content.decode()
