"""Agent statistics: the numbers from a hand-built history, who sees which rows, query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role, TicketScope, User
from tickets import services, stats
from tickets.models import Status

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """Moves ``timezone.now`` (which the services stamp every row with) to chosen instants."""

    def __init__(self, monkeypatch):
        self.now = T0
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, minutes: float) -> Clock:
        self.now = T0 + timedelta(minutes=minutes)
        return self


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _row(rows, user):
    return next(r for r in rows if r["agent"]["id"] == user.pk)


def _file(customer, subject="Printer is on fire again"):
    return services.ticket_create(actor=customer, subject=subject, description="It really is on fire, please help us.")


@pytest.mark.django_db
def test_hand_built_history(clock, customer, agent, team_agent, admin, billing_team):
    # Ticket 1: a note first (does not count), Alice replies at +30 min, solves at +60, closed at +90.
    clock.at(0)
    one = _file(customer)
    services.ticket_claim(actor=agent, ticket=one)
    clock.at(10)
    services.message_add(actor=agent, ticket=one, body="Checking with the printer vendor.", internal=True)
    clock.at(30)
    services.message_add(actor=agent, ticket=one, body="Please unplug it.")
    clock.at(60)
    services.ticket_change_status(actor=agent, ticket=one, status=Status.SOLVED)
    clock.at(90)
    services.ticket_change_status(actor=agent, ticket=one, status=Status.CLOSED)

    # Ticket 2: Alice replies at +10 (from t=0 -> 600s), solves at +20, the customer reopens
    # by replying, Alice solves again at +100: two solves, resolution 100 min (the last solve).
    clock.at(0)
    two = _file(customer, "Second printer also burning")
    services.ticket_assign(actor=admin, ticket=two, assignee=agent)
    clock.at(10)
    services.message_add(actor=agent, ticket=two, body="Have you tried water?")
    clock.at(20)
    services.ticket_change_status(actor=agent, ticket=two, status=Status.SOLVED)
    clock.at(40)
    services.message_add(actor=customer, ticket=two, body="Water made it worse.")
    clock.at(100)
    services.ticket_change_status(actor=agent, ticket=two, status=Status.SOLVED)

    # Ticket 3: still open, assigned to Alice; only an internal note so far (no first response).
    clock.at(0)
    three = _file(customer, "Third ticket, no reply yet")
    services.ticket_assign(actor=admin, ticket=three, assignee=agent)
    services.message_add(actor=agent, ticket=three, body="Looking into it.", internal=True)

    # Ticket 4: the requester marks it solved: credited to the assignee (Alice).
    four = _file(customer, "Fourth ticket solved by requester")
    services.ticket_assign(actor=admin, ticket=four, assignee=agent)
    clock.at(50)
    services.ticket_change_status(actor=customer, ticket=four, status=Status.SOLVED)

    rows = stats.agent_stats(viewer=admin, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    alice = _row(rows, agent)
    assert alice == {
        "agent": {"id": agent.pk, "name": "Alice Agent"},
        "assigned_open": 1,  # ticket 3 (ticket 2 and 4 are solved, 1 closed)
        "solved": 4,  # 1 + 2 + 1 (four by the requester); closing is not solving
        "replies": 2,  # notes do not count
        "first_response_seconds": {"avg": 1200, "median": 1200},  # 30 min and 10 min
        "resolution_seconds": {"avg": 4200, "median": 3600},  # 60, 100, 50 min -> avg 70, median 60
        "reopened": 1,
    }
    assert _row(rows, team_agent)["solved"] == 0
    assert _row(rows, admin)["replies"] == 0

    # A period after the first replies: the reopen and three solves, no replies.
    late = stats.agent_stats(viewer=admin, since=T0 + timedelta(minutes=35), until=T0 + timedelta(minutes=200))
    alice = _row(late, agent)
    assert alice["solved"] == 3  # one (60), two's second solve (100) and four (50)
    assert alice["reopened"] == 1
    assert alice["replies"] == 0
    assert alice["first_response_seconds"] == {"avg": None, "median": None}


@pytest.mark.django_db
def test_dates_include_the_last_day(clock, customer, agent):
    ticket = _file(customer)
    services.message_add(actor=agent, ticket=ticket, body="Hello there")
    rows = stats.agent_stats(viewer=agent, since=T0.date(), until=T0.date())
    assert _row(rows, agent)["replies"] == 1
    rows = stats.agent_stats(viewer=agent, since=T0.date() + timedelta(days=1), until=T0.date() + timedelta(days=2))
    assert _row(rows, agent)["replies"] == 0


@pytest.fixture
def teammate(billing_team):
    """Tom's colleague in Billing."""
    return account_services.user_create(
        email="bill@desk.test",
        name="Bill Teammate",
        role=Role.AGENT,
        ticket_scope=TicketScope.TEAMS,
        teams=[billing_team],
    )


@pytest.mark.django_db
def test_who_sees_which_rows(agent, team_agent, other_team_agent, admin, customer, billing_team, teammate):
    """API.md: agents see their own row, admins every agent. A teammate's row is not an agent's
    to see, whatever their scope; team totals are (their own teams')."""
    account_services.team_add_member(team=billing_team, user=agent)  # an all-tickets agent in Billing too
    since, until = T0 - timedelta(days=1), T0

    def ids(viewer, **kw):
        return {r["agent"]["id"] for r in stats.agent_stats(viewer=viewer, since=since, until=until, **kw)}

    assert ids(admin) == {agent.pk, team_agent.pk, other_team_agent.pk, admin.pk, teammate.pk}
    assert ids(team_agent) == {team_agent.pk}
    assert ids(teammate) == {teammate.pk}
    assert ids(other_team_agent) == {other_team_agent.pk}
    assert ids(agent) == {agent.pk}
    assert ids(customer) == set()
    assert ids(admin, team=billing_team) == {agent.pk, team_agent.pk, teammate.pk}
    assert ids(team_agent, team=billing_team) == {team_agent.pk}
    assert [t["team"]["name"] for t in stats.team_stats(viewer=team_agent, since=since, until=until)] == ["Billing"]
    assert len(stats.team_stats(viewer=admin, since=since, until=until)) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("team_agent", {"team_agent"}),
        ("teammate", {"teammate"}),
        ("other_team_agent", {"other_team_agent"}),
        ("agent", {"agent"}),
        ("admin", {"agent", "team_agent", "teammate", "other_team_agent", "admin"}),
    ],
)
def test_the_page_and_the_api_show_the_same_rows(request, who, sees, teammate):
    from django.test import Client

    from conftest import PASSWORD
    from tickets.tests.api.support import token_client

    people = {name: request.getfixturevalue(name) for name in ("agent", "team_agent", "other_team_agent", "admin")}
    people["teammate"] = teammate
    viewer = people[who]
    api = token_client(viewer).get("/api/v1/stats/agents/?page_size=100")
    assert api.status_code == 200
    assert {r["agent"]["id"] for r in api.json()["results"]} == {people[name].pk for name in sees}
    viewer.set_password(PASSWORD)
    viewer.save()
    client = Client()
    assert client.login(email=viewer.email, password=PASSWORD)
    html = client.get("/agent/stats/").content.decode()
    for name, person in people.items():
        assert (f'<th scope="row">{person.name}</th>' in html) == (name in sees), name


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer", "org_member"])
def test_customers_see_no_statistics(request, who):
    from tickets.tests.api.support import token_client

    assert token_client(request.getfixturevalue(who)).get("/api/v1/stats/agents/").status_code == 403
    assert stats.agent_stats(viewer=request.getfixturevalue(who), since=T0, until=T0) == []


@pytest.mark.django_db
def test_counts_only_tickets_the_viewer_may_see(customer, team_agent, tech_team, admin, billing_team):
    """Tom replied on a Billing ticket that then moved to Technical: his own row, as he sees it,
    no longer counts it (he cannot see the ticket); an admin's view of his row does."""
    ticket = services.ticket_create(
        actor=customer, subject="Technical trouble here", description="Something technical is broken here."
    )
    services.ticket_update(actor=admin, ticket=ticket, team=billing_team)
    services.message_add(actor=team_agent, ticket=ticket, body="On it.")
    services.ticket_update(actor=admin, ticket=ticket, team=tech_team)
    now = timezone.now()
    window = {"since": now - timedelta(hours=1), "until": now + timedelta(hours=1)}
    as_admin = _row(stats.agent_stats(viewer=admin, **window), team_agent)
    as_tom = _row(stats.agent_stats(viewer=team_agent, **window), team_agent)
    assert as_admin["replies"] == 1
    assert as_tom["replies"] == 0


def _many_agents(n: int) -> None:
    User.objects.bulk_create(
        [User(email=f"agent{i}@desk.test", name=f"Agent {i:03}", role=Role.AGENT) for i in range(n)]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [2, 200])
def test_query_count_does_not_grow_with_agents(n, admin, customer, agent, django_assert_num_queries):
    _many_agents(n)
    ticket = _file(customer)
    services.message_add(actor=agent, ticket=ticket, body="Hi", status=Status.SOLVED)
    now = timezone.now()
    with django_assert_num_queries(6):
        rows = stats.agent_stats(viewer=admin, since=now - timedelta(days=1), until=now + timedelta(days=1))
    assert len(rows) == n + 2


@pytest.mark.django_db
def test_ticket_filed_by_an_agent_is_not_a_reply(clock, customer, agent):
    ticket = services.ticket_create(
        actor=agent,
        requester=customer,
        subject="Phoned in: router down",
        description="Customer called: the router is down.",
    )
    clock.at(5)
    services.message_add(actor=agent, ticket=ticket, body="Rebooted it remotely.")
    row = _row(stats.agent_stats(viewer=agent, since=T0, until=T0 + timedelta(hours=1)), agent)
    assert row["replies"] == 1
    assert row["first_response_seconds"] == {"avg": 300, "median": 300}
