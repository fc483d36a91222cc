"""``manage.py generate_tickets``: the synthetic tickets behave like tickets made by the services."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.models import Max, Q

from accounts import services as account_services
from accounts.models import Organization, Role, Team, TicketScope, User
from tickets import generate as gen
from tickets import permissions, selectors, services
from tickets.exceptions import Conflict
from tickets.models import (
    EventKind,
    Message,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketGroupPermission,
    TicketUserPermission,
)

N = 300
ANCHOR = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def run(tickets: int = N, seed: int = 1, **options) -> str:
    out = io.StringIO()
    call_command(
        "generate_tickets",
        tickets=tickets,
        seed=seed,
        anchor=ANCHOR.isoformat(),
        no_progress=True,
        stdout=out,
        **options,
    )
    return out.getvalue()


def summary_numbers(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("tickets="))
    pairs = dict(part.split("=") for part in line.replace("(", "").replace(")", "").split() if "=" in part)
    return {key: int(float(value.rstrip("s"))) for key, value in pairs.items()}


@pytest.fixture
def generated(db):
    return run()


def visible_ids(user) -> set[int]:
    return set(permissions.visible_tickets(user).values_list("id", flat=True))


# --- sizes and counts ------------------------------------------------------------------------


def test_people_scale_with_the_number_of_tickets():
    assert gen.scale_for(1_000_000) == gen.Scale(customers=100_000, organizations=5_000, agents=200, teams=20, admins=2)
    small = gen.scale_for(1_000)
    assert (small.customers, small.organizations) == (100, 5)
    assert small.agents >= 6 and small.teams >= 2 and small.admins >= 1


def test_counts_add_up(generated):
    numbers = summary_numbers(generated)
    assert Ticket.objects.count() == numbers["tickets"] == N
    assert Message.objects.count() == numbers["messages"]
    assert TicketEvent.objects.count() == numbers["events"]
    assert TicketUserPermission.objects.count() + TicketGroupPermission.objects.count() == numbers["permission_rows"]
    assert Ticket.tags.through.objects.count() == numbers["tags"]
    assert Ticket.collaborators.through.objects.count() == numbers["collaborators"]
    # Around four messages a ticket, every ticket with its description and its "created" event.
    assert 3.0 <= numbers["messages"] / N <= 5.5
    assert Ticket.objects.filter(messages__isnull=True).count() == 0
    assert TicketEvent.objects.filter(kind=EventKind.CREATED).count() == N
    scale = gen.scale_for(N)
    assert User.objects.filter(role=Role.CUSTOMER).count() == scale.customers
    assert User.objects.filter(role=Role.AGENT).count() == scale.agents
    assert User.objects.filter(role=Role.ADMIN).count() == scale.admins
    assert Organization.objects.count() == scale.organizations
    assert Team.objects.count() == scale.teams
    # Every status of the lifecycle shows up, priorities lean to normal, a few tags are hot.
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    priorities = Counter(Ticket.objects.values_list("priority", flat=True))
    assert priorities.most_common(1)[0][0] == "normal"
    tag_use = Counter(Ticket.tags.through.objects.values_list("tag__name", flat=True))
    assert tag_use.most_common(1)[0][0] in gen.HOT_TAGS


def test_requesters_are_skewed(generated):
    per_requester = sorted(Counter(Ticket.objects.values_list("requester_id", flat=True)).values())
    median = per_requester[len(per_requester) // 2]
    assert per_requester[-1] >= 2 * median


def test_people_and_groups_are_shaped_like_the_services_make_them(generated):
    for org in Organization.objects.select_related("group"):
        assert org.group.name == f"Organization: {org.name}"
        members = set(org.members.values_list("id", flat=True))
        in_group = set(org.group.user_set.values_list("id", flat=True))
        assert in_group == (members if org.share_tickets else set())
    assert Organization.objects.filter(share_tickets=True).exists()
    assert Organization.objects.filter(share_tickets=False).exists()
    for team in Team.objects.select_related("group"):
        assert team.group.name == f"Team: {team.name}"
        assert team.members.filter(ticket_scope=TicketScope.TEAMS).exists()
    everywhere = Group.objects.get(name=permissions.ALL_TICKETS_GROUP)
    assert set(everywhere.user_set.values_list("id", flat=True)) == set(
        User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.ALL).values_list("id", flat=True)
    )
    assert User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.TEAMS).exists()
    customer = User.objects.filter(role=Role.CUSTOMER).first()
    assert customer.check_password(gen.DEFAULT_PASSWORD)


def test_the_output_names_people_to_sign_in_as(generated):
    line = next(line for line in generated.splitlines() if line.startswith("sign in as "))
    emails = dict(part.split(": ") for part in line.removeprefix("sign in as ").split(" (password")[0].split(", "))
    busiest = Counter(Ticket.objects.values_list("requester__email", flat=True)).most_common(1)[0][1]
    customer = User.objects.get(email=emails["customer (many tickets)"])
    assert customer.requested_tickets.count() >= busiest // 2
    assert User.objects.get(email=emails["agent (all tickets)"]).ticket_scope == TicketScope.ALL
    assert User.objects.get(email=emails["agent (team only)"]).ticket_scope == TicketScope.TEAMS
    assert User.objects.get(email=emails["admin"]).is_admin
    assert customer.check_password(gen.DEFAULT_PASSWORD)


# --- access ----------------------------------------------------------------------------------


def test_permission_rows_are_those_of_a_new_ticket(generated):
    user_rows = defaultdict(set)
    for ticket_id, user_id, codename in TicketUserPermission.objects.values_list(
        "content_object_id", "user_id", "permission__codename"
    ):
        user_rows[ticket_id].add((user_id, codename))
    group_rows = defaultdict(set)
    for ticket_id, group_id, codename in TicketGroupPermission.objects.values_list(
        "content_object_id", "group_id", "permission__codename"
    ):
        group_rows[ticket_id].add((group_id, codename))
    for ticket in Ticket.objects.select_related("team", "organization", "requester").prefetch_related("collaborators"):
        expected_users, expected_groups = permissions.permission_rows_for_new_ticket(ticket)
        wanted_users = {(row.user_id, permissions.SOLVE) for row in expected_users}
        wanted_users |= {(c.pk, permissions.REPLY) for c in ticket.collaborators.all()}
        assert user_rows[ticket.pk] == wanted_users
        codenames = {ticket.team.group_id if ticket.team else None: permissions.WORK}
        wanted_groups = {(row.group_id, codenames.get(row.group_id, permissions.VIEW)) for row in expected_groups}
        assert group_rows[ticket.pk] == wanted_groups
        assert ticket.organization_id == ticket.requester.organization_id


def test_every_person_sees_exactly_what_the_permission_matrix_allows(generated):
    tickets = list(
        Ticket.objects.values("id", "requester_id", "team_id", "organization_id", "organization__share_tickets")
    )
    collaborations = defaultdict(set)
    for ticket_id, user_id in Ticket.collaborators.through.objects.values_list("ticket_id", "user_id"):
        collaborations[user_id].add(ticket_id)
    all_ids = {t["id"] for t in tickets}
    for customer in User.objects.filter(role=Role.CUSTOMER):
        expected = {t["id"] for t in tickets if t["requester_id"] == customer.pk} | collaborations[customer.pk]
        if customer.organization_id is not None and customer.organization.share_tickets:
            expected |= {t["id"] for t in tickets if t["organization_id"] == customer.organization_id}
        assert visible_ids(customer) == expected, customer
    for agent in User.objects.filter(role__in=[Role.AGENT, Role.ADMIN]):
        if agent.role == Role.ADMIN or agent.ticket_scope == TicketScope.ALL:
            assert visible_ids(agent) == all_ids
        else:
            teams = set(agent.teams.values_list("id", flat=True))
            assert visible_ids(agent) == {t["id"] for t in tickets if t["team_id"] in teams}
    # And the matrix is not vacuous: there are team tickets another team's agents cannot see.
    team_agents = User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.TEAMS)
    assert any(visible_ids(a) != all_ids for a in team_agents)
    requester = User.objects.get(pk=tickets[0]["requester_id"])
    assert visible_ids(requester) != all_ids


def test_organization_members_see_each_others_tickets_only_while_sharing(generated):
    org = (
        Organization.objects.filter(share_tickets=True, tickets__isnull=False)
        .annotate(people=Max("members__id"))
        .distinct()
        .first()
    )
    ticket = Ticket.objects.filter(organization=org).first()
    colleague = org.members.exclude(pk=ticket.requester_id).exclude(collaborating_tickets=ticket).first()
    assert colleague is not None
    assert ticket.pk in visible_ids(colleague)
    assert not permissions.can(colleague, permissions.Action.REPLY, ticket)
    account_services.organization_set_sharing(organization=org, share_tickets=False)
    colleague = User.objects.get(pk=colleague.pk)
    assert ticket.pk not in visible_ids(colleague)
    assert ticket.pk in visible_ids(User.objects.get(pk=ticket.requester_id))


def test_customers_never_get_internal_notes(generated):
    with_notes = Ticket.objects.filter(messages__internal=True).distinct()
    assert with_notes.exists()
    for ticket in with_notes[:40]:
        requester = ticket.requester
        shown = list(selectors.messages_for(requester, ticket))
        assert shown and not any(m.internal for m in shown)
        assert not selectors.events_for(requester, ticket).filter(public=False).exists()
        worker = permissions.agents_who_can_work(ticket.team).first()
        assert any(m.internal for m in selectors.messages_for(worker, ticket))


# --- consistency -----------------------------------------------------------------------------


def test_no_row_points_nowhere(generated):
    users = User.objects.values("id")
    tickets = Ticket.objects.values("id")
    assert not Ticket.objects.exclude(requester_id__in=users).exists()
    assert not Ticket.objects.filter(assignee__isnull=False).exclude(assignee_id__in=users).exists()
    assert not Ticket.objects.filter(team__isnull=False).exclude(team_id__in=Team.objects.values("id")).exists()
    assert (
        not Ticket.objects.filter(organization__isnull=False)
        .exclude(organization_id__in=Organization.objects.values("id"))
        .exists()
    )
    assert not Message.objects.exclude(ticket_id__in=tickets).exists()
    assert not Message.objects.exclude(author_id__in=users).exists()
    assert not TicketEvent.objects.exclude(ticket_id__in=tickets).exists()
    assert not TicketEvent.objects.filter(actor__isnull=False).exclude(actor_id__in=users).exists()
    assert not TicketUserPermission.objects.exclude(content_object_id__in=tickets).exists()
    assert not TicketGroupPermission.objects.exclude(group_id__in=Group.objects.values("id")).exists()
    assert not Ticket.tags.through.objects.exclude(tag_id__in=Tag.objects.values("id")).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


def test_lifecycle_timestamps_and_history_are_consistent(generated):
    messages = defaultdict(list)
    for m in Message.objects.select_related("author").order_by("created_at", "id"):
        messages[m.ticket_id].append(m)
    events = defaultdict(list)
    for e in TicketEvent.objects.order_by("created_at", "id"):
        events[e.ticket_id].append(e)
    for ticket in Ticket.objects.all():
        conversation, history = messages[ticket.pk], events[ticket.pk]
        assert ticket.created_at <= ticket.updated_at <= ANCHOR
        assert ticket.created_at >= ANCHOR - timedelta(days=gen.HISTORY_DAYS + 1)
        first = conversation[0]
        assert first.created_at == ticket.created_at and not first.internal
        assert first.author_id == ticket.created_by_id
        assert history[0].kind == EventKind.CREATED and history[0].data["message_id"] == first.pk
        assert history[0].data["requester"] == {"id": ticket.requester_id, "name": ticket.requester.name}
        # Last activity: SLA history (the system's, as the sweeper's breaches) is not activity.
        activity = [e for e in history if not e.kind.startswith("sla_")]
        assert ticket.updated_at == max(conversation[-1].created_at, activity[-1].created_at)
        for m in conversation:
            assert m.author_name == m.author.name and m.author_role == m.author.role
            assert not (m.internal and m.author_role == Role.CUSTOMER)
        agent_replies = [m for m in conversation[1:] if not m.internal and m.author_role != Role.CUSTOMER]
        assert ticket.first_response_at == (agent_replies[0].created_at if agent_replies else None)
        # Message events point at their message, notes privately.
        by_message = {
            e.data.get("message_id"): e for e in history if e.kind in (EventKind.MESSAGE_ADDED, EventKind.NOTE_ADDED)
        }
        for m in conversation[1:]:
            event = by_message[m.pk]
            assert event.kind == (EventKind.NOTE_ADDED if m.internal else EventKind.MESSAGE_ADDED)
            assert event.public is not m.internal and event.created_at == m.created_at
        # The status history is a walk along the transition table ending at the ticket's status.
        status = Status.OPEN
        for e in history:
            if e.kind == EventKind.STATUS_CHANGED:
                assert e.data["old"] == status and e.data["new"] in services.TRANSITIONS[status]
                status = e.data["new"]
        assert status == ticket.status
        assert (ticket.solved_at is not None) == (ticket.status in (Status.SOLVED, Status.CLOSED))
        assert (ticket.closed_at is not None) == (ticket.status == Status.CLOSED)
        assignments = [e for e in history if e.kind == EventKind.ASSIGNED]
        if assignments:
            assert assignments[-1].data["new"] == {"id": ticket.assignee_id, "name": ticket.assignee.name}
            assert permissions.can_work_team(ticket.assignee, ticket.team)
        else:
            assert ticket.assignee_id is None
        teams = [e for e in history if e.kind == EventKind.TEAM_CHANGED]
        assert bool(teams) == (ticket.team_id is not None)
        assert all(not e.public for e in teams)
        if teams:
            assert teams[-1].data == {"old": None, "new": {"id": ticket.team_id, "name": ticket.team.name}}


def test_event_data_has_the_shape_services_write(generated, customer, agent):
    made = services.ticket_create(
        actor=customer, subject="Shape check ticket", description="A description long enough."
    )
    services.ticket_claim(actor=agent, ticket=made)
    services.message_add(actor=agent, ticket=made, body="On it.")
    services.message_add(actor=agent, ticket=made, body="Private.", internal=True)
    real = {e.kind: e for e in TicketEvent.objects.filter(ticket=made)}
    for kind, event in real.items():
        generated_one = TicketEvent.objects.exclude(ticket=made).filter(kind=kind).first()
        assert generated_one is not None, kind
        assert set(generated_one.data) == set(event.data), kind
        assert generated_one.public == event.public, kind


def test_database_constraints_hold(generated):
    assert not Ticket.objects.filter(status=Status.CLOSED, closed_at__isnull=True).exists()
    assert not Ticket.objects.filter(~Q(status__in=Status.values)).exists()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs every deferred foreign-key check now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    ranks = {t.priority: t.priority_rank for t in Ticket.objects.all()}
    assert ranks.get("urgent", 0) == 0 and ranks["normal"] == 2


@pytest.mark.postgres
def test_foreign_key_triggers_accept_the_rows_when_they_run(db, monkeypatch):
    # Not skipping the triggers: every generated row goes through PostgreSQL's own checks.
    monkeypatch.setattr(gen.loader, "_may_skip_fk_triggers", lambda: False)
    run(tickets=120, seed=4)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert Ticket.objects.count() == 120


# --- running again, and working the tickets ------------------------------------------------------


def test_running_twice_adds_on_top_and_reuses_the_people(generated):
    people = User.objects.count(), Organization.objects.count(), Team.objects.count(), Group.objects.count()
    first = set(Ticket.objects.values_list("id", flat=True))
    messages = Message.objects.count()
    output = run(seed=2)
    assert Ticket.objects.count() == 2 * N
    assert Message.objects.count() == messages + summary_numbers(output)["messages"]
    assert (User.objects.count(), Organization.objects.count(), Team.objects.count(), Group.objects.count()) == people
    assert min(set(Ticket.objects.values_list("id", flat=True)) - first) > max(first)


def test_generated_tickets_can_be_worked_through_the_services(generated):
    ticket = Ticket.objects.filter(status=Status.OPEN, assignee__isnull=True, team__isnull=False).first()
    worker = User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.TEAMS, groups=ticket.team.group_id).first()
    claimed = services.ticket_claim(actor=worker, ticket=ticket)
    assert claimed.assignee_id == worker.pk and claimed.status == Status.IN_PROGRESS
    reply = services.message_add(actor=worker, ticket=claimed, body="Looking into it.", status=Status.PENDING)
    answer = services.message_add(actor=ticket.requester, ticket=Ticket.objects.get(pk=ticket.pk), body="Thanks!")
    assert reply.pk < answer.pk
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    closed = Ticket.objects.filter(status=Status.CLOSED).first()
    with pytest.raises(Conflict):
        services.message_add(actor=closed.requester, ticket=closed, body="Reopen please")
    # New rows after generated ones: the id sequences were moved past the generated ids.
    fresh = services.ticket_create(
        actor=ticket.requester, subject="After the generator", description="Twenty characters at least."
    )
    assert fresh.pk > max(Ticket.objects.exclude(pk=fresh.pk).values_list("id", flat=True))
    assert fresh.messages.get().pk > answer.pk


def test_same_seed_same_rows(db):
    people = gen.ensure_people(gen.scale_for(50), password=None)
    perm_ids, tag_ids = gen.ticket_permission_ids(), gen.ensure_tags()

    def rows():
        generator = gen.TicketGenerator(people, total=50, seed=9, anchor=ANCHOR, perm_ids=perm_ids, tag_ids=tag_ids)
        ids = dict.fromkeys(gen.TABLES, 1)
        return generator.batch(50, ids).rows

    first, second = rows(), rows()
    assert first == second
    other = gen.TicketGenerator(people, total=50, seed=10, anchor=ANCHOR, perm_ids=perm_ids, tag_ids=tag_ids)
    assert other.batch(50, dict.fromkeys(gen.TABLES, 1)).rows != first


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_loading_on_postgresql():
    output = run(tickets=250, seed=3, batch=60, workers=2)
    numbers = summary_numbers(output)
    assert Ticket.objects.count() == 250
    assert Message.objects.count() == numbers["messages"]
    assert TicketEvent.objects.count() == numbers["events"]
    with connection.cursor() as cursor:
        for model in (Ticket, Message, TicketEvent, TicketUserPermission, TicketGroupPermission):
            table = model._meta.db_table
            cursor.execute(f"SELECT last_value FROM {table}_id_seq")  # noqa: S608
            assert cursor.fetchone()[0] == model.objects.aggregate(top=Max("id"))["top"], table
    customer = User.objects.filter(role=Role.CUSTOMER, requested_tickets__isnull=False).first()
    made = services.ticket_create(
        actor=customer, subject="After parallel load", description="Twenty characters at least."
    )
    assert made.pk == 251 or made.pk > Ticket.objects.exclude(pk=made.pk).aggregate(top=Max("id"))["top"]
