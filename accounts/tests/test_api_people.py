# ruff: noqa: F811  -- the shared API fixtures are imported by name, and tests take them as arguments
"""People endpoints (me, users, teams, invites) and the token endpoint.

The rows × personas come from the API table in ``tickets/tests/api/table.py``.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Invite, Role, Team, User
from tickets.tests.api.support import _fresh_throttles, as_user, people, world  # noqa: F401
from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("people"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_me(customer, as_user):
    data = as_user(customer).get("/api/v1/me/").json()
    assert data == {
        "id": customer.pk,
        "email": "ada@acme.test",
        "name": "Ada Customer",
        "role": "customer",
        "teams": [],
        "organization": {"id": customer.organization_id, "name": "Acme Corp"},
        "language": "",
        "time_zone": "",
    }


def test_me_shows_teams(team_agent, as_user, billing_team):
    assert as_user(team_agent).get("/api/v1/me/").json()["teams"] == [{"id": billing_team.pk, "name": "Billing"}]


def test_user_filters(people, as_user, billing_team):
    client = as_user(people["agent"])

    def emails(query):
        response = client.get(f"/api/v1/users/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(u["email"] for u in response.json()["results"])

    assert emails("role=admin") == ["root@desk.test"]
    assert emails(f"team={billing_team.pk}") == ["tom@desk.test"]
    assert emails("q=acme") == ["ada@acme.test", "bob@acme.test"]
    assert client.get("/api/v1/users/?role=boss").status_code == 400


def test_admin_creates_agent_in_team(admin, as_user, billing_team):
    response = as_user(admin).post(
        "/api/v1/users/",
        {"email": "Sam@Desk.test", "name": "Sam", "role": "agent", "ticket_scope": "teams", "teams": [billing_team.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    sam = User.objects.get(email="sam@desk.test")
    assert sam.role == Role.AGENT
    assert response.json()["teams"] == [{"id": billing_team.pk, "name": "Billing"}]
    duplicate = as_user(admin).post("/api/v1/users/", {"email": "sam@desk.test", "name": "Sam"}, format="json")
    assert duplicate.status_code == 400
    assert "email" in duplicate.json()


def test_team_members_can_be_set(admin, agent, customer, as_user, billing_team):
    url = f"/api/v1/teams/{billing_team.pk}/"
    response = as_user(admin).patch(url, {"members": [agent.pk]}, format="json")
    assert response.status_code == 200
    assert [m["email"] for m in response.json()["members"]] == ["alice@desk.test"]
    refused = as_user(admin).patch(url, {"members": [customer.pk]}, format="json")
    assert refused.status_code == 400
    assert "members" in refused.json()


def test_invite_gives_an_accept_url(admin, as_user, billing_team):
    response = as_user(admin).post("/api/v1/invites/", {"email": "new@desk.test", "role": "admin"}, format="json")
    assert response.status_code == 201
    invite = Invite.objects.get()
    assert response.json()["accept_url"].endswith(f"/accounts/invite/{invite.token}/")
    assert (
        as_user(admin).post("/api/v1/invites/", {"email": "x@desk.test", "role": "customer"}, format="json").status_code
        == 400
    )


def test_token_endpoint(customer, password):
    client = APIClient()
    ok = client.post("/api/v1/auth/token/", {"email": "ADA@acme.test", "password": password}, format="json")
    assert ok.status_code == 200
    token = ok.json()["token"]
    again = client.post("/api/v1/auth/token/", {"email": "ada@acme.test", "password": password}, format="json")
    assert again.json()["token"] == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["email"] == "ada@acme.test"


def test_token_endpoint_says_the_same_for_unknown_email_and_wrong_password(customer):
    client = APIClient()
    wrong = client.post("/api/v1/auth/token/", {"email": "ada@acme.test", "password": "nope"}, format="json")
    unknown = client.post("/api/v1/auth/token/", {"email": "nobody@acme.test", "password": "nope"}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()


def test_token_endpoint_is_throttled_with_retry_after(customer, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], token="3/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient()
    codes = [
        client.post("/api/v1/auth/token/", {"email": "ada@acme.test", "password": "guess"}, format="json").status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    last = client.post("/api/v1/auth/token/", {"email": "ada@acme.test", "password": "guess"}, format="json")
    assert last.status_code == 429
    assert int(last["Retry-After"]) > 0


def test_users_are_throttled_per_user(customer, org_member, as_user, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], user="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ada = as_user(customer)
    assert [ada.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert as_user(org_member).get("/api/v1/me/").status_code == 200


def test_anonymous_requests_are_throttled_per_ip(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], anon="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient()
    # Endpoints open to anonymous callers (the schema); elsewhere they get 401 before any throttle.
    assert [client.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]


def test_team_delete_keeps_teams_with_tickets(world, as_user, people):
    response = as_user(people["admin"]).delete(f"/api/v1/teams/{world['team'].pk}/")
    assert response.status_code == 409
    assert Team.objects.filter(pk=world["team"].pk).exists()


def test_token_endpoint_locks_an_email_after_repeated_failures(customer, password, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], token="1000/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"email": "ada@acme.test", "password": "guess"}, format="json")
    locked = client.post("/api/v1/auth/token/", {"email": "ada@acme.test", "password": password}, format="json")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "token" not in locked.json()
