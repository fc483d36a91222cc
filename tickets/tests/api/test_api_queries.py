"""Query budgets of every list endpoint (and ticket detail): the number of queries does not
depend on the page size (10 vs 100) or on how many rows there are (10 vs 10,000 tickets; a few
vs a few hundred messages, attachments, events, users, teams and invites)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Invite, Role
from tickets import permissions, services
from tickets.models import Message, Tag, Ticket, TicketGroupPermission, TicketUserPermission
from tickets.tests.api.support import text_file

pytestmark = pytest.mark.django_db

MEASURED: dict[str, list[int]] = {}  # for the curious: pytest -s prints them at the end


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    for name, counts in sorted(MEASURED.items()):
        print(f"queries {name}: {counts}")


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def add_tickets(count: int, requester, team, *, start: int = 0) -> None:
    """Insert ``count`` tickets with an opening message, a tag and their permission rows, in bulk
    (the services would take minutes for 10,000; the rows are the same ones they write)."""
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                subject=f"Bulk ticket number {start + i}",
                priority=("urgent", "high", "normal", "low")[i % 4],
                requester=requester,
                created_by=requester,
                team=team,
                organization=requester.organization,
                created_at=now - timedelta(seconds=start + i),
                updated_at=now - timedelta(seconds=start + i),
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    Message.objects.bulk_create(
        [
            Message(
                ticket=t, author=requester, author_name=requester.name, author_role="customer", body="Opening message."
            )
            for t in tickets
        ],
        batch_size=2000,
    )
    tag, _ = Tag.objects.get_or_create(name="bulk")
    Ticket.tags.through.objects.bulk_create(
        [Ticket.tags.through(ticket_id=t.pk, tag_id=tag.pk) for t in tickets], batch_size=2000
    )
    # The rows ticket_create grants (permissions.permission_rows_for_new_ticket), learnt from the
    # first ticket and repeated for the others: they differ only in the ticket.
    tickets[0].team, tickets[0].organization = team, requester.organization
    user_rows, group_rows = permissions.permission_rows_for_new_ticket(tickets[0])
    users = [
        TicketUserPermission(user_id=r.user_id, permission_id=r.permission_id, content_object_id=t.pk)
        for t in tickets
        for r in user_rows
    ]
    groups = [
        TicketGroupPermission(group_id=r.group_id, permission_id=r.permission_id, content_object_id=t.pk)
        for t in tickets
        for r in group_rows
    ]
    TicketUserPermission.objects.bulk_create(users, batch_size=2000)
    TicketGroupPermission.objects.bulk_create(groups, batch_size=2000)
    # Fresh planner statistics, as autovacuum (PostgreSQL) or `ANALYZE` (SQLite) keep in production.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


TICKET_URLS = [
    "/api/v1/tickets/?page_size={size}",
    "/api/v1/tickets/?page_size={size}&ordering=priority&status=open&category=billing",
    "/api/v1/tickets/?page_size={size}&ordering=priority&status=open&tag=bulk",  # agents only
    "/api/v1/tickets/?page_size={size}&q=number&assignee=none&created_after=2000-01-01T00:00:00Z",
]


def test_ticket_list_same_queries_for_10_and_10000_tickets(people, billing_team, as_user):
    requester = people["customer"]
    clients = {persona: as_user(people[persona]) for persona in ("customer", "org_member", "team_agent", "admin")}

    def measure() -> dict:
        return {
            (persona, url): [queries(client, url.format(size=size)) for size in (10, 100)]
            for persona, client in clients.items()
            for url in TICKET_URLS
            if "tag=" not in url or persona in ("team_agent", "admin")
        }

    add_tickets(10, requester, billing_team)
    measure()  # the first answers fill the caches (e.g. the field keys of customers' answers)
    few = measure()
    add_tickets(9_990, requester, billing_team, start=10)
    assert Ticket.objects.count() == 10_000
    many = measure()
    for key in few:
        assert few[key][0] == few[key][1] == many[key][0] == many[key][1], (key, few[key], many[key])
        if key[1] == TICKET_URLS[0]:
            MEASURED[f"tickets as {key[0]}"] = few[key] + many[key]
    # a page deep into the list costs the same as the first
    client = clients["customer"]
    data = client.get("/api/v1/tickets/?page_size=100").json()
    for _ in range(3):
        data = client.get(data["next"]).json()
    assert queries(client, data["next"]) == many[("customer", TICKET_URLS[0])][1]
    assert len(client.get("/api/v1/tickets/?page_size=100").json()["results"]) == 100


def test_ticket_detail_same_queries_with_long_conversation(world, people, as_user):
    ticket = world["ticket"]
    client = as_user(people["agent"])
    url = f"/api/v1/tickets/{ticket.pk}/"
    before = queries(client, url)
    for n in range(30):
        services.message_add(actor=people["agent"], ticket=ticket, body=f"Reply {n}")
    assert queries(client, url) == before


def _grow_conversation(world, people, count: int) -> None:
    ticket = world["ticket"]
    for n in range(count):
        services.message_add(
            actor=people["customer"] if n % 2 else people["agent"],
            ticket=ticket,
            body=f"Message {n}",
            internal=n % 4 == 0,
            attachments=[text_file(f"f{n}.txt")] if n % 3 == 0 else [],
        )


@pytest.mark.parametrize("persona", ["customer", "agent"])
@pytest.mark.parametrize("resource", ["messages", "attachments", "events"])
def test_conversation_lists_same_queries(resource, persona, world, people, as_user):
    client = as_user(people[persona])
    url = f"/api/v1/tickets/{world['ticket'].pk}/{resource}/?page_size={{size}}"
    few = [queries(client, url.format(size=size)) for size in (10, 100)]
    _grow_conversation(world, people, 150)
    many = [queries(client, url.format(size=size)) for size in (10, 100)]
    assert few[0] == few[1] == many[0] == many[1], (few, many)
    MEASURED[f"{resource} as {persona}"] = few + many


def test_people_lists_same_queries(people, as_user, billing_team, tech_team):
    client = as_user(people["admin"])
    urls = ["/api/v1/users/?page_size={size}", "/api/v1/teams/?page_size={size}", "/api/v1/invites/?page_size={size}"]
    account_services.invite_create(actor=people["admin"], email="first@desk.test", role=Role.AGENT)
    few = {url: [queries(client, url.format(size=size)) for size in (10, 100)] for url in urls}
    for n in range(150):
        user = account_services.user_create(
            email=f"agent{n}@desk.test",
            name=f"Agent {n}",
            role=Role.AGENT,
            teams=[billing_team if n % 2 else tech_team],
        )
        if n % 10 == 0:
            account_services.team_create(name=f"Team {n}")
        Invite.objects.create(email=f"invitee{n}@desk.test", role=Role.AGENT, invited_by=people["admin"])
        del user
    many = {url: [queries(client, url.format(size=size)) for size in (10, 100)] for url in urls}
    for url in urls:
        assert few[url][0] == few[url][1] == many[url][0] == many[url][1], (url, few[url], many[url])
        MEASURED[url.split("?")[0]] = few[url] + many[url]
    assert queries(client, "/api/v1/me/") <= 4


def test_agent_stats_same_queries_for_few_and_many_agents(people, as_user, billing_team):
    client = as_user(people["admin"])
    url = "/api/v1/stats/agents/?since=2020-01-01&until=2099-12-31"
    few = queries(client, url)
    cache.clear()  # the figures are cached; measure their computation again
    for n in range(40):
        agent = account_services.user_create(
            email=f"statsagent{n}@desk.test", name=f"Stats Agent {n}", role=Role.AGENT, teams=[billing_team]
        )
        ticket = services.ticket_create(
            actor=people["customer"], subject=f"Stats ticket {n}", description="Enough words to describe it."
        )
        services.ticket_update(actor=people["admin"], ticket=ticket, team=billing_team)
        services.ticket_claim(actor=agent, ticket=ticket)
        services.message_add(actor=agent, ticket=ticket, body="Looking into it.")
    assert queries(client, url) == few
    MEASURED["/api/v1/stats/agents/"] = [few, few]
