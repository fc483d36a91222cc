"""/api/v1/triggers/ and /api/v1/automations/: the table's rows × personas, validation errors
in the API's error shape, the owner, the desk's own automation, the audit log."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from tickets import automations
from tickets.models import Automation, Trigger
from tickets.tests.api.table import NEW_TRIGGER, case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("rules"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_create_defaults_the_owner_and_audits(people, as_user):
    admin = people["admin"]
    response = as_user(admin).post("/api/v1/triggers/", NEW_TRIGGER, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == {"id": admin.pk, "name": admin.name, "email": admin.email}
    assert (body["on"], body["fire_count"], body["active"]) == ("created", 0, True)
    trigger = Trigger.objects.get(pk=body["id"])
    assert LogEntry.objects.filter(object_id=str(trigger.pk), user=admin).exists()


def test_validation_errors_name_the_mistakes(people, as_user):
    client = as_user(people["admin"])
    response = client.post(
        "/api/v1/triggers/",
        {
            "name": "Bad",
            "on": "created",
            "conditions": {"all": [{"field": "priority", "operator": "contains", "value": "x"}]},
            "actions": [{"action": "set_status", "value": "sleeping"}],
            "owner": people["customer"].pk,
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"conditions", "actions"}
    assert errors["conditions"][0].startswith('Condition 1 of "all":')
    assert errors["actions"][0].startswith("Action 1:")
    customer_owned = {**NEW_TRIGGER, "owner": people["customer"].pk}
    response = client.post("/api/v1/triggers/", customer_owned, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    assert not Trigger.objects.exists()


def test_the_desks_own_automation_is_listed_and_kept(people, as_user):
    default = automations.default_autoclose()
    client = as_user(people["admin"])
    listed = client.get("/api/v1/automations/").json()["results"]
    assert [(a["system_key"], a["owner"]) for a in listed] == [("autoclose", None)]
    assert client.delete(f"/api/v1/automations/{default.pk}/").status_code == 400
    assert client.patch(f"/api/v1/automations/{default.pk}/", {"active": False}, format="json").status_code == 200
    assert Automation.objects.get(pk=default.pk).active is False
    response = client.patch(
        f"/api/v1/automations/{default.pk}/", {"actions": [{"action": "add_tags", "value": ["x"]}]}, format="json"
    )
    assert response.status_code == 400 and "actions" in response.json()
