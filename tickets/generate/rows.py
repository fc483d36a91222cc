"""Stories as table rows: the rows ``tickets.services`` would write for the same history.

Per story: the ticket; the description as first message with its ``created`` event (and a
``team_changed`` event when an agent opened it for a team); then, in step order, each message
before its event and each change as the ``TicketEvent`` the service writes (same kind, data shape,
public flag, actor); the timestamps the services keep (``first_response_at``, ``solved_at``,
``closed_at``, ``updated_at`` = last activity, ``public_activity_at`` = last public activity); the guardian rows of
``permissions.permission_rows_for_new_ticket`` plus a reply row per collaborator; the tags; under
an SLA policy, its clocks and SLA history events (``tickets.generate.sla``), after the story's.
Rows are tuples in the column order of ``TABLES``, with ids handed out ascending.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tickets import permissions
from tickets.generate.people import Agent, People
from tickets.generate.sla import CLOCK_COLUMNS, ClockMaker, Desk
from tickets.generate.stories import (
    CLAIM,
    COLLABORATOR,
    NOTE,
    PRIORITIES,
    PRIORITY,
    REPLY,
    REQUESTER,
    STATUS,
    SYSTEM,
    TEAM,
    Story,
    StoryTeller,
)
from tickets.models import Message, Ticket, TicketEvent, TicketGroupPermission, TicketUserPermission
from tickets.sla.models import SlaClock

# Column order of every table written; ids first. GeneratedFields (priority_rank, status_rank)
# are computed by the database and never written.
TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "ticket": (
        Ticket,
        (
            "id",
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
            "created_at",
            "updated_at",
            "public_activity_at",
            "first_response_at",
            "solved_at",
            "closed_at",
            "sla_breach_at",
        ),
    ),
    "message": (
        Message,
        ("id", "ticket_id", "author_id", "author_name", "author_role", "body", "internal", "created_at"),
    ),
    "event": (TicketEvent, ("id", "ticket_id", "actor_id", "actor_name", "kind", "data", "public", "created_at")),
    "user_perm": (TicketUserPermission, ("id", "content_object_id", "user_id", "permission_id")),
    "group_perm": (TicketGroupPermission, ("id", "content_object_id", "group_id", "permission_id")),
    "tag": (Ticket.tags.through, ("id", "ticket_id", "tag_id")),
    "collaborator": (Ticket.collaborators.through, ("id", "ticket_id", "user_id")),
    "sla_clock": (SlaClock, CLOCK_COLUMNS),
}
JSON_COLUMNS = {"ticket": 6, "event": 5}  # written as JSON text (COPY); decoded for the ORM
_STATUSES = ("open", "in_progress", "pending", "on_hold", "solved", "closed")


def _autoclose_via() -> dict:
    from tickets.automations import default_autoclose

    automation = default_autoclose()
    return {"kind": "automation", "id": automation.pk, "name": automation.name}


class Batch:
    """The rows of some tickets, by table name."""

    def __init__(self):
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
        self.sla_events = 0  # of the event rows, how many are SLA history


class RowWriter:
    """Writes stories into a ``Batch`` (no randomness here: a story has it all)."""

    def __init__(self, people: People, *, perm_ids: dict[str, int], clocks: ClockMaker | None = None):
        self.people = people
        self.perm = perm_ids
        self.clocks = clocks
        self.team_event = {
            tid: json.dumps({"old": None, "new": {"id": tid, "name": name}}) for tid, _, name in people.teams
        }
        self.status_json = {(a, b): json.dumps({"old": a, "new": b}) for a in _STATUSES[:-1] for b in _STATUSES}
        self.priority_json = {(a, b): json.dumps({"old": a, "new": b}) for a, _ in PRIORITIES for b, _ in PRIORITIES}
        # The system closes solved tickets through the desk's auto-close automation: its events say so.
        self.system_close = json.dumps({"old": "solved", "new": "closed", "via": _autoclose_via()})

    def add(self, batch: Batch, story: Story, ids: dict[str, int]) -> None:  # noqa: C901 - one row kind per step kind
        """Append the rows of ``story``; ids start at ``ids`` (advanced in place)."""
        people = self.people
        rows = batch.rows
        tid = ids["ticket"]
        ids["ticket"] += 1
        rpos = story.requester
        requester_id = people.customer_ids[rpos]
        requester_name = people.customer_names[rpos]
        org_id = people.customer_org[rpos]
        team_id = story.team[0] if story.team is not None else None
        created = story.created

        # Rows, in the order services write them (message, then its events), ids ascending.
        messages = rows["message"]
        events = rows["event"]
        mid = ids["message"]
        eid = ids["event"]
        creator = story.creator
        if creator is None:
            author_id, author_name, author_role = requester_id, requester_name, "customer"
        else:
            author_id, author_name, author_role = creator.id, creator.name, creator.role
        messages.append((mid, tid, author_id, author_name, author_role, story.description, False, created))
        created_data = json.dumps(
            {
                "subject": story.subject,
                "status": "open",
                "priority": story.priority,
                "channel": story.channel,
                "requester": {"id": requester_id, "name": requester_name},
                "message_id": mid,
            }
        )
        events.append((eid, tid, author_id, author_name, "created", created_data, True, created))
        eid += 1
        mid += 1
        if creator is not None and team_id is not None:
            events.append(
                (eid, tid, creator.id, creator.name, "team_changed", self.team_event[team_id], False, created)
            )
            eid += 1
        status = "open"
        priority = story.priority
        assignee_id = None
        first_response = solved_at = closed_at = None
        at = public_at = created
        priorities = [(created, priority)]  # the priority from each moment on (SLA targets)
        replies: list[tuple[datetime, bool]] = []  # public replies: (when, by support)
        for step in story.steps:
            at = step.at
            kind = step.kind
            actor = step.actor
            if actor is REQUESTER:
                actor_id, actor_name, actor_role = requester_id, requester_name, "customer"
            elif actor is SYSTEM:
                actor_id, actor_name, actor_role = None, "System", None
            else:
                actor_id, actor_name, actor_role = actor.id, actor.name, actor.role
            if kind == REPLY:
                messages.append((mid, tid, actor_id, actor_name, actor_role, step.body, False, at))
                events.append((eid, tid, actor_id, actor_name, "message_added", f'{{"message_id": {mid}}}', True, at))
                mid += 1
                eid += 1
                replies.append((at, actor is not REQUESTER))
                if first_response is None and actor is not REQUESTER:
                    first_response = at
            elif kind == NOTE:
                messages.append((mid, tid, actor_id, actor_name, actor_role, step.body, True, at))
                events.append((eid, tid, actor_id, actor_name, "note_added", f'{{"message_id": {mid}}}', False, at))
                mid += 1
                eid += 1
            elif kind == STATUS:
                old, new = step.old, step.new
                assert old is not None and new is not None  # a status step has both
                status = new
                data = self.system_close if actor is SYSTEM else self.status_json[old, status]
                events.append((eid, tid, actor_id, actor_name, "status_changed", data, True, at))
                eid += 1
                if status == "solved":
                    solved_at = at
                elif status == "closed":
                    closed_at = at
                elif old == "solved":
                    solved_at = None
            elif kind == CLAIM:
                assert isinstance(actor, Agent)  # only agents claim
                data = f'{{"old": null, "new": {actor.person}, "claimed": true}}'
                events.append((eid, tid, actor_id, actor_name, "assigned", data, True, at))
                eid += 1
                assignee_id = actor_id
            elif kind == TEAM:
                assert team_id is not None  # a story is only routed to its team
                events.append((eid, tid, actor_id, actor_name, "team_changed", self.team_event[team_id], False, at))
                eid += 1
            elif kind == PRIORITY:
                old, new = step.old, step.new
                assert old is not None and new is not None  # a priority step has both
                priority = new
                priorities.append((at, new))
                data = self.priority_json[old, priority]
                events.append((eid, tid, actor_id, actor_name, "priority_changed", data, True, at))
                eid += 1
            elif kind == COLLABORATOR:
                assert step.customer is not None  # a collaborator step names the customer
                person = people.customer_person(step.customer)
                events.append((eid, tid, actor_id, actor_name, "collaborator_added", f'{{"user": {person}}}', True, at))
                eid += 1
            if kind != NOTE and kind != TEAM:  # every other step writes a public event
                public_at = at
        ids["message"] = mid
        ids["event"] = eid
        breach_at = None
        if self.clocks is not None:
            clock_rows, sla_events, breach_at = self.clocks.rows(
                ids,
                ticket_id=tid,
                category=story.category,
                created=created,
                priorities=priorities,
                replies=replies,
                finished=solved_at or closed_at,
            )
            rows["sla_clock"].extend(clock_rows)
            events.extend(sla_events)
            batch.sla_events += len(sla_events)

        rows["ticket"].append(
            (
                tid,
                story.subject,
                status,
                priority,
                story.category,
                story.channel,
                f'{{"plan": "{story.plan}"}}' if story.plan is not None else "{}",
                requester_id,
                creator.id if creator is not None else requester_id,
                assignee_id,
                team_id,
                org_id,
                created,
                at,
                public_at,
                first_response,
                solved_at,
                closed_at,
                breach_at,
            )
        )

        # Access, as permission_rows_for_new_ticket (+ grant_collaborator).
        perm = self.perm
        rows["user_perm"].append((ids["user_perm"], tid, requester_id, perm[permissions.SOLVE]))
        ids["user_perm"] += 1
        if story.team is not None:
            rows["group_perm"].append((ids["group_perm"], tid, story.team[1], perm[permissions.WORK]))
            ids["group_perm"] += 1
        if org_id is not None:
            rows["group_perm"].append((ids["group_perm"], tid, people.org_group[org_id], perm[permissions.VIEW]))
            ids["group_perm"] += 1
        if story.collaborator is not None:
            collaborator_id = people.customer_ids[story.collaborator]
            rows["user_perm"].append((ids["user_perm"], tid, collaborator_id, perm[permissions.REPLY]))
            ids["user_perm"] += 1
            rows["collaborator"].append((ids["collaborator"], tid, collaborator_id))
            ids["collaborator"] += 1

        for tag_id in story.tags:
            rows["tag"].append((ids["tag"], tid, tag_id))
            ids["tag"] += 1


class TicketGenerator:
    """Makes the rows of ``total`` tickets, batch by batch, from one seeded random stream."""

    def __init__(
        self,
        people: People,
        *,
        total: int,
        seed: int,
        anchor: datetime,
        perm_ids: dict[str, int],
        tag_ids: dict[str, int],
        sla: Desk | None = None,
    ):
        self.teller = StoryTeller(people, total=total, seed=seed, anchor=anchor, tag_ids=tag_ids)
        clocks = ClockMaker(sla, anchor) if sla is not None else None
        self.writer = RowWriter(people, perm_ids=perm_ids, clocks=clocks)

    @property
    def busiest_requester(self) -> int | None:
        return self.teller.busiest_requester

    def batch(self, size: int, next_ids: dict[str, int]) -> Batch:
        """The rows of the next ``size`` tickets; ids start at ``next_ids`` (updated in place)."""
        batch = Batch()
        add = self.writer.add
        for story in self.teller.stories(size):
            add(batch, story, next_ids)
        return batch
