"""Invitations: the admin sends one, the person accepts it once; used and expired links say so.
Also the admin pages that change people through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invite, Organization, Role, Team, TicketScope, User
from conftest import PASSWORD
from tickets import permissions
from tickets.permissions import Action

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def invite(admin, billing_team):
    return services.invite_create(actor=admin, email="newbie@desk.test", role=Role.AGENT, team=billing_team)


def _accept(client, invite, **data):
    return client.post(
        reverse("accounts:invite_accept", args=[invite.token]),
        {"name": "Nina Newbie", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, **data},
    )


def test_accept_once_gives_role_and_team(client, invite, billing_team, ticket):
    page = client.get(reverse("accounts:invite_accept", args=[invite.token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "newbie@desk.test" in html and "Billing" in html and 'for="id_name"' in html
    response = _accept(client, invite)
    assert response.status_code == 302
    user = User.objects.get(email="newbie@desk.test")
    assert (user.role, user.name, user.ticket_scope) == (Role.AGENT, "Nina Newbie", TicketScope.TEAMS)
    assert list(user.teams) == [billing_team]
    assert user.check_password(NEW_PASSWORD)
    assert permissions.can(user, Action.CHANGE, ticket)  # Billing's ticket
    # Signed in right away, landing in the queue.
    assert client.get("/").url == reverse("agent:queue")
    invite.refresh_from_db()
    assert invite.accepted_user == user and invite.accepted_at is not None

    client.logout()
    again = client.get(reverse("accounts:invite_accept", args=[invite.token]))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    again = _accept(client, invite, name="Mallory")
    assert again.status_code == 410
    assert User.objects.filter(email="newbie@desk.test").count() == 1


def test_expired_invite(client, invite):
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(reverse("accounts:invite_accept", args=[invite.token]))
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert _accept(client, invite).status_code == 410
    assert not User.objects.filter(email="newbie@desk.test").exists()


def test_unknown_token(client):
    response = client.get(reverse("accounts:invite_accept", args=["nope"]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_bad_form_input_keeps_the_invite(client, invite):
    response = _accept(client, invite, password_again="something-else-entirely")
    assert response.status_code == 400
    assert "differ" in response.content.decode()
    response = _accept(client, invite, password="short", password_again="short")
    assert response.status_code == 400
    assert not User.objects.filter(email="newbie@desk.test").exists()
    invite.refresh_from_db()
    assert invite.accepted_at is None


def test_admin_invites_by_email(client, admin, tech_team, django_capture_on_commit_callbacks):
    client.login(username=admin.email, password=PASSWORD)
    add_url = reverse("admin:accounts_invite_add")
    page = client.get(add_url)
    assert page.status_code == 200 and b"Send invitation" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add_url, {"email": "Sam@Desk.test", "role": "admin", "team": str(tech_team.pk)}, follow=True
        )
    invite = Invite.objects.get()
    link = reverse("accounts:invite_accept", args=[invite.token])
    assert (invite.email, invite.role, invite.team, invite.invited_by) == ("sam@desk.test", "admin", tech_team, admin)
    assert link in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@desk.test"] and link in mail.outbox[0].body
    # An address that already has an account: a form error, no invite, no mail.
    response = client.post(add_url, {"email": admin.email, "role": "agent"})
    assert response.status_code == 200 and b"already exists" in response.content
    assert Invite.objects.count() == 1 and len(mail.outbox) == 1


def test_agents_and_customers_cannot_invite(client, agent, customer):
    for user in (agent, customer):
        client.login(username=user.email, password=PASSWORD)
        assert client.get(reverse("admin:accounts_invite_add")).status_code == 302  # to the admin login
        client.logout()


# --- the admin pages for people ----------------------------------------------------------------


def test_admin_changes_role_and_teams_through_services(client, admin, customer, billing_team, ticket):
    client.login(username=admin.email, password=PASSWORD)
    url = reverse("admin:accounts_user_change", args=[customer.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "email": customer.email,
            "name": "Ada Promoted",
            "role": "agent",
            "ticket_scope": "teams",
            "teams": [billing_team.pk],
            "organization": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(pk=customer.pk)
    assert (user.role, user.name, user.ticket_scope, user.organization) == (Role.AGENT, "Ada Promoted", "teams", None)
    assert list(user.teams) == [billing_team]
    assert permissions.can(user, Action.CHANGE, ticket)
    # Demoted again: customers lose team membership and every agent permission.
    client.post(
        url,
        {
            "email": customer.email,
            "name": "Ada",
            "role": "customer",
            "ticket_scope": "all",
            "organization": "",
            "is_active": "on",
        },
    )
    user = User.objects.get(pk=customer.pk)
    assert user.role == Role.CUSTOMER and not user.teams.exists()
    assert not permissions.can(user, Action.CHANGE, ticket)


def test_admin_creates_agent_team_and_organization(client, admin, agent):
    client.login(username=admin.email, password=PASSWORD)
    response = client.post(
        reverse("admin:accounts_team_add"), {"name": "Returns", "description": "", "members": [agent.pk]}
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Returns")
    assert list(team.members) == [agent]
    response = client.post(reverse("admin:accounts_organization_add"), {"name": "Initech"})
    assert response.status_code == 302
    org = Organization.objects.get(name="Initech")
    assert not org.share_tickets and org.group_id
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.agent@desk.test",
            "name": "New Agent",
            "password": NEW_PASSWORD,
            "role": "agent",
            "ticket_scope": "teams",
            "teams": [team.pk],
            "organization": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(email="new.agent@desk.test")
    assert created.role == Role.AGENT and list(created.teams) == [team]
    # Sharing on through the service: members join the organization's group.
    services.user_set_organization(user=User.objects.get(pk=agent.pk), organization=None)
    member = services.user_create(email="m@initech.test", name="Milton", organization=org)
    response = client.post(
        reverse("admin:accounts_organization_change", args=[org.pk]), {"name": "Initech", "share_tickets": "on"}
    )
    assert response.status_code == 302
    assert org.group.user_set.filter(pk=member.pk).exists()


def test_admin_cannot_delete_a_requester(client, admin, customer, ticket):
    client.login(username=admin.email, password=PASSWORD)
    response = client.post(reverse("admin:accounts_user_delete", args=[customer.pk]), {"post": "yes"})
    assert User.objects.filter(pk=customer.pk).exists()
    assert response.status_code == 200  # the admin lists the protected tickets instead


def test_ticket_admin_is_read_mostly(client, admin, ticket):
    client.login(username=admin.email, password=PASSWORD)
    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200
    assert b"Cannot download invoice" in page.content and b"history" in page.content.lower()
    assert client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]), {"subject": "Hacked subject"})
    ticket.refresh_from_db()
    assert ticket.subject == "Cannot download invoice"
    response = client.post(reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"})
    assert response.status_code == 302
    from tickets.models import Ticket

    assert not Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.parametrize("token", ["ab%00cd", "a" * 65, "abc%20def", "abc.def"])
def test_malformed_invite_tokens_are_404_not_500(client, token):
    """A token that cannot be one we made never reaches the database (PostgreSQL refuses NUL)."""
    assert client.get(f"/accounts/invite/{token}/").status_code == 404
