"""Query budgets (issue 6): every page and every list or detail endpoint, for the people who use it.

Each row of ``BUDGETS`` is one person opening one address. The test measures it with a few rows
in the database (3 tickets, messages, events, notifications, agents, invites) and again with many
(60 of each), and asserts that

- the count is at most ``BUDGET`` (12 queries), and
- the count is the same with many rows as with few: nothing is fetched row by row.

Every measurement is a person's first look after signing in: the cache is emptied and the person
signs in again first, so cached counts (queue views, the notification bell, statistics) are
computed inside the measured request and count against the budget. A new page gets one line in
the table.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Invite, Role, TicketScope, User
from conftest import PASSWORD, built_once
from tickets import permissions, services
from tickets.models import (
    Attachment,
    EventKind,
    Macro,
    MacroScope,
    Message,
    Notification,
    NotificationKind,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketField,
    TicketGroupPermission,
    TicketUserPermission,
)
from tickets.satisfaction.models import SatisfactionRating
from tickets.services.saved_views import saved_view_create
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db

BUDGET = 12
FEW, MANY = 3, 60
# Pages with a budget of their own, each with the reason. The statistics page is two reports of a
# fixed number of queries each: the agents' and teams' tables (people, teams and five grouped
# metric queries, ``tickets.stats``) and the figures over time (three, ``tickets.trends``).
# The agent ticket page is the queue's twelve plus two: the macros the agent may apply, in one
# query however many there are (personal, their teams' and everyone's; ``macros_for``), and the
# desk's custom fields of the ticket's team (issue 16), one query whatever the number of fields.
# Customer satisfaction (issue 18 §4) adds one to each: the CSAT section's grouped count, and the
# ticket's latest survey for the side card — which the portal asks only for the requester of a
# solved or closed ticket ({solved}: Ada's other ticket, solved by Tom): that page is the portal's
# twelve, plus the survey, plus the one UPDATE that marks read the notifications Ada still has
# unread (``grow`` fills her bell with notifications about her first ticket, read only there).
# A ticket page of someone who does not see every ticket adds one more: their access levels on the
# ticket, read in a short query of its own before the ticket (``permissions.get_ticket_or_404``),
# where one query with each level as an EXISTS cost about three times the CPU of both together;
# the portal's page saves one: the messages' files are taken from its Files list
# (``selectors.conversation_for``), so the plain portal ticket page is within the twelve.
PAGE_BUDGETS = {
    "/agent/stats/": 14,
    "/agent/tickets/{ticket}/": 16,
    "/portal/tickets/{solved}/": 14,
}

# (who, address). {ticket} is Ada's Billing ticket, {team} the Billing team; addresses under
# /api/ are read with the person's API token, all others with a signed-in browser session.
BUDGETS = [
    # the customer portal
    ("customer", "/portal/"),
    ("customer", "/portal/?status=open"),
    ("customer", "/portal/?q=ticket"),
    ("customer", "/portal/tickets/new/"),
    ("customer", "/portal/tickets/{ticket}/"),
    ("org_member", "/portal/tickets/{ticket}/"),
    ("customer", "/portal/tickets/{solved}/"),
    ("customer", "/notifications/"),
    ("customer", "/accounts/profile/"),
    # the agent workspace: the queue, plain, sorted and filtered
    ("team_agent", "/agent/"),
    ("team_agent", "/agent/?view=all&sort=priority"),
    ("team_agent", "/agent/?view=all&status=open&priority=normal&assignee=none&tag=bulk&sort=created"),
    ("team_agent", "/agent/?view=all&q=ticket&team={team}&created_after=2000-01-01"),
    ("agent", "/agent/?view=mine&sort=updated"),
    # SLA (issue 17): "Next breach first", the SLA-aware "Most urgent first", the two SLA views
    ("team_agent", "/agent/?view=open&sort=sla"),
    ("agent", "/agent/?view=open&sort=priority"),
    ("team_agent", "/agent/?sort=-priority"),
    ("agent", "/agent/?view=sla_breaching"),
    ("team_agent", "/agent/?view=sla_breached"),
    ("agent", "/api/v1/tickets/?ordering=urgency"),
    ("admin", "/agent/?view=unassigned&requester=ada@acme.test&organization=Acme+Corp"),
    # a saved view of 3 conditions, one on a custom field, showing a custom column (issue 16)
    ("agent", "/agent/?view={view}"),
    ("agent", "/api/v1/views/"),
    ("agent", "/api/v1/views/{view_id}/tickets/"),
    # the agent ticket page, stats and notifications
    ("team_agent", "/agent/tickets/{ticket}/"),
    ("agent", "/agent/tickets/{ticket}/"),
    ("admin", "/agent/tickets/{ticket}/"),
    ("team_agent", "/agent/stats/"),
    ("team_agent", "/agent/counts/"),
    ("agent", "/agent/stats/?period=7&team={team}"),
    ("admin", "/agent/stats/?period=custom&since=2000-01-01&until=2099-12-31"),
    ("team_agent", "/agent/stats/?granularity=week&team={team}"),
    ("admin", "/agent/stats/?period=custom&since=2025-01-01&until=2025-12-31&granularity=day"),
    ("team_agent", "/agent/stats/export/?table=trend"),
    ("admin", "/agent/stats/export/?table=agents&period=90&team={team}"),
    ("team_agent", "/agent/stats/sla/"),
    ("admin", "/agent/stats/sla/?period=custom&since=2000-01-01&until=2099-12-31"),
    ("agent", "/agent/stats/sla/?period=7&team={team}"),
    ("team_agent", "/agent/stats/sla/export/"),
    ("admin", "/agent/stats/sla/export/?period=90&team={team}"),
    ("team_agent", "/notifications/"),
    ("team_agent", "/accounts/profile/"),
    # the API: every list and detail
    ("customer", "/api/v1/tickets/"),
    ("org_member", "/api/v1/tickets/?status=open&ordering=priority"),
    ("team_agent", "/api/v1/tickets/?tag=bulk&assignee=none&ordering=-created_at"),
    ("admin", "/api/v1/tickets/?q=ticket&team={team}"),
    ("customer", "/api/v1/tickets/{ticket}/"),
    ("customer", "/api/v1/tickets/{solved}/"),
    ("team_agent", "/api/v1/tickets/{ticket}/"),
    ("customer", "/api/v1/tickets/{ticket}/messages/"),
    ("team_agent", "/api/v1/tickets/{ticket}/messages/"),
    ("customer", "/api/v1/tickets/{ticket}/attachments/"),
    ("team_agent", "/api/v1/tickets/{ticket}/attachments/"),
    ("customer", "/api/v1/tickets/{ticket}/events/"),
    ("team_agent", "/api/v1/tickets/{ticket}/events/"),
    ("customer", "/api/v1/me/"),
    ("team_agent", "/api/v1/users/"),
    ("admin", "/api/v1/users/?role=agent&team={team}"),
    ("team_agent", "/api/v1/teams/"),
    ("admin", "/api/v1/teams/{team}/"),
    ("admin", "/api/v1/invites/"),
    ("team_agent", "/api/v1/stats/agents/"),
    ("admin", "/api/v1/stats/agents/?since=2000-01-01&until=2099-12-31&team={team}"),
    ("team_agent", "/api/v1/stats/trend/"),
    ("admin", "/api/v1/stats/trend/?since=2025-01-01&until=2025-12-31&granularity=day&team={team}"),
    ("team_agent", "/api/v1/stats/satisfaction/"),
    ("admin", "/api/v1/stats/satisfaction/?since=2000-01-01&until=2099-12-31&team={team}"),
    ("team_agent", "/api/v1/tickets/?satisfaction=good"),
    ("team_agent", "/api/v1/stats/sla/"),
    ("admin", "/api/v1/stats/sla/?since=2000-01-01&until=2099-12-31&team={team}"),
]


def build_desk():
    """Ada's Billing ticket, replied to and claimed by Tom, and the people who look at it (the
    personas of the root conftest), grown to ``FEW`` of every row."""
    acme = account_services.organization_create(name="Acme Corp", share_tickets=True)
    billing_team = account_services.team_create(name="Billing")

    def person(email: str, name: str, **extra):
        return account_services.user_create(email=email, name=name, password=PASSWORD, **extra)

    customer = person("ada@acme.test", "Ada Customer", organization=acme)
    org_member = person("bob@acme.test", "Bob Colleague", organization=acme)
    agent = person("alice@desk.test", "Alice Agent", role=Role.AGENT, ticket_scope=TicketScope.ALL)
    team_agent = person(
        "tom@desk.test", "Tom Billing", role=Role.AGENT, ticket_scope=TicketScope.TEAMS, teams=[billing_team]
    )
    admin = person("root@desk.test", "Ray Admin", role=Role.ADMIN)
    ticket = services.ticket_create(
        actor=customer,
        subject="Cannot download invoice",
        description="When I click the download link nothing happens at all.",
    )
    ticket = services.ticket_update(actor=admin, ticket=ticket, team=billing_team)
    services.ticket_claim(actor=team_agent, ticket=ticket)
    services.message_add(actor=team_agent, ticket=ticket, body="Looking into it now.")
    services.message_add(actor=team_agent, ticket=ticket, body="Finance knows this one.", internal=True)
    people = {"customer": customer, "org_member": org_member, "agent": agent, "team_agent": team_agent, "admin": admin}
    TicketField.objects.create(key="plan", label="Plan", field_type="text")
    view = saved_view_create(
        actor=agent,
        name="Gold, high, open",
        conditions={
            "all": [
                {"field": "status", "operator": "in", "value": ["open", "pending"]},
                {"field": "priority", "operator": "is", "value": "normal"},
                {"field": "custom.plan", "operator": "is", "value": "gold"},
            ]
        },
        columns=["subject", "status", "custom.plan", "tags"],
    )
    Ticket.objects.filter(pk=ticket.pk).update(custom_fields={"plan": "gold"})
    solved = services.ticket_create(
        actor=customer, subject="Paper tray squeaks", description="It squeaks every time it opens."
    )
    services.ticket_update(actor=admin, ticket=solved, team=billing_team, assignee=team_agent)
    services.ticket_change_status(actor=team_agent, ticket=solved, status=Status.SOLVED)  # a survey offered
    desk = {"ticket": ticket, "team": billing_team, "people": people, "grown": 0, "view": view, "solved": solved}
    grow(desk, FEW)
    return desk


@pytest.fixture(scope="module")
def shared_desk(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, build_desk)


@pytest.fixture
def desk(shared_desk, db):
    """The desk at ``FEW`` rows of everything, built once for the module (``built_once``)."""
    return copy.deepcopy(shared_desk)


def grow(desk, total: int) -> None:
    """Bring every kind of row the pages read up to ``total``: tickets (tagged, some solved in
    the period), messages with attachments, internal notes and history on Ada's ticket,
    notifications for everyone, agents in Billing and invites. Bulk inserts of the rows the
    services write, so that 60 of each stay quick."""
    n = total - desk["grown"]
    start = desk["grown"]
    desk["grown"] = total
    people, ticket, team = desk["people"], desk["ticket"], desk["team"]
    customer, tom, admin = people["customer"], people["team_agent"], people["admin"]
    now = timezone.now()

    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                subject=f"Bulk ticket number {start + i}",
                status=Status.SOLVED if i % 3 == 0 else Status.OPEN,
                requester=customer,
                created_by=customer,
                team=team,
                organization=customer.organization,
                created_at=now - timedelta(hours=start + i + 1),
                updated_at=now - timedelta(minutes=start + i + 1),
                first_response_at=now - timedelta(minutes=start + i + 1) if i % 2 else None,
                custom_fields={"plan": "gold"} if i % 2 else {},  # rows for the saved view's custom column
                # SLA due times for the Next breach column and the SLA views (each has rows with
                # 3 tickets already): none, overdue, due within the hour, later; none when solved.
                sla_breach_at=None
                if i % 3 == 0
                else [None, now - timedelta(minutes=i + 1), now + timedelta(minutes=30), now + timedelta(days=1)][
                    i % 4
                ],
            )
            for i in range(n)
        ]
    )
    users, groups = [], []
    for new in tickets:
        new.team, new.organization = team, customer.organization
        u, g = permissions.permission_rows_for_new_ticket(new)
        users += u
        groups += g
    TicketUserPermission.objects.bulk_create(users)
    TicketGroupPermission.objects.bulk_create(groups)
    tag, _ = Tag.objects.get_or_create(name="bulk")
    Ticket.tags.through.objects.bulk_create([Ticket.tags.through(ticket_id=t.pk, tag_id=tag.pk) for t in tickets])
    Message.objects.bulk_create(
        [
            Message(ticket=t, author=customer, author_name=customer.name, author_role=Role.CUSTOMER, body="Opening.")
            for t in tickets
        ]
    )
    solves = TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=t,
                actor=tom,
                actor_name=tom.name,
                kind=EventKind.STATUS_CHANGED,
                data={"old": Status.OPEN, "new": Status.SOLVED},
                created_at=now - timedelta(minutes=i),
            )
            for i, t in enumerate(tickets)
            if t.status == Status.SOLVED
        ]
    )
    # Their satisfaction surveys (issue 18 §4): answered good, bad or not yet, credited to Tom.
    SatisfactionRating.objects.bulk_create(
        [
            SatisfactionRating(
                ticket_id=e.ticket_id,
                solve_event=e,
                requester=customer,
                assignee=tom,
                team=team,
                score=("good", "bad", "offered")[i % 3],
                comment="Fine." if i % 3 == 0 else "",
                created_at=e.created_at,
                rated_at=None if i % 3 == 2 else e.created_at,
                updated_at=e.created_at,
            )
            for i, e in enumerate(solves)
        ]
    )
    # SLA clock ends in the period (tickets.sla.stats), as the refresh and the sweeper record them.
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=t,
                actor=None,
                actor_name="System",
                kind=EventKind.SLA_FULFILLED if i % 4 else EventKind.SLA_BREACHED,
                data={
                    "metric": "resolution_time",
                    "target_minutes": 60,
                    "priority": "normal",
                    "elapsed_seconds": 60 * i,
                },
                public=False,
                created_at=now - timedelta(minutes=i),
            )
            for i, t in enumerate(tickets)
        ]
    )

    messages = Message.objects.bulk_create(
        [
            Message(
                ticket=ticket,
                author=tom if i % 2 else customer,
                author_name=tom.name if i % 2 else customer.name,
                author_role=Role.AGENT if i % 2 else Role.CUSTOMER,
                body=f"Message {start + i}",
                internal=i % 4 == 1,
                created_at=now + timedelta(seconds=start + i),
            )
            for i in range(n)
        ]
    )
    Attachment.objects.bulk_create(
        [
            Attachment(
                ticket=ticket,
                message=m,
                file=f"attachments/budget/{m.pk}",
                filename=f"file{m.pk}.txt",
                content_type="text/plain",
                size=10,
                sha256="0" * 64,
                internal=m.internal,
                uploaded_by=m.author,
                uploaded_by_name=m.author_name,
            )
            for m in messages
        ]
    )
    events = TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=ticket,
                actor=tom,
                actor_name=tom.name,
                kind=EventKind.PRIORITY_CHANGED,
                data={"old": "normal", "new": "high"},
                public=i % 2 == 0,
                created_at=now + timedelta(seconds=start + i),
            )
            for i in range(n)
        ]
    )
    Notification.objects.bulk_create(
        [
            Notification(recipient=person, ticket=ticket, event=event, kind=NotificationKind.STATUS_CHANGED)
            for event in events
            for person in people.values()
        ]
    )
    staff = User.objects.bulk_create(
        [
            User(email=f"budget{start + i}@desk.test", name=f"Budget Agent {start + i:03}", role=Role.AGENT)
            for i in range(n)
        ]
    )
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=team.group_id) for u in staff])
    Invite.objects.bulk_create(
        [Invite(email=f"invitee{start + i}@desk.test", role=Role.AGENT, invited_by=admin) for i in range(n)]
    )
    # Macros the ticket page and the queue offer: personal, Billing's and everyone's (one query).
    actions = [
        {"action": "add_reply", "value": "Hi {{requester.first_name}}"},
        {"action": "set_status", "value": "pending"},
    ]
    Macro.objects.bulk_create(
        [Macro(name=f"Personal {start + i}", scope=MacroScope.PERSONAL, owner=tom, actions=actions) for i in range(n)]
        + [Macro(name=f"Billing {start + i}", scope=MacroScope.TEAM, team=team, actions=actions) for i in range(n)]
        + [Macro(name=f"Everyone {start + i}", scope=MacroScope.EVERYONE, actions=actions) for i in range(n)]
    )
    # The desk's custom fields (some only Billing's, some visible to customers), filled on Ada's ticket.
    fields = TicketField.objects.bulk_create(
        [
            TicketField(key=f"field_{start + i}", label=f"Field {start + i}", visible_to_customers=i % 2 == 0)
            for i in range(n)
        ]
    )
    TicketField.teams.through.objects.bulk_create(
        [TicketField.teams.through(ticketfield_id=f.pk, team_id=team.pk) for f in fields[::3]]
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        custom_fields={**Ticket.objects.get(pk=ticket.pk).custom_fields, **{f.key: f"value {f.pk}" for f in fields}}
    )


def first_look(desk, persona: str, address: str) -> int:
    """Queries of ``persona``'s first request to ``address`` after signing in, with an empty cache."""
    user = desk["people"][persona]
    url = address.format(
        ticket=desk["ticket"].pk,
        team=desk["team"].pk,
        view=desk["view"].key,
        view_id=desk["view"].pk,
        solved=desk["solved"].pk,
    )
    cache.clear()
    if url.startswith("/api/"):
        client = token_client(user)
    else:
        client = Client()  # type: ignore[assignment]  # the API's client and the pages' share what is used here
        assert client.login(username=user.email, password=PASSWORD)
    client.get(url)  # a first visit may write once (read markers); later visits do not
    cache.clear()
    if not url.startswith("/api/"):
        assert client.login(username=user.email, password=PASSWORD)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.mark.parametrize(("persona", "address"), BUDGETS, ids=[f"{p}:{a}" for p, a in BUDGETS])
def test_within_budget_and_independent_of_rows(desk, persona, address):
    few = first_look(desk, persona, address)
    grow(desk, MANY)
    many = first_look(desk, persona, address)
    assert (few, many) == (few, few), f"{address} as {persona}: {few} queries with {FEW} rows, {many} with {MANY}"
    budget = PAGE_BUDGETS.get(address.split("?")[0], BUDGET)
    assert few <= budget, f"{address} as {persona}: {few} queries, over the budget of {budget}"


# Statistics over time: the same queries for a week as for a year, by day or by week.
PERIODS = [
    ("/agent/stats/?period=7", "/agent/stats/?period=custom&since=2025-01-01&until=2025-12-31&granularity=day"),
    ("/api/v1/stats/trend/?granularity=day", "/api/v1/stats/trend/?since=2025-01-01&until=2025-12-31&granularity=day"),
    ("/agent/stats/export/?table=trend&period=7", "/agent/stats/export/?table=trend&period=custom&since=2025-01-01"
     "&until=2025-12-31&granularity=week"),
]  # fmt: skip


@pytest.mark.parametrize(("short", "long"), PERIODS)
@pytest.mark.parametrize("persona", ["team_agent", "admin"])
def test_statistics_over_time_do_not_grow_with_the_period(desk, persona, short, long):
    assert first_look(desk, persona, short) == first_look(desk, persona, long)
