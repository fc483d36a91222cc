"""Settings → Schedules and SLA policies: desk managers create and edit them through the forms,
the audit log records it, the policy page previews due times; everyone else gets a 404."""

from __future__ import annotations

from datetime import time

import pytest
from django.contrib.admin.models import LogEntry

from tickets.sla.models import Metric, Schedule, SlaPolicy

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "name": "Madrid office",
    "time_zone": "Europe/Madrid",
    "country": "ES",
    "subdivision": "MD",
    "holidays": "2026-12-24 Christmas Eve\n2026-12-31",
    "day_0": "09:00-12:30, 13:30-18:00",
    "day_1": "09:00-17:00",
}


def test_admin_creates_and_edits_a_schedule(admin_client):
    created = admin_client.post("/settings/schedules/new/", SCHEDULE)
    assert created.status_code == 302
    schedule = Schedule.objects.get()
    assert schedule.is_default  # the first one
    assert [(i.weekday, i.start, i.end) for i in schedule.intervals.all()] == [
        (0, time(9), time(12, 30)),
        (0, time(13, 30), time(18)),
        (1, time(9), time(17)),
    ]
    assert [h.name for h in schedule.holidays.all()] == ["Christmas Eve", ""]
    page = admin_client.get(f"/settings/schedules/{schedule.pk}/").content.decode()
    assert "09:00-12:30, 13:30-18:00" in page
    edited = admin_client.post(f"/settings/schedules/{schedule.pk}/", {**SCHEDULE, "day_1": ""})
    assert edited.status_code == 302
    assert schedule.intervals.count() == 2
    assert LogEntry.objects.filter(content_type__model="schedule", object_id=str(schedule.pk)).count() == 2
    assert "Madrid office" in admin_client.get("/settings/schedules/").content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"day_0": "9 to 5"}, "HH:MM-HH:MM"),
        ({"day_0": "18:00-09:00"}, "opens before it closes"),
        ({"country": "XX"}, "Unknown country"),
        ({"holidays": "Christmas"}, "YYYY-MM-DD"),
    ],
)
def test_schedule_mistakes_are_shown_on_the_form(admin_client, change, message):
    response = admin_client.post("/settings/schedules/new/", {**SCHEDULE, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Schedule.objects.exists()


def test_admin_creates_a_policy_with_the_grid_and_sees_the_preview(admin_client):
    admin_client.post("/settings/schedules/new/", {**SCHEDULE, "day_2": "09:00-17:00", "day_3": "09:00-17:00"})
    form = {
        "name": "Standard",
        "position": "0",
        "active": "on",
        "conditions": '{"all": [{"field": "priority", "operator": "in", "value": ["high", "urgent"]}]}',
        "target_first_reply_time_high": "60",
        "business_first_reply_time": "on",
        "target_resolution_time_urgent": "480",
    }
    created = admin_client.post("/settings/sla-policies/new/", form)
    assert created.status_code == 302, created.content.decode()[:2000]
    policy = SlaPolicy.objects.get()
    targets = {(t.priority, t.metric): (t.minutes, t.business_hours) for t in policy.targets.all()}
    assert targets == {("high", Metric.FIRST_REPLY_TIME): (60, True), ("urgent", Metric.RESOLUTION_TIME): (480, False)}
    page = admin_client.get(f"/settings/sla-policies/{policy.pk}/").content.decode()
    assert "For a ticket created now with priority High, First reply time is due" in page
    assert 'value="60"' in page
    assert LogEntry.objects.filter(content_type__model="slapolicy", object_id=str(policy.pk)).count() == 1


def test_bad_conditions_are_refused(admin_client):
    response = admin_client.post(
        "/settings/sla-policies/new/", {"name": "Broken", "position": "0", "conditions": '{"all": [{"field": "x"}]}'}
    )
    assert response.status_code == 400
    assert not SlaPolicy.objects.exists()


@pytest.mark.parametrize("persona", ["agent", "customer"])
def test_only_desk_managers_see_the_sections(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in ("/settings/schedules/", "/settings/schedules/new/", "/settings/sla-policies/"):
        assert client.get(url).status_code == 404
    assert client.post("/settings/schedules/new/", SCHEDULE).status_code == 404
    assert not Schedule.objects.exists()
