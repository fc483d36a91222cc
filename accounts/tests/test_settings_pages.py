"""The settings area (issue 14 §7): admins manage people, teams, organizations and invitations in
the product's own pages; every change goes through ``accounts.services`` (so ticket access follows
exactly as elsewhere) and leaves an audit entry the back office shows too."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.models import Invite, Organization, Role, Team, TicketScope, User
from accounts.settings_pages.registry import SECTIONS, Section, register
from tickets import permissions
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _entries(obj) -> list[LogEntry]:
    from django.contrib.contenttypes.models import ContentType

    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
        ).order_by("pk")
    )


def _values(entry: LogEntry) -> list[list[str]]:
    return [v for part in json.loads(entry.change_message) for v in part.get("values", [])]


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def invite(admin, billing_team):
    return services.invite_create(actor=admin, email="newbie@desk.test", role=Role.AGENT, team=billing_team)


# --- who may come in -----------------------------------------------------------------------------


def _settings_routes() -> list[tuple[str, list[str]]]:
    """Every route of the settings area: (name, its path parameters)."""
    found = []

    def walk(patterns, ns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or ns)
            elif isinstance(entry, URLPattern) and ns == "settings":
                found.append((f"settings:{entry.name}", list(entry.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


@pytest.fixture
def every_settings_url(admin, agent, customer, billing_team, acme, invite):
    from tickets.automations import default_autoclose
    from tickets.mail import intake
    from tickets.mail.models import Mailbox
    from tickets.models import TicketField, Trigger

    mailbox = Mailbox.objects.create(address="sales@desk.test")
    ticket_field = TicketField.objects.create(key="order_number", label="Order number")
    rules = {"trigger": Trigger.objects.create(name="T", owner=admin), "automation": default_autoclose()}
    inbound = intake.receive(b"From: a@b.test\r\nSubject: Hi\r\n\r\nHello\r\n", door="stdin").inbound
    from tickets.tests.sla.support import policy, weekday_schedule

    schedule = weekday_schedule()
    sla_policy = policy(schedule=schedule)
    from tickets.services.macros import macro_create

    macro = macro_create(actor=admin, name="M", actions=[{"action": "add_tags", "value": ["m"]}], scope="everyone")
    from tickets.tests.hostile import webhook_world

    webhook, webhook_delivery = webhook_world()
    ids = {"pk": None, "user_id": agent.pk, "delivery_id": webhook_delivery.pk}
    urls = []
    for name, params in _settings_routes():
        target = {
            "person": customer,
            "team": billing_team,
            "organization": acme,
            "invitation": invite,
            "mailbox": mailbox,  # the email channel's section (tickets.mail.settings)
            "inbound": inbound,
            "ticket_field": ticket_field,  # the desk's ticket fields (tickets.custom_fields_settings)
            "sla_schedule": schedule,  # the SLA sections (tickets.sla.settings, tickets.sla.policy_settings)
            "sla_policy": sla_policy,
            **rules,  # tickets.rule_settings
            "macro": macro,  # the shared macros (tickets.macro_settings)
            "webhook": webhook,  # outgoing webhooks (tickets.webhooks.settings_pages)
        }
        pk = next((obj.pk for key, obj in target.items() if name.startswith(f"settings:{key}")), None)
        kwargs = {p: (pk if p == "pk" else ids[p]) for p in params}
        urls.append(reverse(name, kwargs=kwargs))
    return urls


def test_the_route_list_covers_every_section():
    names = {name for name, _ in _settings_routes()}
    assert {section.url_name for section in SECTIONS} <= names
    # The index and 66 pages (5 of them the mailboxes section, 1 the shared views, 4 the ticket fields,
    # 6 the SLA sections, 12 the triggers and automations, 5 the shared macros, 9 the webhooks, 2 a
    # person's export and erasure, 2 the data retention): each is checked below.
    assert len(names) == 67


@pytest.mark.parametrize("persona", ["customer", "agent", "team_agent"])
def test_everyone_but_admins_gets_404_on_every_settings_url(request, client, persona, every_settings_url):
    client.force_login(request.getfixturevalue(persona))
    for url in every_settings_url:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "role": "admin"}).status_code == 404, url
    assert Team.objects.filter(name="x").count() == 0


def test_signed_out_people_are_sent_to_sign_in(client, every_settings_url):
    for url in every_settings_url:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_admins_open_every_settings_page(admin_client, every_settings_url):
    for url in every_settings_url:
        response = admin_client.get(url)
        assert response.status_code in (200, 302, 405), url
        if response.status_code == 200:
            html = response.content.decode()
            assert 'aria-label="Settings sections"' in html and 'href="/settings/"' in html


def test_the_main_navigation_shows_settings_to_admins_only(client, admin, agent):
    client.force_login(agent)
    assert "/settings/" not in client.get("/accounts/profile/").content.decode()
    client.force_login(admin)
    assert 'href="/settings/"' in client.get("/accounts/profile/").content.decode()
    html = client.get("/settings/people/").content.decode()
    assert re.search(r'href="/settings/" aria-current="page"', html)
    assert 'href="/settings/people/" aria-current="page"' in html
    assert client.get("/settings/").url == "/settings/people/"


def test_a_section_is_one_line(settings):
    """The registry: a registered section appears in the side navigation, before the audit log."""
    before = list(SECTIONS)
    try:
        register(Section("canned", "Canned", "settings:teams", "accounts.settings_pages.teams"))
        assert [s.slug for s in SECTIONS][-2:] == ["canned", "audit"]
        with pytest.raises(ValueError):
            register(Section("canned", "Canned", "settings:teams", "accounts.settings_pages.teams"))
    finally:
        SECTIONS[:] = before


# --- people -------------------------------------------------------------------------------------


def test_people_list_searches_and_filters(admin_client, customer, agent, team_agent, acme):
    html = admin_client.get("/settings/people/?q=ada").content.decode()
    assert "ada@acme.test" in html and "alice@desk.test" not in html
    html = admin_client.get(f"/settings/people/?role=agent&organization={acme.pk}").content.decode()
    assert "0 people" in html
    html = admin_client.get("/settings/people/?role=agent").content.decode()
    assert "alice@desk.test" in html and "tom@desk.test" in html and "ada@acme.test" not in html
    assert "Billing" in html  # Tom's team
    bad = admin_client.get("/settings/people/?role=wizard&organization=abc&page=9999")
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def _grow_people(n: int, start: int, acme: Organization, team: Team) -> None:
    people = User.objects.bulk_create(
        [
            User(
                email=f"p{start + i}@desk.test",
                name=f"Person {start + i:03}",
                role=Role.AGENT,
                organization=acme if i % 2 else None,
            )
            for i in range(n)
        ]
    )
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=team.group_id) for u in people])
    Team.objects.bulk_create(
        [Team(name=f"Team {start + i}", group=Group.objects.create(name=f"Team: {start + i}")) for i in range(n)]
    )
    Invite.objects.bulk_create([Invite(email=f"inv{start + i}@desk.test", role=Role.AGENT) for i in range(n)])


def _queries(client, url: str) -> int:
    client.get(url)  # warm the process-wide caches (content types) first
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/settings/people/",
        "/settings/people/?q=person&role=agent",
        "/settings/teams/",
        "/settings/teams/{team}/",
        "/settings/organizations/",
        "/settings/organizations/{org}/",
        "/settings/invitations/",
        "/settings/audit/",
    ],
)
def test_query_budget_does_not_grow_with_rows(admin_client, admin, acme, billing_team, url):
    url = url.format(team=billing_team.pk, org=acme.pk)

    def grow(n: int, start: int) -> None:
        _grow_people(n, start, acme, billing_team)
        for i in range(n):  # audit entries
            admin_client.post(
                f"/settings/teams/{billing_team.pk}/", {"name": "Billing", "description": f"d{start + i}"}
            )

    grow(3, 0)
    few = _queries(admin_client, url)
    grow(40, 100)
    many = _queries(admin_client, url)
    assert few == many, f"{url}: {few} queries with few rows, {many} with many"
    assert few <= 14, f"{url}: {few} queries"


def _person_form(user: User, **changes) -> dict:
    data = {
        "name": user.name,
        "role": user.role,
        "ticket_scope": user.ticket_scope,
        "organization": user.organization_id or "",
        "teams": [t.pk for t in user.teams],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_removing_an_agent_from_a_team_takes_that_teams_tickets_away(
    admin_client, admin, team_agent, tech_team, ticket
):
    assert permissions.can(User.objects.get(pk=team_agent.pk), permissions.Action.VIEW, ticket)
    response = admin_client.post(
        f"/settings/people/{team_agent.pk}/", _person_form(team_agent, teams=[tech_team.pk], name="Tom B.")
    )
    assert response.status_code == 302
    tom = User.objects.get(pk=team_agent.pk)
    assert tom.name == "Tom B." and [t.name for t in tom.teams] == ["Technical"]
    assert not permissions.can(tom, permissions.Action.VIEW, ticket)
    assert not permissions.visible_tickets(tom).filter(pk=ticket.pk).exists()
    [entry] = _entries(tom)
    assert entry.action_flag == CHANGE and entry.user_id == admin.pk
    assert _values(entry) == [["Name", "Tom Billing", "Tom B."], ["Teams", "Billing", "Technical"]]
    # The back office's history reads the same entry in its own words.
    assert entry.get_change_message() == "Changed Name and Teams."
    history = admin_client.get(f"/admin/accounts/user/{tom.pk}/history/").content.decode()
    assert "Changed Name and Teams." in history


def test_role_and_scope_change_follow_to_ticket_access(admin_client, agent, ticket, tech_team):
    assert permissions.can(User.objects.get(pk=agent.pk), permissions.Action.VIEW, ticket)
    admin_client.post(
        f"/settings/people/{agent.pk}/", _person_form(agent, ticket_scope=TicketScope.TEAMS, teams=[tech_team.pk])
    )
    alice = User.objects.get(pk=agent.pk)
    assert alice.ticket_scope == TicketScope.TEAMS and not permissions.can(alice, permissions.Action.VIEW, ticket)
    admin_client.post(f"/settings/people/{agent.pk}/", _person_form(alice, role=Role.CUSTOMER, teams=[]))
    alice = User.objects.get(pk=agent.pk)
    assert alice.role == Role.CUSTOMER and list(alice.teams) == []
    assert not permissions.works_tickets(alice)
    assert ["Role", "Agent", "Customer"] in _values(_entries(alice)[-1])


def test_bad_input_is_a_form_error_and_changes_nothing(admin_client, customer, billing_team):
    response = admin_client.post(
        f"/settings/people/{customer.pk}/", _person_form(customer, name="", teams=[billing_team.pk])
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Customers cannot be members of agent teams." in html
    response = admin_client.post(f"/settings/people/{customer.pk}/", _person_form(customer, role="wizard"))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert User.objects.get(pk=customer.pk).name == "Ada Customer" and _entries(customer) == []


def test_demoting_an_admin_asks_first(admin_client, admin):
    other = services.user_create(email="root2@desk.test", name="Rita Admin", role=Role.ADMIN)
    form = _person_form(other, role=Role.AGENT)
    page = admin_client.post(f"/settings/people/{other.pk}/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Take the admin role from Rita Admin?" in html and 'name="confirmed" value="1"' in html
    assert User.objects.get(pk=other.pk).role == Role.ADMIN  # nothing yet
    response = admin_client.post(f"/settings/people/{other.pk}/", {**form, "confirmed": "1"})
    assert response.status_code == 302
    rita = User.objects.get(pk=other.pk)
    assert rita.role == Role.AGENT and not rita.is_staff and not rita.is_superuser
    assert ["Role", "Admin", "Agent"] in _values(_entries(rita)[-1])
    rita_client = Client()
    rita_client.force_login(rita)
    assert rita_client.get("/settings/people/").status_code == 404


def test_nobody_changes_their_own_role(admin_client, admin):
    services.user_create(email="root2@desk.test", name="Rita Admin", role=Role.ADMIN)
    form = {**_person_form(admin, role=Role.AGENT), "confirmed": "1"}
    response = admin_client.post(f"/settings/people/{admin.pk}/", form)
    assert response.status_code == 400
    assert "You cannot change your own role. Ask another admin." in response.content.decode()
    assert User.objects.get(pk=admin.pk).role == Role.ADMIN and _entries(admin) == []


def test_the_last_active_admin_stays_an_admin(admin):
    with pytest.raises(ValidationError) as refused:
        services.user_set_role(user=admin, role=Role.AGENT)
    assert "last active admin" in str(refused.value)
    other = services.user_create(email="root2@desk.test", name="Rita Admin", role=Role.ADMIN)
    services.user_set_active(actor=admin, user=other, active=False)
    with pytest.raises(ValidationError):  # a deactivated admin does not count
        services.user_set_role(user=admin, role=Role.AGENT)
    services.user_set_active(actor=admin, user=other, active=True)
    services.user_set_role(user=admin, role=Role.AGENT)  # now there is another
    assert User.objects.get(pk=admin.pk).role == Role.AGENT


def test_deactivation_asks_then_signs_the_person_out_everywhere(admin_client, admin, agent):
    token = services.api_token_get_or_create(user=agent)
    alice = Client()
    alice.force_login(agent)
    assert alice.get("/agent/").status_code == 200
    page = admin_client.get(f"/settings/people/{agent.pk}/active/")
    html = page.content.decode()
    assert page.status_code == 200 and "Deactivate Alice Agent?" in html and "Yes, deactivate" in html
    assert User.objects.get(pk=agent.pk).is_active
    response = admin_client.post(f"/settings/people/{agent.pk}/active/")
    assert response.status_code == 302
    assert not User.objects.get(pk=agent.pk).is_active
    assert alice.get("/agent/").status_code == 302  # to the sign-in page
    assert not Token.objects.filter(key=token.key).exists()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401
    assert ["Active", "Yes", "No"] in _values(_entries(agent)[-1])
    # and back
    assert "Reactivate Alice Agent?" in admin_client.get(f"/settings/people/{agent.pk}/active/").content.decode()
    admin_client.post(f"/settings/people/{agent.pk}/active/")
    assert User.objects.get(pk=agent.pk).is_active
    assert ["Active", "No", "Yes"] in _values(_entries(agent)[-1])
    # Reactivated, the browser that was signed in before stays signed out; a new sign-in works.
    assert alice.get("/agent/").status_code == 302
    again = Client()
    again.force_login(User.objects.get(pk=agent.pk))
    assert again.get("/agent/").status_code == 200
    assert admin_client.get("/settings/people/").status_code == 200  # the admin's own session is untouched


def test_sessions_from_before_the_generation_field_stay_valid(agent):
    """A person never deactivated keeps Django's own session hash, so deploying the field signs
    nobody out."""
    from django.contrib.auth.base_user import AbstractBaseUser

    assert agent.session_generation == 0
    assert agent.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(agent)
    agent.end_all_sessions()
    assert agent.get_session_auth_hash() != AbstractBaseUser._get_session_auth_hash(agent)


def test_nobody_deactivates_themselves(admin_client, admin):
    page = admin_client.get(f"/settings/people/{admin.pk}/active/").content.decode()
    assert "You cannot deactivate your own account." in page and "Yes, deactivate" not in page
    response = admin_client.post(f"/settings/people/{admin.pk}/active/", follow=True)
    assert "You cannot deactivate your own account." in response.content.decode()
    assert User.objects.get(pk=admin.pk).is_active and _entries(admin) == []


def test_changes_are_post_only_with_csrf(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(f"/settings/people/{admin.pk}/active/").status_code == 403
    assert client.get("/settings/teams/1/members/").status_code == 405


# --- teams --------------------------------------------------------------------------------------


def test_team_create_rename_and_members(admin_client, admin, agent, team_agent, billing_team, ticket):
    response = admin_client.post("/settings/teams/new/", {"name": "Returns", "description": "Parcels"})
    team = Team.objects.get(name="Returns")
    assert response.status_code == 302 and response.url == f"/settings/teams/{team.pk}/"
    [created] = _entries(team)
    assert created.action_flag == ADDITION and ["Name", "", "Returns"] in _values(created)
    assert admin_client.post("/settings/teams/new/", {"name": "returns"}).status_code == 400  # taken
    admin_client.post(f"/settings/teams/{team.pk}/", {"name": "Refunds", "description": "Parcels"})
    team.refresh_from_db()
    assert team.name == "Refunds" and team.group.name == "Team: Refunds"
    assert _values(_entries(team)[-1]) == [["Name", "Returns", "Refunds"]]
    # A new "Returns" team is possible again (its group name is free).
    services.team_create(name="Returns")

    admin_client.post(f"/settings/teams/{team.pk}/members/", {"user": agent.pk})
    assert list(team.members) == [agent]
    assert json.loads(_entries(team)[-1].change_message) == [{"added": {"name": "member", "object": str(agent)}}]
    assert _entries(team)[-1].get_change_message() == f"Added member “{agent}”."
    bad = admin_client.post(f"/settings/teams/{team.pk}/members/", {"user": "abc"})
    assert bad.status_code == 400

    # Removing Tom from Billing takes Billing's ticket away from him.
    assert permissions.can(User.objects.get(pk=team_agent.pk), permissions.Action.VIEW, ticket)
    response = admin_client.post(f"/settings/teams/{billing_team.pk}/members/{team_agent.pk}/remove/")
    assert response.status_code == 302
    assert not permissions.can(User.objects.get(pk=team_agent.pk), permissions.Action.VIEW, ticket)
    assert json.loads(_entries(billing_team)[-1].change_message) == [
        {"deleted": {"name": "member", "object": str(team_agent)}}
    ]


def test_customers_cannot_join_a_team(admin_client, customer, billing_team):
    response = admin_client.post(f"/settings/teams/{billing_team.pk}/members/", {"user": customer.pk})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert customer not in billing_team.members


def test_a_team_with_tickets_cannot_be_deleted(admin_client, billing_team, ticket):
    page = admin_client.get(f"/settings/teams/{billing_team.pk}/delete/").content.decode()
    assert "still has 1 ticket" in page and "Yes, delete the team" not in page
    assert f"/agent/?view=all&amp;team={billing_team.pk}" in page
    response = admin_client.post(f"/settings/teams/{billing_team.pk}/delete/", {"confirmed": "1"})
    assert response.status_code == 409 and Team.objects.filter(pk=billing_team.pk).exists()
    assert _entries(billing_team) == []


def test_deleting_a_team_asks_then_deletes(admin_client, admin, tech_team, other_team_agent):
    page = admin_client.get(f"/settings/teams/{tech_team.pk}/delete/").content.decode()
    assert "Delete team Technical?" in page and "Its 1 member stays an agent" in page
    group_id = tech_team.group_id
    response = admin_client.post(f"/settings/teams/{tech_team.pk}/delete/", {"confirmed": "1"})
    assert response.status_code == 302 and response.url == "/settings/teams/"
    assert not Team.objects.filter(pk=tech_team.pk).exists() and not Group.objects.filter(pk=group_id).exists()
    assert User.objects.get(pk=other_team_agent.pk).is_active
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.object_repr == "Technical" and entry.user_id == admin.pk


# --- organizations ------------------------------------------------------------------------------


def test_organization_sharing_and_members_follow_to_ticket_access(
    admin_client, acme, customer, org_member, other_customer, ticket
):
    bob = User.objects.get(pk=org_member.pk)
    assert permissions.can(bob, permissions.Action.VIEW, ticket)
    admin_client.post(f"/settings/organizations/{acme.pk}/", {"name": "Acme Corporation"})  # sharing off
    acme.refresh_from_db()
    assert acme.name == "Acme Corporation" and not acme.share_tickets
    assert not permissions.can(User.objects.get(pk=bob.pk), permissions.Action.VIEW, ticket)
    assert _values(_entries(acme)[-1]) == [["Name", "Acme Corp", "Acme Corporation"], ["Shares tickets", "Yes", "No"]]
    admin_client.post(f"/settings/organizations/{acme.pk}/", {"name": "Acme Corporation", "share_tickets": "on"})
    assert permissions.can(User.objects.get(pk=bob.pk), permissions.Action.VIEW, ticket)
    # Eve joins Acme by email, Bob leaves it.
    response = admin_client.post(f"/settings/organizations/{acme.pk}/members/", {"email": "EVE@globex.test"})
    assert response.status_code == 302
    eve = User.objects.get(pk=other_customer.pk)
    assert eve.organization_id == acme.pk and permissions.can(eve, permissions.Action.VIEW, ticket)
    assert ["Organization", "Globex", "Acme Corporation"] in _values(_entries(eve)[-1])
    admin_client.post(f"/settings/organizations/{acme.pk}/members/{bob.pk}/remove/")
    assert not permissions.can(User.objects.get(pk=bob.pk), permissions.Action.VIEW, ticket)
    unknown = admin_client.post(f"/settings/organizations/{acme.pk}/members/", {"email": "nobody@x.test"})
    assert unknown.status_code == 400 and "Nobody has this email address" in unknown.content.decode()


def test_deleting_an_organization_keeps_members_and_tickets(admin_client, admin, acme, customer, org_member, ticket):
    page = admin_client.get(f"/settings/organizations/{acme.pk}/delete/").content.decode()
    assert "Its 2 members keep their accounts" in page and "Its 1 ticket stays" in page
    assert "no longer see each other" in page
    response = admin_client.post(f"/settings/organizations/{acme.pk}/delete/", {"confirmed": "1"})
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=acme.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).organization_id is None
    assert User.objects.get(pk=customer.pk).organization_id is None
    assert permissions.can(User.objects.get(pk=customer.pk), permissions.Action.VIEW, ticket)  # still the requester's
    assert not permissions.can(User.objects.get(pk=org_member.pk), permissions.Action.VIEW, ticket)
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.object_repr == "Acme Corp" and ["Shares tickets", "Yes", ""] in _values(entry)


# --- invitations --------------------------------------------------------------------------------


def test_invite_resend_and_revoke(admin_client, admin, billing_team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/settings/invitations/new/", {"email": "Sam@Desk.test", "role": "agent", "team": billing_team.pk}
        )
    assert response.status_code == 302
    invite = Invite.objects.get()
    assert invite.email == "sam@desk.test" and invite.invited_by == admin and invite.team == billing_team
    assert len(mail.outbox) == 1 and invite.token in mail.outbox[0].body
    assert _entries(invite)[0].action_flag == ADDITION
    listing = admin_client.get("/settings/invitations/?state=pending").content.decode()
    assert "sam@desk.test" in listing and "Waiting" in listing
    assert "sam@desk.test" not in admin_client.get("/settings/invitations/?state=accepted").content.decode()
    taken = admin_client.post("/settings/invitations/new/", {"email": "root@desk.test", "role": "agent"})
    assert taken.status_code == 400 and "already exists" in taken.content.decode()

    Invite.objects.filter(pk=invite.pk).update(expires_at=invite.created_at)  # expired
    assert "sam@desk.test" in admin_client.get("/settings/invitations/?state=expired").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/invitations/{invite.pk}/resend/")
    invite.refresh_from_db()
    assert not invite.is_expired and len(mail.outbox) == 2
    assert [v[0] for v in _values(_entries(invite)[-1])] == ["Expires"]

    page = admin_client.get(f"/settings/invitations/{invite.pk}/revoke/").content.decode()
    assert "Revoke the invitation for sam@desk.test?" in page
    admin_client.post(f"/settings/invitations/{invite.pk}/revoke/", {"confirmed": "1"})
    assert not Invite.objects.filter(pk=invite.pk).exists()
    assert Client().get(f"/accounts/invite/{invite.token}/").status_code == 404
    assert LogEntry.objects.filter(action_flag=DELETION, object_repr__contains="sam@desk.test").exists()


def test_an_accepted_invitation_cannot_be_revoked_or_resent(admin_client, invite):
    services.invite_accept(token=invite.token, name="Nina", password="a-long-and-unusual-passphrase-42")
    page = admin_client.get(f"/settings/invitations/{invite.pk}/revoke/").content.decode()
    assert "already been accepted" in page and "Yes, revoke" not in page
    admin_client.post(f"/settings/invitations/{invite.pk}/revoke/")
    admin_client.post(f"/settings/invitations/{invite.pk}/resend/")
    assert Invite.objects.filter(pk=invite.pk, accepted_at__isnull=False).exists()
    assert "Accepted" in admin_client.get("/settings/invitations/").content.decode()


# --- the audit log ------------------------------------------------------------------------------


def test_the_audit_log_filters_by_actor_and_object(admin_client, admin, agent, billing_team, acme):
    admin_client.post(f"/settings/people/{agent.pk}/", _person_form(agent, name="Alice A."))
    admin_client.post(f"/settings/teams/{billing_team.pk}/", {"name": "Billing EU", "description": ""})
    other = services.user_create(email="root2@desk.test", name="Rita Admin", role=Role.ADMIN)
    rita = Client()
    rita.force_login(other)
    rita.post(f"/settings/organizations/{acme.pk}/", {"name": "Acme Corp", "share_tickets": ""})

    html = admin_client.get("/settings/audit/").content.decode()
    assert "Alice A." in html and "Billing EU" in html and "Rita Admin" in html
    assert "<del>Billing</del>" in html and "<ins>Billing EU</ins>" in html
    html = admin_client.get(f"/settings/audit/?actor={other.pk}").content.decode()
    assert "Shares tickets" in html and "Billing EU" not in html
    html = admin_client.get("/settings/audit/?type=team").content.decode()
    assert "Billing EU" in html and "Alice A." not in html
    html = admin_client.get(f"/settings/audit/?type=person&object={agent.pk}").content.decode()
    assert "Alice A." in html and "Billing EU" not in html
    assert admin_client.get("/settings/audit/?actor=abc&type=x&object=-1&page=zz").status_code == 200


def test_back_office_changes_show_in_the_audit_log(admin_client, agent):
    response = admin_client.post(
        f"/admin/accounts/user/{agent.pk}/change/",
        {"email": agent.email, "name": "Alice Changed", "role": "agent", "ticket_scope": "all", "is_active": "on"},
    )
    assert response.status_code == 302
    html = admin_client.get("/settings/audit/?type=person").content.decode()
    assert "Alice Changed" in html and "Changed Name." in html


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    """The active admins' rows are locked while the last-admin rule is checked: of two admins
    taking each other's role at the same instant, exactly one succeeds."""
    from tickets.tests.test_concurrency import _run_together

    first = services.user_create(email="a1@desk.test", name="Ann Admin", role=Role.ADMIN)
    second = services.user_create(email="a2@desk.test", name="Bea Admin", role=Role.ADMIN)

    def demote(actor_id: int, target_id: int) -> str:
        target = User.objects.get(pk=target_id)
        try:
            services.user_update(
                actor=User.objects.get(pk=actor_id),
                user=target,
                name=target.name,
                role=Role.AGENT,
                ticket_scope=TicketScope.ALL,
                organization=None,
                teams=[],
            )
        except (ValidationError, PermissionDenied):  # the last admin, or no longer an admin oneself
            return "refused"
        return "done"

    results = _run_together(demote, [(first.pk, second.pk), (second.pk, first.pk)])
    assert sorted(results) == ["done", "refused"], results
    assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1
