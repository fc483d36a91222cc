"""/api/v1/schedules/ and /api/v1/sla-policies/: agents read, admins change, errors in the API's
one shape, every change in the audit log."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from tickets.sla.models import Schedule, SlaPolicy
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "name": "Madrid office",
    "time_zone": "Europe/Madrid",
    "country": "ES",
    "subdivision": "MD",
    "intervals": [
        {"weekday": 0, "start": "09:00", "end": "12:30"},
        {"weekday": 0, "start": "13:30", "end": "18:00"},
    ],
    "holidays": [{"date": "2026-12-24", "name": "Christmas Eve"}],
}


def test_admin_creates_and_agent_reads_a_schedule(admin, agent):
    created = token_client(admin).post("/api/v1/schedules/", SCHEDULE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["is_default"] is True  # the first schedule is the default
    assert body["intervals"][1] == {"weekday": 0, "start": "13:30", "end": "18:00"}
    assert LogEntry.objects.filter(object_id=str(body["id"])).count() == 1
    listed = token_client(agent).get("/api/v1/schedules/")
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()] == ["Madrid office"]
    assert token_client(agent).post("/api/v1/schedules/", SCHEDULE, format="json").status_code == 403


def test_customers_see_nothing(customer):
    assert token_client(customer).get("/api/v1/schedules/").status_code == 403
    assert token_client(customer).get("/api/v1/sla-policies/").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"country": "XX"}, "country"),
        ({"intervals": [{"weekday": 1, "start": "18:00", "end": "09:00"}]}, "intervals"),
        ({"intervals": []}, "intervals"),
    ],
)
def test_schedule_validation_errors_name_the_field(admin, change, field):
    response = token_client(admin).post("/api/v1/schedules/", {**SCHEDULE, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Schedule.objects.exists()


def test_policy_round_trip_and_bad_conditions(admin, agent):
    client = token_client(admin)
    policy = {
        "name": "VIP",
        "position": 1,
        "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]},
        "targets": [{"priority": "urgent", "metric": "first_reply_time", "minutes": 30, "business_hours": False}],
    }
    created = client.post("/api/v1/sla-policies/", policy, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    changed = client.patch(f"/api/v1/sla-policies/{pk}/", {"active": False}, format="json")
    assert changed.status_code == 200
    assert changed.json()["active"] is False
    assert changed.json()["targets"] == policy["targets"]
    bad = client.post(
        "/api/v1/sla-policies/",
        {**policy, "name": "Broken", "conditions": {"all": [{"field": "nope", "operator": "is", "value": 1}]}},
        format="json",
    )
    assert bad.status_code == 400
    assert "conditions" in bad.json()
    assert token_client(agent).get(f"/api/v1/sla-policies/{pk}/").json()["name"] == "VIP"
    assert token_client(agent).delete(f"/api/v1/sla-policies/{pk}/").status_code == 403
    assert client.delete(f"/api/v1/sla-policies/{pk}/").status_code == 204
    assert not SlaPolicy.objects.exists()


def test_a_schedule_in_use_cannot_be_deleted(admin):
    client = token_client(admin)
    first = client.post("/api/v1/schedules/", SCHEDULE, format="json").json()
    second = client.post("/api/v1/schedules/", {**SCHEDULE, "name": "New York"}, format="json").json()
    client.post("/api/v1/sla-policies/", {"name": "P", "schedule": second["id"]}, format="json")
    refused = client.delete(f"/api/v1/schedules/{second['id']}/")
    assert refused.status_code == 400
    assert "detail" in refused.json()
    assert client.delete(f"/api/v1/schedules/{first['id']}/").status_code == 400  # the default
