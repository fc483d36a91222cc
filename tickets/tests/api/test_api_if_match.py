"""Stale edits from old reads: If-Match on PATCH answers 412 instead of losing an update."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tickets import services
from tickets.exceptions import StaleVersion
from tickets.models import Ticket, TicketEvent


@pytest.fixture
def api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


@pytest.mark.django_db
def test_if_match_accepts_the_current_version_and_refuses_a_stale_one(api, ticket, team_agent):
    url = f"/api/v1/tickets/{ticket.pk}/"
    etag = api.get(url)["ETag"]
    first = api.patch(url, {"priority": "high"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] != etag
    # Someone else changes the ticket; a client still holding the first version is refused.
    services.ticket_update(actor=team_agent, ticket=Ticket.objects.get(pk=ticket.pk), priority="urgent")
    events = TicketEvent.objects.count()
    stale = api.patch(url, {"priority": "low"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert stale.status_code == 412
    assert "changed since you read it" in stale.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"
    assert TicketEvent.objects.count() == events
    # Without If-Match the last write wins, as before.
    assert api.patch(url, {"priority": "low"}, format="json").status_code == 200


@pytest.mark.django_db
def test_service_checks_the_version_under_the_lock(ticket, agent, team_agent):
    read = Ticket.objects.get(pk=ticket.pk)
    services.ticket_update(actor=team_agent, ticket=Ticket.objects.get(pk=ticket.pk), priority="urgent")
    with pytest.raises(StaleVersion):
        services.ticket_update(actor=agent, ticket=read, priority="low", expected_updated_at=read.updated_at)
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"
