"""One test per named rule of the permission layer (accounts.permissions, tickets.permissions),
each with the people it allows and the outsiders it refuses — including the case the rules exist
for: an agent who sees a ticket only as its requester (their own ticket, routed to another team)
is a customer of that ticket."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from accounts import permissions as people
from accounts import services as account_services
from tickets import live, permissions, selectors, services
from tickets.models import Message, Status

PERSONAS = ["customer", "org_member", "other_customer", "agent", "team_agent", "other_team_agent", "admin"]


@pytest.fixture
def deactivated(db):
    user = account_services.user_create(email="gone@desk.test", name="Gone Agent", password="x" * 20, role="agent")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.fixture
def own_ticket(team_agent, admin, tech_team):
    """Tom (Billing) files a ticket of his own, and an admin routes it to Technical: Tom sees it
    as its requester, and must not see its internal side."""
    created = services.ticket_create(
        actor=team_agent, subject="My laptop will not boot", description="It shows a black screen since this morning."
    )
    return services.ticket_update(actor=admin, ticket=created, team=tech_team)


def _who(request, names):
    return {name: request.getfixturevalue(name) for name in names}


# --- accounts.permissions: roles ---------------------------------------------------------------------


def test_works_tickets_administers_uses_portal(request, deactivated):
    people_ = _who(request, PERSONAS)
    assert {n for n, u in people_.items() if people.works_tickets(u)} == {
        "agent",
        "team_agent",
        "other_team_agent",
        "admin",
    }
    assert {n for n, u in people_.items() if people.administers(u)} == {"admin"}
    assert {n for n, u in people_.items() if people.can_manage_desk(u)} == {"admin"}
    assert {n for n, u in people_.items() if people.uses_portal(u)} == {"customer", "org_member", "other_customer"}
    for outsider in (deactivated, AnonymousUser(), None):
        assert not people.works_tickets(outsider)
        assert not people.administers(outsider)
        assert not people.uses_portal(outsider)
        assert not people.can_manage_desk(outsider)


def test_data_protection_rules(request, deactivated):
    """Admins export and erase anyone; customers download their own export; a person's export
    carries internal content (their own notes) only for the support side, whatever signs in."""
    people_ = _who(request, PERSONAS)
    assert {n for n, u in people_.items() if people.may_export_people(u)} == {"admin"}
    assert {n for n, u in people_.items() if people.may_erase_people(u)} == {"admin"}
    assert {n for n, u in people_.items() if people.may_export_own_data(u)} == {
        "customer",
        "org_member",
        "other_customer",
    }
    assert {n for n, u in people_.items() if permissions.export_includes_desk_work(u)} == {
        "agent",
        "team_agent",
        "other_team_agent",
        "admin",
    }
    assert permissions.export_includes_desk_work(deactivated)  # the role, not the sign-in: an erased agent's notes
    for outsider in (deactivated, AnonymousUser(), None):
        assert not people.may_export_people(outsider)
        assert not people.may_erase_people(outsider)
        assert not people.may_export_own_data(outsider)


def test_staff_role_team_membership_and_staff_list(agent, admin, customer, deactivated):
    assert people.holds_staff_role(deactivated) and people.may_join_team(deactivated)  # role, not sign-in
    assert people.may_join_team(agent) and people.may_join_team(admin)
    assert not people.may_join_team(customer)
    assert set(people.staff_members()) == {agent, admin}
    assert set(people.staff_members(active=False)) == {agent, admin, deactivated}


def test_home_and_layout_follow_the_role(agent, customer, admin):
    assert people.home_url_name(agent) == "agent:queue"
    assert people.home_url_name(customer) == "portal:my_tickets"
    request = RequestFactory().get("/")
    request.user = admin
    assert people.layout(request) == {
        "works_tickets": True, "administers": True, "uses_portal": False, "manages_desk": True,
    }  # fmt: skip
    request.user = agent
    assert people.layout(request)["manages_desk"] is False
    request.user = customer
    assert people.layout(request) == {
        "works_tickets": False, "administers": False, "uses_portal": True, "manages_desk": False,
    }  # fmt: skip
    request.user = AnonymousUser()
    assert people.layout(request) == {
        "works_tickets": False, "administers": False, "uses_portal": False, "manages_desk": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("permission", "method", "allowed"),
    [
        (people.IsStaff, "GET", {"agent", "team_agent", "other_team_agent", "admin"}),
        (people.IsAdministrator, "GET", {"admin"}),
        (people.DirectoryReadAdminsWrite, "GET", {"agent", "team_agent", "other_team_agent", "admin"}),
        (people.DirectoryReadAdminsWrite, "POST", {"admin"}),
    ],
)
def test_api_permission_classes(request, permission, method, allowed):
    factory = RequestFactory()
    for name, user in _who(request, PERSONAS).items():
        http = factory.generic(method, "/api/v1/users/")
        http.user = user
        assert permission().has_permission(http, None) is (name in allowed), (permission, method, name)


# --- tickets.permissions: the conversation -----------------------------------------------------------


def test_internal_visible(request, ticket, own_ticket, team_agent, other_team_agent):
    by_persona = {name: permissions.internal_visible(u, ticket) for name, u in _who(request, PERSONAS).items()}
    assert {n for n, ok in by_persona.items() if ok} == {"agent", "team_agent", "admin"}
    assert not permissions.internal_visible(team_agent, own_ticket)  # their own ticket, another team's
    assert permissions.internal_visible(other_team_agent, own_ticket)  # the team that works it


def test_replies_for_support(ticket, own_ticket, agent, customer, team_agent, other_team_agent):
    assert permissions.replies_for_support(agent, ticket)
    assert not permissions.replies_for_support(customer, ticket)
    assert not permissions.replies_for_support(team_agent, own_ticket)  # writing as the requester
    assert permissions.replies_for_support(other_team_agent, own_ticket)
    assert not permissions.replies_for_support(None, ticket)


def test_counts_as_staff_activity(agent, customer, admin):
    assert permissions.counts_as_staff_activity(agent) and permissions.counts_as_staff_activity(admin)
    assert not permissions.counts_as_staff_activity(customer)
    assert not permissions.counts_as_staff_activity(None)


def test_may_attach_to(ticket, customer, org_member, agent):
    reply = services.message_add(actor=customer, ticket=ticket, body="Here is more detail.")
    assert permissions.may_attach_to(customer, reply)  # the author
    assert permissions.may_attach_to(agent, reply)  # staff
    assert not permissions.may_attach_to(org_member, reply)


def test_refused_create_fields(customer, agent, admin):
    everything = ["subject", "requester", "assignee", "team", "status", "channel", "priority"]
    assert permissions.refused_create_fields(customer, everything) == list(permissions.STAFF_ONLY_CREATE_FIELDS)
    assert permissions.refused_create_fields(customer, ["subject", "priority"]) == []
    assert permissions.refused_create_fields(agent, everything) == []
    assert permissions.refused_create_fields(admin, everything) == []


def test_the_service_and_the_api_refuse_the_same_create_fields(customer, client):
    """One list: a customer may not choose the channel through the service either (it used to be
    refused by the API only)."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.ticket_create(
            actor=customer, subject="Printer offline", description="The office printer is offline.", channel="agent"
        )
    assert refused.value.message_dict == {"channel": ["Only agents can set the channel of a new ticket."]}
    client.force_login(customer)
    response = client.post(
        "/api/v1/tickets/",
        {"subject": "Printer offline", "description": "The office printer is offline.", "channel": "agent"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["channel"] == ["Only agents can set the channel of a new ticket."]


# --- tickets.permissions: working tickets ------------------------------------------------------------


def test_may_claim_and_change_in_bulk(request):
    for name, user in _who(request, PERSONAS).items():
        staff = name in {"agent", "team_agent", "other_team_agent", "admin"}
        assert permissions.may_claim_tickets(user) is staff
        assert permissions.may_change_in_bulk(user) is staff


def test_may_force_claim(ticket, agent, team_agent, admin, own_ticket):
    services.ticket_claim(actor=agent, ticket=ticket)
    assert permissions.may_force_claim(admin, ticket)
    assert not permissions.may_force_claim(team_agent, ticket)
    assert not permissions.may_force_claim(agent, ticket)


def test_can_work_team_and_agents_who_can_work(agent, team_agent, other_team_agent, admin, billing_team, customer):
    assert permissions.can_work_team(team_agent, billing_team)
    assert not permissions.can_work_team(other_team_agent, billing_team)
    assert not permissions.can_work_team(team_agent, None)  # unrouted tickets: all-ticket agents only
    assert permissions.can_work_team(agent, None) and permissions.can_work_team(admin, billing_team)
    assert not permissions.can_work_team(customer, billing_team)
    assert set(permissions.agents_who_can_work(billing_team)) == {agent, team_agent, admin}
    assert set(permissions.agents_who_can_work(None)) == {agent, admin}


def test_may_collaborate(customer, agent, admin):
    assert permissions.may_collaborate(customer)
    assert not permissions.may_collaborate(agent) and not permissions.may_collaborate(admin)


def test_may_use_ticket_admin(request):
    assert {n for n, u in _who(request, PERSONAS).items() if permissions.may_use_ticket_admin(u)} == {"admin"}


def test_ticket_path_for(agent, customer):
    assert permissions.ticket_path_for(agent, 7) == "/agent/tickets/7/"
    assert permissions.ticket_path_for(customer, 7) == "/portal/tickets/7/"


def test_statistics_visibility(agent, team_agent, other_team_agent, admin, customer, billing_team, tech_team):
    assert set(permissions.stats_visible_agents(admin)) == {agent, team_agent, other_team_agent, admin}
    assert set(permissions.stats_visible_agents(team_agent)) == {team_agent}
    assert set(permissions.stats_visible_teams(admin)) == {billing_team, tech_team}
    assert set(permissions.stats_visible_teams(team_agent)) == {billing_team}
    # An agent who works every ticket (in no team): their own row, every team's totals.
    assert set(permissions.stats_visible_agents(agent)) == {agent}
    assert set(permissions.stats_visible_teams(agent)) == {billing_team, tech_team}
    assert [permissions.stats_sees_every_team(p) for p in (admin, agent, team_agent, customer)] == [
        True,
        True,
        False,
        False,
    ]
    assert not permissions.stats_visible_agents(customer).exists()
    assert not permissions.stats_visible_teams(customer).exists()


# --- the internal-visibility fix, where it showed ----------------------------------------------------


def test_live_stream_tells_a_requesting_agent_nothing_of_notes(own_ticket, ticket, team_agent, other_team_agent):
    start = live.latest_event_id()
    services.message_add(actor=other_team_agent, ticket=own_ticket, body="Checked the asset tag.", internal=True)
    services.message_add(actor=other_team_agent, ticket=own_ticket, body="We are on it.")
    kinds = [c["kind"] for c in live.changes_since(team_agent, start) if c["ticket"] == own_ticket.pk]
    assert kinds == ["message_added"]
    # On the tickets Tom works, notes still reach him.
    services.message_add(actor=team_agent, ticket=ticket, body="Billing-side note.", internal=True)
    assert "note_added" in [c["kind"] for c in live.changes_since(team_agent, start) if c["ticket"] == ticket.pk]
    # The team that works his ticket hears of everything.
    assert [c["kind"] for c in live.changes_since(other_team_agent, start) if c["ticket"] == own_ticket.pk] == [
        "note_added",
        "message_added",
    ]


def test_stale_reply_warning_keeps_notes_from_a_requesting_agent(own_ticket, team_agent, other_team_agent, admin):
    seen = live.ticket_latest_event_id(own_ticket.pk, internal=False)
    services.message_add(actor=other_team_agent, ticket=own_ticket, body="Internal: reimage it.", internal=True)
    assert live.changed_since_seen(team_agent, own_ticket, seen) == []
    assert live.changed_since_seen(admin, own_ticket, seen) == ["Tina Technical added an internal note."]


def test_agent_page_seen_id_gives_no_note_away(client, own_ticket, team_agent, other_team_agent):
    public_before = live.ticket_latest_event_id(own_ticket.pk, internal=False)
    services.message_add(actor=other_team_agent, ticket=own_ticket, body="Internal only.", internal=True)
    client.force_login(team_agent)
    page = client.get(f"/agent/tickets/{own_ticket.pk}/")
    assert page.status_code == 200
    assert page.context["seen_event_id"] == public_before
    assert "Internal only." not in page.content.decode()


def test_message_count_counts_notes_only_where_they_may_be_read(client, own_ticket, team_agent, other_team_agent):
    services.message_add(actor=other_team_agent, ticket=own_ticket, body="A note Tom must not count.", internal=True)
    assert Message.objects.filter(ticket=own_ticket).count() == 2
    client.force_login(team_agent)
    mine = client.get(f"/api/v1/tickets/{own_ticket.pk}/").json()
    assert mine["message_count"] == 1
    client.force_login(other_team_agent)
    assert client.get(f"/api/v1/tickets/{own_ticket.pk}/").json()["message_count"] == 2


def test_a_requesting_agent_reply_reopens_like_a_customer_reply(own_ticket, team_agent, other_team_agent):
    """Tom answering on his own ticket is the requester's side: a pending ticket reopens and no
    first response is recorded."""
    services.ticket_change_status(actor=other_team_agent, ticket=own_ticket, status=Status.PENDING)
    services.message_add(actor=team_agent, ticket=own_ticket, body="Still black, I tried again.")
    own_ticket.refresh_from_db()
    assert own_ticket.status == Status.OPEN
    assert own_ticket.first_response_at is None
    assert selectors.ticket_get_for_user(team_agent, own_ticket.pk) == own_ticket


def test_access_profile_reads_own_rows_only_for_staff(customer, team_agent, ticket, own_ticket):
    """One query per request either way; a customer's (possibly thousands of) own-ticket rows are not
    read for a question only staff are asked (does a team agent see beyond their teams?)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk import memo
    from tickets.models import TicketUserPermission
    from tickets.permissions.levels import HOLDS_OWN_TICKETS, access_profile

    own_rows_table = TicketUserPermission._meta.db_table
    with memo.scope(), CaptureQueriesContext(connection) as customer_queries:
        assert HOLDS_OWN_TICKETS not in access_profile(customer)
        access_profile(customer)
    assert len(customer_queries) == 1
    assert own_rows_table not in customer_queries[0]["sql"]
    with memo.scope(), CaptureQueriesContext(connection) as agent_queries:
        assert HOLDS_OWN_TICKETS in access_profile(team_agent)  # Tom filed own_ticket
        assert permissions.sees_beyond_teams(team_agent)
    assert len(agent_queries) == 1


# --- the inverse: who may see a ticket (live streams wake only them) --------------------------------


def test_audience_is_visible_tickets_read_from_the_tickets_side(
    request, ticket, own_ticket, deactivated, other_customer, customer, admin, acme
):
    """For every person and ticket — a Billing ticket of an organization, an agent's own ticket in
    another team, a collaboration, an organization-shared ticket, a deactivated person — the
    audience of a ticket is exactly the people whose ``visible_tickets`` holds it."""
    shared_org = account_services.organization_set_sharing(organization=acme, share_tickets=True)
    assert shared_org.share_tickets
    collaboration = services.ticket_create(
        actor=other_customer, subject="Shared with a colleague", description="Please look at this with me."
    )
    services.collaborator_add(actor=admin, ticket=collaboration, email=customer.email)
    everyone = {**_who(request, PERSONAS), "deactivated": deactivated}
    ids = {user.pk: name for name, user in everyone.items()}
    for subject in (ticket, own_ticket, collaboration):
        expected = {
            name for name, user in everyone.items() if permissions.visible_tickets(user).filter(pk=subject.pk).exists()
        }
        assert {ids[pk] for pk in permissions.audience({subject.pk}, set(ids))} == expected, subject.subject
    # Several tickets at once: whoever sees any of them; nobody asked, nobody answered.
    both = permissions.audience({own_ticket.pk, collaboration.pk}, set(ids))
    assert {ids[pk] for pk in both} >= {"team_agent", "customer", "other_customer", "admin"}
    assert permissions.audience({ticket.pk}, set()) == set() and permissions.audience(set(), set(ids)) == set()


def test_who_sees_every_agents_statistics(request):
    seeing = {n for n, u in _who(request, PERSONAS).items() if permissions.stats_sees_everyone(u)}
    assert seeing == {"admin"}


def _profile_through_the_orm(user) -> frozenset[str]:
    """The access profile asked through the ORM: the oracle for the profile's written SQL."""
    from django.contrib.auth.models import Permission
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    from accounts.models import Team
    from accounts.permissions import holds_staff_role
    from tickets.models import TicketUserPermission
    from tickets.permissions.levels import HOLDS_OWN_TICKETS, TEAM_MARKER

    ticket_perms = Permission.objects.filter(content_type__app_label="tickets", content_type__model="ticket")
    found = set(ticket_perms.filter(user=user).values_list("codename", flat=True))
    found |= set(ticket_perms.filter(group__user=user).values_list("codename", flat=True))
    if holds_staff_role(user):
        if TicketUserPermission.objects.filter(user=user).exists():
            found.add(HOLDS_OWN_TICKETS)
        found |= set(
            Team.objects.filter(group__user=user)
            .annotate(marker=Concat(Value(TEAM_MARKER), Cast("pk", CharField()), output_field=CharField()))
            .values_list("marker", flat=True)
        )
    return frozenset(found)


def test_access_profile_is_what_the_orm_says_for_every_kind_of_person(
    customer, org_member, other_customer, agent, team_agent, other_team_agent, admin, ticket, own_ticket, tech_team
):
    from django.contrib.auth.models import Permission

    from tickets.permissions.levels import HOLDS_OWN_TICKETS, WORK, _read_profile

    account_services.team_add_member(team=tech_team, user=team_agent)  # two teams
    direct = Permission.objects.get(content_type__app_label="tickets", codename=WORK)
    org_member.user_permissions.add(direct)  # a model-level row held directly
    people = [customer, org_member, other_customer, agent, team_agent, other_team_agent, admin]
    profiles = {person.email: _read_profile(person) for person in people}
    assert profiles == {person.email: _profile_through_the_orm(person) for person in people}
    assert profiles["tom@desk.test"] >= {HOLDS_OWN_TICKETS, f"+team:{tech_team.pk}"}
    assert WORK in profiles["alice@desk.test"] and WORK in profiles["bob@acme.test"]
    assert profiles["ada@acme.test"] == frozenset()


def test_a_service_outside_a_request_reads_the_access_profile_once(agent, team_agent, ticket):
    """``helpdesk.memo.scoped``: a job or command calling a service with no request around it
    reads the actor's access profile once per call, not once per check (that a grant made inside a
    scope is seen by the checks after it is the next test)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    def profile_reads(captured) -> int:  # the profile's written query (levels._profile_sql)
        return sum(" p JOIN " in q["sql"] and "codename" in q["sql"] for q in captured)

    for actor in (agent, team_agent):
        actor = User.objects.get(pk=actor.pk)
        with CaptureQueriesContext(connection) as captured:
            services.message_add(actor=actor, ticket=ticket, body="Checked the invoice run.", internal=True)
        assert profile_reads(captured) == 1, actor.email
    # Outside a service nothing is remembered: two checks, two reads.
    fresh = User.objects.get(pk=agent.pk)
    with CaptureQueriesContext(connection) as captured:
        permissions.can(fresh, permissions.Action.VIEW, ticket)
        permissions.can(fresh, permissions.Action.VIEW, ticket)
    assert profile_reads(captured) == 2


def test_a_grant_inside_a_scope_is_seen_by_the_checks_after_it(ticket, other_customer, tech_team):
    """What a scope remembers (the access profile, the levels on a ticket) is forgotten by every
    grant and revoke (``tickets.permissions.grants``), so a service that changes access and then
    checks it, in one scope, answers from the new rows."""
    from helpdesk import memo
    from tickets.permissions import grants

    team_agent = account_services.user_create(
        email="tess@desk.test", name="Tess Tech", role="agent", ticket_scope="teams", teams=[tech_team]
    )

    def seen() -> tuple[bool, bool]:
        return (
            permissions.can(other_customer, permissions.Action.VIEW, ticket),
            permissions.can(team_agent, permissions.Action.VIEW, ticket),
        )

    with memo.scope():
        assert seen() == (False, False)  # both answers are remembered from here on
        grants.grant_collaborator(ticket, other_customer)
        assert seen() == (True, False)
        grants.grant_team(ticket, tech_team)
        assert seen() == (True, True)
        grants.revoke_collaborator(ticket, other_customer)
        assert seen() == (False, True)
        grants.revoke_team(ticket, tech_team)
        assert seen() == (False, False)


def test_a_persons_levels_on_a_ticket_are_what_the_orm_says(
    acme, customer, org_member, other_customer, agent, team_agent, other_team_agent, admin, ticket, own_ticket
):
    """The levels' written SQL (``access._levels_sql``) against the ORM's union, for every kind of
    person on a ticket of an organization that shares tickets, an agent's own ticket, and a
    collaboration: direct rows, rows through a team or an organization, and none."""
    from helpdesk import memo
    from tickets.models import TicketGroupPermission, TicketUserPermission
    from tickets.permissions.access import _levels_on

    account_services.organization_set_sharing(organization=acme, share_tickets=True)
    collaboration = services.ticket_create(
        actor=other_customer, subject="Shared with a colleague", description="Please look at this with me."
    )
    services.collaborator_add(actor=admin, ticket=collaboration, email=customer.email)

    def through_the_orm(user, subject) -> set[str]:
        direct = TicketUserPermission.objects.filter(user=user, content_object=subject)
        via_group = TicketGroupPermission.objects.filter(group__user=user, content_object=subject)
        return set(direct.values_list("permission__codename", flat=True)) | set(
            via_group.values_list("permission__codename", flat=True)
        )

    people = [customer, org_member, other_customer, agent, team_agent, other_team_agent, admin]
    held_somewhere = 0
    for subject in (ticket, own_ticket, collaboration):
        for person in people:
            with memo.scope():
                found = _levels_on(person, subject.pk)
            assert found == through_the_orm(person, subject), (person.email, subject.subject)
            held_somewhere += bool(found)
    assert held_somewhere >= 6  # requesters, collaborators, the organization, the teams


def test_getting_one_ticket_agrees_with_visible_tickets_for_every_person(
    request, ticket, own_ticket, deactivated, other_customer, customer, admin, acme
):
    """``get_ticket_or_404`` reads a ticket for someone who sees tickets one by one through their
    levels on it, and for everyone else through ``visible_tickets``: for every person and every
    kind of ticket (an organization's shared ticket, an agent's own ticket in another team, a
    collaboration, one nobody but its requester and team sees) both say the same."""
    from django.http import Http404

    from helpdesk import memo

    account_services.organization_set_sharing(organization=acme, share_tickets=True)
    collaboration = services.ticket_create(
        actor=other_customer, subject="Shared with a colleague", description="Please look at this with me."
    )
    services.collaborator_add(actor=admin, ticket=collaboration, email=customer.email)
    private = services.ticket_create(
        actor=other_customer, subject="Only mine and support's", description="Nobody else should read this."
    )
    everyone = {**_who(request, PERSONAS), "deactivated": deactivated}
    seen = 0
    for subject in (ticket, own_ticket, collaboration, private):
        for name, user in everyone.items():
            expected = permissions.visible_tickets(user).filter(pk=subject.pk).exists()
            with memo.scope():
                try:
                    got = permissions.get_ticket_or_404(user, subject.pk) == subject
                except Http404:
                    got = False
            assert got == expected, (name, subject.subject)
            seen += got
    assert 0 < seen < 4 * len(everyone)  # some see, some do not
