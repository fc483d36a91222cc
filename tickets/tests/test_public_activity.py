"""Internal work is not customer-visible activity (issue 13 §2).

Every change moves ``updated_at`` (what agents sort and version by); only a change the requester
can see — one that writes a public history event — moves ``public_activity_at``, which is what
"last updated" means to everyone who may not read internal content: the portal's My tickets
order and "Last update", the API's ``updated_at``, ``ordering=updated_at``, ``updated_after`` /
``updated_before``, the ETag and If-Match. Each kind of internal-only change is checked on each
of those surfaces; agents keep seeing every change.
"""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.dateformat import format as date_format

from conftest import PASSWORD
from tickets import permissions, services
from tickets.models import Ticket
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db

# Each internal-only change an agent can make (no public history event): name -> what it does.
INTERNAL_CHANGES = {
    "internal note": lambda agent, t, team: services.message_add(
        actor=agent, ticket=t, body="Finance asked.", internal=True
    ),
    "tag change": lambda agent, t, team: services.ticket_update(actor=agent, ticket=t, add_tags=["vip"]),
    "team move": lambda agent, t, team: services.ticket_update(actor=agent, ticket=t, team=team),
    "metadata": lambda agent, t, team: services.ticket_update(actor=agent, ticket=t, metadata={"crm": "42"}),
}
# Changes the requester can see: each moves their "last updated" too.
PUBLIC_CHANGES = {
    "public reply": lambda agent, t: services.message_add(actor=agent, ticket=t, body="Here is your invoice."),
    "status": lambda agent, t: services.ticket_change_status(actor=agent, ticket=t, status="pending"),
    "priority": lambda agent, t: services.ticket_update(actor=agent, ticket=t, priority="high"),
    "assignee": lambda agent, t: services.ticket_assign(actor=agent, ticket=t, assignee=agent),
}


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _age(*tickets: Ticket, minutes: int) -> None:
    """Date every change of ``tickets`` ``minutes`` ago, so what happens next is clearly newer."""
    at = timezone.now() - timedelta(minutes=minutes)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(updated_at=at, public_activity_at=at)


@pytest.fixture
def two_tickets(customer, admin, billing_team):
    """Ada's older and newer tickets, both Billing's, the newer one last touched more recently."""
    older = services.ticket_create(actor=customer, subject="Older question", description="An older question, details.")
    newer = services.ticket_create(actor=customer, subject="Newer question", description="A newer question, details.")
    for t in (older, newer):
        services.ticket_update(actor=admin, ticket=t, team=billing_team)
    _age(older, minutes=60)
    _age(newer, minutes=30)
    return _fresh(older), _fresh(newer)


def _portal_order(user, ids) -> list[int]:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    html = client.get("/portal/").content.decode()
    return sorted(ids, key=lambda pk: html.index(f"/portal/tickets/{pk}/"))


def _api_ids(user, query: str = "") -> list[int]:
    response = token_client(user).get("/api/v1/tickets/" + query)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("change", INTERNAL_CHANGES, ids=list(INTERNAL_CHANGES))
def test_internal_work_moves_only_the_agents_timestamp(change, customer, agent, tech_team, two_tickets):
    older, newer = two_tickets
    before = _fresh(older)
    INTERNAL_CHANGES[change](agent, older, tech_team)
    after = _fresh(older)
    assert after.updated_at > before.updated_at
    assert after.public_activity_at == before.public_activity_at


@pytest.mark.parametrize("change", PUBLIC_CHANGES, ids=list(PUBLIC_CHANGES))
def test_public_changes_move_both(change, agent, two_tickets):
    older, _ = two_tickets
    before = _fresh(older)
    PUBLIC_CHANGES[change](agent, older)
    after = _fresh(older)
    assert after.updated_at > before.updated_at
    assert after.public_activity_at == after.updated_at


@pytest.mark.parametrize("change", INTERNAL_CHANGES, ids=list(INTERNAL_CHANGES))
def test_customers_cannot_tell_internal_work_from_lists_filters_or_dates(
    change, customer, org_member, agent, tech_team, two_tickets
):
    older, newer = two_tickets
    since = timezone.now() - timedelta(minutes=5)
    INTERNAL_CHANGES[change](agent, older, tech_team)
    updated_after = f"?updated_after={since.isoformat().replace('+00:00', 'Z')}"
    for person in (customer, org_member):  # the requester, and a colleague her organization shares with
        # My tickets keeps its order; the API's default and explicit orders agree with it.
        assert _portal_order(person, [older.pk, newer.pk]) == [newer.pk, older.pk]
        assert _api_ids(person) == [newer.pk, older.pk]
        assert _api_ids(person, "?ordering=updated_at") == [older.pk, newer.pk]
        # Nothing was updated since, as far as they may know; before the change, everything was.
        assert _api_ids(person, updated_after) == []
        assert set(_api_ids(person, updated_after.replace("after", "before"))) == {older.pk, newer.pk}
        # The ticket's own date is its last public change.
        shown = token_client(person).get(f"/api/v1/tickets/{older.pk}/").json()["updated_at"]
        assert shown == token_client(person).get(f"/api/v1/tickets/{older.pk}/").json()["updated_at"]
        assert shown.replace("Z", "+00:00") == older.public_activity_at.isoformat()
    # Agents see the work: first in the list, found by the filter, dated now.
    assert _api_ids(agent)[0] == older.pk
    assert _api_ids(agent, updated_after) == [older.pk]
    assert token_client(agent).get(f"/api/v1/tickets/{older.pk}/").json()["updated_at"] != shown


def test_portal_shows_the_last_public_update(customer, agent, tech_team, two_tickets):
    older, _ = two_tickets
    services.message_add(actor=agent, ticket=older, body="Asked finance about it.", internal=True)
    client = Client()
    assert client.login(email=customer.email, password=PASSWORD)
    public, every = (
        f'datetime="{date_format(timezone.localtime(at), "c")}"'
        for at in (older.public_activity_at, _fresh(older).updated_at)
    )
    for url in ("/portal/", f"/portal/tickets/{older.pk}/"):
        html = client.get(url).content.decode()
        assert public in html
        assert every not in html


def test_internal_note_does_not_change_a_customers_etag(customer, agent, two_tickets):
    older, _ = two_tickets
    url = f"/api/v1/tickets/{older.pk}/"
    client = token_client(customer)
    etag = client.get(url)["ETag"]
    agent_etag = token_client(agent).get(url)["ETag"]
    services.message_add(actor=agent, ticket=older, body="Asked finance about it.", internal=True)
    services.ticket_update(actor=agent, ticket=_fresh(older), metadata={"crm": "7"})
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert token_client(agent).get(url, HTTP_IF_NONE_MATCH=agent_etag).status_code == 200
    # A public reply is news to her.
    services.message_add(actor=agent, ticket=_fresh(older), body="Here is your invoice.")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_customers_if_match_is_not_refused_for_internal_work(customer, agent, two_tickets):
    older, _ = two_tickets
    url = f"/api/v1/tickets/{older.pk}/"
    client = token_client(customer)
    etag = client.get(url)["ETag"]
    services.message_add(actor=agent, ticket=older, body="Asked finance about it.", internal=True)
    # A 412 here would tell her somebody worked on it; her version of the ticket is still current.
    solved = client.patch(url, {"status": "solved"}, format="json", HTTP_IF_MATCH=etag)
    assert solved.status_code == 200, solved.content
    # A public change since she read is refused as before.
    stale = client.patch(url, {"status": "open"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


def test_an_agent_who_only_requested_a_ticket_sees_its_public_activity(team_agent, other_team_agent, admin, tech_team):
    """Tom (Billing) files a ticket that Technical works: he is its customer, not its agent."""
    own = services.ticket_create(
        actor=team_agent, subject="My laptop is slow", description="My laptop has been slow since Monday."
    )
    services.ticket_update(actor=admin, ticket=own, team=tech_team)
    _age(own, minutes=30)
    services.message_add(actor=other_team_agent, ticket=_fresh(own), body="Probably the disk.", internal=True)
    own = _fresh(own)
    assert not permissions.internal_visible(team_agent, own)
    assert permissions.activity_at(team_agent, own) == own.public_activity_at < own.updated_at
    shown = token_client(team_agent).get(f"/api/v1/tickets/{own.pk}/").json()["updated_at"]
    assert shown.replace("Z", "+00:00") == own.public_activity_at.isoformat()
    listed = token_client(team_agent).get("/api/v1/tickets/").json()["results"]
    assert [row["updated_at"] for row in listed if row["id"] == own.pk] == [shown]


def test_backfill_takes_the_newest_public_event(customer, agent, two_tickets):
    """The migration's backfill (one UPDATE ... FROM over the history) on this database."""
    older, newer = two_tickets
    services.message_add(actor=agent, ticket=older, body="Here is your invoice.")
    services.message_add(actor=agent, ticket=_fresh(older), body="Asked finance about it.", internal=True)
    expected = {t.pk: max(e.created_at for e in t.events.filter(public=True)) for t in (_fresh(older), _fresh(newer))}
    Ticket.objects.update(public_activity_at=timezone.now() + timedelta(days=1))
    migration = importlib.import_module("tickets.migrations.0010_ticket_public_activity_at")
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    assert dict(Ticket.objects.values_list("pk", "public_activity_at")) == expected
    assert _fresh(older).public_activity_at < _fresh(older).updated_at
