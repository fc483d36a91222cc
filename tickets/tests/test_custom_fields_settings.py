"""Settings → Ticket fields (issue 16): desk managers list, create, edit and deactivate the
desk's own fields, each change in the audit log; everyone else gets a 404."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from tickets.models import TicketField

pytestmark = pytest.mark.django_db

NEW = {
    "key": "plan",
    "field_type": "dropdown",
    "label": "Plan",
    "description": "The customer's plan.",
    "options": "gold | Gold\nsilver | Silver\n\n",
    "pattern": "",
    "position": "2",
    "active": "on",
    "required_on_solve": "on",
}


def test_create_edit_and_deactivate(client, admin, billing_team):
    client.force_login(admin)
    assert "No ticket fields yet" in client.get("/settings/ticket-fields/").content.decode()
    response = client.post("/settings/ticket-fields/new/", {**NEW, "options": "Gold!"})
    assert response.status_code == 400 and "Option value" in response.content.decode()
    response = client.post("/settings/ticket-fields/new/", {**NEW, "teams": [billing_team.pk]})
    assert response.status_code == 302
    field = TicketField.objects.get(key="plan")
    assert field.options == [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]
    assert field.required_on_solve and not field.visible_to_customers
    assert list(field.teams.all()) == [billing_team]
    page = client.get("/settings/ticket-fields/").content.decode()
    assert "Plan" in page and "Billing" in page and "Agents only" in page
    edit = client.get(f"/settings/ticket-fields/{field.pk}/").content.decode()
    assert "gold | Gold" in edit and 'name="key"' not in edit  # the key is fixed
    response = client.post(
        f"/settings/ticket-fields/{field.pk}/",
        {"label": "Plan", "options": "gold | Gold", "position": "1", "active": "on", "required_in_portal": "on"},
    )
    assert response.status_code == 400  # required in the portal needs visible to customers
    assert "visible to customers" in response.content.decode()
    response = client.post(
        f"/settings/ticket-fields/{field.pk}/",
        {"label": "Customer plan", "options": "gold | Gold\nbronze | Bronze", "position": "1", "active": "on"},
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.label == "Customer plan" and field.option_values == ["gold", "bronze"]
    assert list(field.teams.all()) == []
    assert client.post(f"/settings/ticket-fields/{field.pk}/deactivate/").status_code == 302
    field.refresh_from_db()
    assert field.active is False
    entries = LogEntry.objects.filter(object_id=str(field.pk)).order_by("pk")
    assert entries.count() == 3
    audit = client.get("/settings/audit/").content.decode()
    assert "Customer plan" in audit


@pytest.mark.parametrize("persona", ["customer", "agent"])
def test_only_desk_managers(request, client, persona):
    field = TicketField.objects.create(key="plan", label="Plan")
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/settings/ticket-fields/").status_code == 404
    assert client.post("/settings/ticket-fields/new/", NEW).status_code == 404
    assert client.post(f"/settings/ticket-fields/{field.pk}/deactivate/").status_code == 404
    assert TicketField.objects.get().active and TicketField.objects.count() == 1
