"""The generator and the services write the same tickets: one generated story, written once by the
generator (COPY on PostgreSQL, ``bulk_create`` elsewhere) and once replayed step by step through
``tickets.services``, must end up with the same history, conversation, fields and access.

The replay runs in real time; every timestamp it writes is mapped back to the story time of the
step whose service call wrote it, so both tickets are compared on the story's clock. Ids are
compared as people (the same users act in both) and as positions in the conversation. What the
services do after commit (notifications, mail, cache invalidation) is not part of the written
ticket: the test's transaction never commits, and the generator writes history, not announcements.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role, Team, User
from tickets import generate as gen
from tickets import permissions, services
from tickets.generate import stories
from tickets.models import (
    Channel,
    Message,
    SearchDocument,
    Ticket,
    TicketEvent,
    TicketGroupPermission,
    TicketUserPermission,
)

ANCHOR = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TICKETS = 2_000  # the desk's size: 200 customers in 10 organizations, 6 agents in 2 teams, an admin


def kinds(story: gen.Story) -> set[str]:
    return {step.kind for step in story.steps}


def status_steps(story: gen.Story, actor: stories.Party | None = None) -> list[gen.Step]:
    return [s for s in story.steps if s.kind == stories.STATUS and (actor is None or s.actor is actor)]


# Stories worth replaying, one per test: together they take every kind of step and actor.
WANTED: dict[str, Callable[[gen.Story], bool]] = {
    "routed, worked, reopened by a reply, closed by the system": lambda s: (
        {stories.TEAM, stories.CLAIM, stories.NOTE, stories.REPLY} <= kinds(s)
        and any(step.new == "open" for step in status_steps(s, stories.REQUESTER))
        and any(step.new == "closed" for step in status_steps(s, stories.SYSTEM))
    ),
    "shared with a colleague": lambda s: stories.COLLABORATOR in kinds(s),
    "priority changed": lambda s: stories.PRIORITY in kinds(s),
    "opened by an agent for a team": lambda s: s.creator is not None and s.team is not None and bool(s.steps),
    "solved by the requester": lambda s: any(step.new == "solved" for step in status_steps(s, stories.REQUESTER)),
    "on hold": lambda s: bool(status_steps(s)) and status_steps(s)[-1].new == "on_hold",
    "untouched, no team": lambda s: not s.steps and s.team is None and s.plan is not None,
}


@pytest.fixture
def desk(db):
    people = gen.ensure_people(gen.scale_for(TICKETS), password=None)
    return people, gen.ticket_permission_ids(), gen.ensure_tags()


def find_story(people: gen.People, tag_ids: dict[str, int], wanted: Callable[[gen.Story], bool]) -> gen.Story:
    teller = gen.StoryTeller(people, total=TICKETS, seed=5, anchor=ANCHOR, tag_ids=tag_ids)
    found = next((story for story in teller.stories(TICKETS) if wanted(story)), None)
    assert found is not None, "no such story in this seed; widen the search"
    return found


def write_generated(story: gen.Story, people: gen.People, perm_ids: dict[str, int]) -> int:
    """The generator's write path for one story; returns the ticket id."""
    loader = gen.loader_for(workers=0, references={"users": {agent.id for agent in people.agents}})
    ids = loader.next_ids()
    ticket_id = ids["ticket"]
    batch = gen.Batch()
    gen.RowWriter(people, perm_ids=perm_ids).add(batch, story, ids)
    loader.reserve(ids)
    loader.submit(batch)
    loader.close()
    loader.finish()
    return ticket_id


class Replay:
    """Tells a story through the services, remembering which story time each call stands for."""

    def __init__(self, story: gen.Story, people: gen.People, tag_ids: dict[str, int]):
        self.story = story
        self.people = people
        self.tag_names = {pk: name for name, pk in tag_ids.items()}
        self.windows: list[tuple[datetime, datetime, datetime]] = []
        self.requester = self.customer(story.requester)

    def customer(self, position: int) -> User:
        return User.objects.get(pk=self.people.customer_ids[position])

    def user(self, actor: gen.Agent | Literal[stories.Party.REQUESTER]) -> User:
        if actor is stories.REQUESTER:
            return self.requester
        return User.objects.get(pk=actor.id)

    def at(self, when: datetime, call: Callable[[], Any]) -> Any:
        start = timezone.now()
        result = call()
        self.windows.append((start, timezone.now(), when))
        return result

    def story_time(self, written: datetime | None) -> datetime | None:
        if written is None:
            return None
        for start, end, when in self.windows:
            if start <= written <= end:
                return when
        raise AssertionError(f"{written} was written outside every replayed step")

    def run(self) -> int:
        story = self.story
        creator = self.user(story.creator) if story.creator is not None else None
        opened = self.at(
            story.created,
            lambda: services.ticket_create(
                actor=creator or self.requester,
                subject=story.subject,
                description=story.description,
                priority=story.priority,
                category=story.category,
                # The door a customer's ticket came through (portal, API, mail), or what staff record.
                via=story.channel if creator is None else Channel.WEB,
                channel=story.channel if creator is not None else None,
                tags=[self.tag_names[pk] for pk in story.tags],
                metadata={"plan": story.plan} if story.plan is not None else None,
                requester=self.requester if creator is not None else None,
                team=Team.objects.get(pk=story.team[0]) if creator is not None and story.team else None,
            ),
        )
        for step in story.steps:
            self.at(step.at, partial(self.step, opened.pk, step))
        return opened.pk

    def step(self, ticket_id: int, step: gen.Step) -> None:
        ticket = Ticket.objects.get(pk=ticket_id)
        if step.actor is stories.SYSTEM:
            # The system only closes solved tickets (the auto-close job).
            assert step.kind == stories.STATUS
            assert services.ticket_autoclose(now=timezone.now(), days=0) == 1
            return
        actor = self.user(step.actor)
        if step.kind == stories.TEAM:
            assert self.story.team is not None
            services.ticket_update(actor=actor, ticket=ticket, team=Team.objects.get(pk=self.story.team[0]))
        elif step.kind == stories.CLAIM:
            services.ticket_claim(actor=actor, ticket=ticket)
        elif step.kind == stories.STATUS:
            # A no-op where the step before already made the change (a claim, a requester's reply).
            assert step.new is not None
            services.ticket_change_status(actor=actor, ticket=ticket, status=step.new)
        elif step.kind == stories.PRIORITY:
            assert step.new is not None
            services.ticket_update(actor=actor, ticket=ticket, priority=step.new)
        elif step.kind == stories.COLLABORATOR:
            assert step.customer is not None
            services.collaborator_add(actor=actor, ticket=ticket, email=self.customer(step.customer).email)
        elif step.kind in (stories.REPLY, stories.NOTE):
            services.message_add(actor=actor, ticket=ticket, body=step.body, internal=step.kind == stories.NOTE)
        else:
            raise AssertionError(f"no service replays a {step.kind!r} step")


def snapshot(ticket_id: int, when: Callable[[datetime | None], datetime | None]) -> dict[str, Any]:
    """What a ticket is, without its ids: fields, conversation, history, access rows."""
    ticket = Ticket.objects.get(pk=ticket_id)
    messages = list(Message.objects.filter(ticket=ticket).order_by("id"))
    position = {m.pk: i for i, m in enumerate(messages)}

    def data(event: TicketEvent) -> dict:
        shaped = dict(event.data)
        if "message_id" in shaped:
            shaped["message_id"] = ("message", position[shaped["message_id"]])
        return shaped

    fields = [
        "subject",
        "status",
        "priority",
        "category",
        "channel",
        "metadata",
        "requester_id",
        "created_by_id",
        "assignee_id",
        "team_id",
        "organization_id",
    ]
    stamps = ["created_at", "updated_at", "first_response_at", "solved_at", "closed_at"]
    search = None
    if connection.vendor == "postgresql":
        search = list(SearchDocument.objects.filter(ticket=ticket).values_list("public", "internal"))
    return {
        "fields": {name: getattr(ticket, name) for name in fields},
        "timestamps": {name: when(getattr(ticket, name)) for name in stamps},
        "tags": sorted(ticket.tags.values_list("name", flat=True)),
        "collaborators": sorted(ticket.collaborators.values_list("id", flat=True)),
        "messages": [
            (m.author_id, m.author_name, m.author_role, m.body, m.internal, when(m.created_at)) for m in messages
        ],
        "events": [
            (e.kind, e.actor_id, e.actor_name, data(e), e.public, when(e.created_at))
            for e in TicketEvent.objects.filter(ticket=ticket).order_by("id")
        ],
        "user_permissions": sorted(
            TicketUserPermission.objects.filter(content_object=ticket).values_list("user_id", "permission__codename")
        ),
        "group_permissions": sorted(
            TicketGroupPermission.objects.filter(content_object=ticket).values_list("group_id", "permission__codename")
        ),
        "search_document": search,
    }


def access(ticket_id: int, people: list[User]) -> dict[tuple[str, str], bool]:
    """Every action for every person, and whether the ticket is in their lists."""
    decided: dict[tuple[str, str], bool] = {}
    for person in people:
        user = User.objects.get(pk=person.pk)  # no access cached from an earlier ticket
        ticket = Ticket.objects.get(pk=ticket_id)
        for action in permissions.Action:
            decided[person.email, action] = permissions.can(user, action, ticket)
        decided[person.email, "listed"] = permissions.visible_tickets(user).filter(pk=ticket_id).exists()
    return decided


def personas(story: gen.Story, people: gen.People) -> list[User]:
    """The requester, the collaborator, organization colleagues, outsiders, and all the staff."""
    requester = User.objects.get(pk=people.customer_ids[story.requester])
    customers = User.objects.filter(role=Role.CUSTOMER).order_by("id")
    colleagues = customers.filter(organization=requester.organization_id).exclude(pk=requester.pk)[:3]
    outsiders = customers.exclude(organization=requester.organization_id).exclude(organization=None)[:2]
    unorganized = customers.filter(organization=None)[:1]
    chosen = [requester, *colleagues, *outsiders, *unorganized]
    if story.collaborator is not None:
        chosen.append(User.objects.get(pk=people.customer_ids[story.collaborator]))
    chosen += list(User.objects.exclude(role=Role.CUSTOMER).order_by("id"))
    return list({u.pk: u for u in chosen}.values())


@pytest.mark.parametrize("case", WANTED)
def test_a_generated_story_replayed_through_the_services_writes_the_same_ticket(desk, case):
    people, perm_ids, tag_ids = desk
    story = find_story(people, tag_ids, WANTED[case])
    generated = write_generated(story, people, perm_ids)
    replay = Replay(story, people, tag_ids)
    replayed = replay.run()

    expected = snapshot(generated, lambda stamp: stamp)
    actual = snapshot(replayed, replay.story_time)
    for part in expected:
        assert actual[part] == expected[part], part
    # Not vacuous: the story shows in the history, and both tickets are really there.
    assert len(expected["events"]) >= 1 + len([s for s in story.steps if s.kind != stories.STATUS])
    assert generated != replayed

    who = personas(story, people)
    assert access(replayed, who) == access(generated, who)
    requester = who[0]
    assert permissions.can(requester, permissions.Action.VIEW, Ticket.objects.get(pk=generated))
