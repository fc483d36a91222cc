"""A team agent's tickets are read as ``team_id IN (their teams)`` (``permissions.access._in_teams``).

That is only right while a team's group holds ``work_ticket`` on exactly the tickets in the team.
These tests make every kind of change that moves a ticket between teams — through the services,
the bulk path, a generated desk — and check the invariant and that the fast filter gives the same
tickets as the permission rows it stands for.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import Role, Team, TicketScope, User
from helpdesk import memo
from tickets import permissions, services
from tickets.generate import generate
from tickets.models import Ticket, TicketGroupPermission
from tickets.permissions.access import _object_access
from tickets.permissions.levels import VIEW, WORK

pytestmark = pytest.mark.django_db


def _file(subject: str, team: Team | None) -> Ticket:
    """A ticket from a customer, routed to ``team`` by an admin as it is filed."""
    admin = User.objects.get(email="root@desk.test")  # the ``admin`` and ``customer`` fixtures
    requester = User.objects.get(email="ada@acme.test")
    return services.ticket_create(
        actor=admin, requester=requester, subject=subject, description="Something is wrong with my account.", team=team
    )


def _team_rows() -> set[tuple[int, int]]:
    """(ticket, team) for every ``work_ticket`` row a team's group holds."""
    team_of_group = dict(Team.objects.values_list("group_id", "pk"))
    rows = TicketGroupPermission.objects.filter(
        permission__codename=WORK, group_id__in=list(team_of_group)
    ).values_list("content_object_id", "group_id")
    return {(ticket_id, team_of_group[group_id]) for ticket_id, group_id in rows}


def _assert_rows_follow_teams() -> None:
    in_teams = set(Ticket.objects.filter(team__isnull=False).values_list("pk", "team_id"))
    assert _team_rows() == in_teams


def _assert_fast_filter_agrees(users) -> None:
    for user in users:
        fast = set(permissions.visible_tickets(user).values_list("pk", flat=True))
        by_rows = set(Ticket.objects.filter(_object_access(user, VIEW)).values_list("pk", flat=True))
        assert fast == by_rows, user.email
        ids = set(permissions.visible_ticket_ids(user).values_list("pk", flat=True))
        assert ids == by_rows, user.email


def test_moves_through_the_services_keep_rows_and_teams_in_step(
    customer, admin, team_agent, other_team_agent, billing_team, tech_team
):
    billing = _file("Invoice", billing_team)
    tech = _file("Crash", tech_team)
    unrouted = _file("Hello", None)
    _assert_rows_follow_teams()
    _assert_fast_filter_agrees([team_agent, other_team_agent])
    assert set(permissions.visible_tickets(team_agent)) == {billing}

    services.ticket_update(actor=admin, ticket=billing, team=tech_team)
    services.ticket_update(actor=admin, ticket=tech, team=None)
    services.ticket_update(actor=admin, ticket=unrouted, team=billing_team)
    _assert_rows_follow_teams()
    _assert_fast_filter_agrees([team_agent, other_team_agent])
    assert set(permissions.visible_tickets(team_agent)) == {unrouted}
    assert set(permissions.visible_tickets(other_team_agent)) == {billing}


def test_bulk_moves_keep_rows_and_teams_in_step(customer, admin, team_agent, other_team_agent, billing_team, tech_team):
    tickets = [_file(f"Bulk {i}", billing_team) for i in range(3)]
    services.ticket_bulk_update(actor=admin, ticket_ids=[t.pk for t in tickets], changes={"team": tech_team})
    _assert_rows_follow_teams()
    _assert_fast_filter_agrees([team_agent, other_team_agent])
    assert not permissions.visible_tickets(team_agent).exists()
    assert set(permissions.visible_tickets(other_team_agent)) == set(tickets)


def test_a_generated_desk_keeps_rows_and_teams_in_step():
    generate(120, seed=7, workers=0, progress=False, password=None)
    _assert_rows_follow_teams()
    team_only = [
        user
        for user in User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.TEAMS)
        if not permissions.sees_beyond_teams(user)
    ]
    assert team_only, "the generated desk has team-only agents"
    _assert_fast_filter_agrees(team_only[:8])


def test_an_agent_in_two_teams_sees_both_and_in_none_sees_nothing(customer, admin, billing_team, tech_team):
    both = account_services.user_create(
        email="two@desk.test", name="Two Teams", role=Role.AGENT, ticket_scope=TicketScope.TEAMS,
        teams=[billing_team, tech_team],
    )  # fmt: skip
    none = account_services.user_create(
        email="none@desk.test", name="No Team", role=Role.AGENT, ticket_scope=TicketScope.TEAMS
    )
    billing = _file("Invoice", billing_team)
    tech = _file("Crash", tech_team)
    assert set(permissions.visible_tickets(both)) == {billing, tech}
    assert not permissions.visible_tickets(none).exists()
    assert not permissions.visible_ticket_ids(none).exists()
    _assert_fast_filter_agrees([both, none])


def test_leaving_a_team_takes_its_tickets_away(customer, admin, team_agent, billing_team):
    ticket = _file("Invoice", billing_team)
    with memo.scope():
        assert permissions.visible_tickets(team_agent).filter(pk=ticket.pk).exists()
        account_services.team_update(team=billing_team, members=[])
        team_agent.refresh_from_db()
        assert not permissions.visible_tickets(team_agent).filter(pk=ticket.pk).exists()


def test_a_team_agent_who_is_also_a_requester_still_sees_their_own_ticket(team_agent, tech_team):
    own = services.ticket_create(
        actor=team_agent, subject="My laptop", description="My laptop does not start any more.", team=tech_team
    )
    assert permissions.sees_beyond_teams(team_agent)
    assert permissions.visible_tickets(team_agent).filter(pk=own.pk).exists()
    _assert_fast_filter_agrees([team_agent])


def test_the_team_filter_costs_no_query_of_its_own(customer, admin, team_agent, billing_team):
    _file("Invoice", billing_team)
    with memo.scope(), CaptureQueriesContext(connection) as queries:
        list(permissions.visible_tickets(team_agent))
        list(permissions.visible_tickets(team_agent))
    # One for the access profile (teams included), one per list; no permission-row semi-join.
    assert len(queries) == 3
    assert "guardian" not in queries[-1]["sql"] and "permission" not in queries[-1]["sql"].lower()
