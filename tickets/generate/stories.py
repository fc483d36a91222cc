"""Ticket stories: who asks what, and what happens to the ticket until the anchor ("now").

A ``Story`` is one ticket told as the people who work it would: the requester (or an agent, for
tickets opened on the desk) files it, a triage agent routes it to a team, an agent claims it,
replies, writes internal notes, asks the requester and waits (pending), puts it on hold, solves
it; the requester answers, which reopens a pending ticket, or solves it themselves; solved tickets
close a few days later by the system. Status changes walk ``services.TRANSITIONS``.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, so a seed gives the same
stories. ``tickets.generate.rows`` turns stories into table rows; a test replays one through
``tickets.services`` to check that both write the same history and access.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final, NamedTuple, TypeVar

from accounts.models import TicketScope
from tickets.generate.corpus import (
    AGENT_REPLY_SENTENCES,
    CUSTOMER_REPLY_SENTENCES,
    DESCRIPTION_SENTENCES,
    HOT_TAGS,
    NOTE_SENTENCES,
    OTHER_TAGS,
    PLANS,
    SOLVE_SENTENCES,
    SUBJECTS,
    fill,
    paragraph,
)
from tickets.generate.people import HISTORY_DAYS, Agent, People

STATUS_BY_AGE = (
    # (max age in days, [(status, weight), ...])
    (3, (("open", 40), ("in_progress", 30), ("pending", 10), ("on_hold", 5), ("solved", 15))),
    (14, (("open", 12), ("in_progress", 15), ("pending", 12), ("on_hold", 6), ("solved", 25), ("closed", 30))),
    (10**9, (("open", 3), ("in_progress", 3), ("pending", 3), ("on_hold", 2), ("solved", 4), ("closed", 85))),
)
PRIORITIES = (("normal", 60), ("high", 20), ("low", 12), ("urgent", 8))
CATEGORIES = (
    ("technical", 28),
    ("billing", 22),
    ("account", 15),
    ("bug", 12),
    ("feature_request", 8),
    ("security", 3),
    ("other", 4),
    (None, 8),
)
CHANNELS = (("web", 60), ("email", 25), ("api", 10), ("agent", 5))
TAG_COUNTS = ((0, 30), (1, 35), (2, 20), (3, 10), (4, 5))
ROUNDS = ((0, 25), (1, 40), (2, 22), (3, 13))
HOUR = 3600.0
DAY = 86400.0


class Party(Enum):
    """Who acts in a step besides an agent."""

    REQUESTER = "requester"
    SYSTEM = "system"  # the auto-close job (``services.ticket_autoclose``)


REQUESTER: Final = Party.REQUESTER
SYSTEM: Final = Party.SYSTEM

# The kinds of step.
TEAM = "team"  # ``actor`` routes the ticket to the story's team
CLAIM = "claim"  # ``actor`` claims the ticket
STATUS = "status"  # ``actor`` moves it from ``old`` to ``new``
PRIORITY = "priority"  # ``actor`` changes the priority from ``old`` to ``new``
COLLABORATOR = "collaborator"  # ``actor`` shares the ticket with customer ``customer`` (a position)
REPLY = "reply"  # ``actor`` (an agent or the requester) writes ``body`` publicly
NOTE = "note"  # ``actor`` writes ``body`` as an internal note


class Step(NamedTuple):
    """One thing that happens to a ticket (the kinds and their fields are listed above)."""

    at: datetime
    kind: str
    actor: Agent | Party
    old: str | None = None  # STATUS, PRIORITY
    new: str | None = None  # STATUS, PRIORITY
    body: str = ""  # REPLY, NOTE
    customer: int | None = None  # COLLABORATOR


@dataclass(slots=True)
class Story:
    """One ticket's history. People are positions in ``People`` (customers) or ``Agent``s; the
    ticket's later state (status, priority, assignee, timestamps) follows from ``steps``."""

    created: datetime
    requester: int  # customer position
    creator: Agent | None  # the agent who opened it on the requester's behalf, if any
    subject: str
    description: str
    priority: str
    category: str | None
    channel: str
    team: tuple[int, int, str] | None  # (team id, group id, name), as in ``People.teams``
    plan: str | None  # metadata {"plan": ...}
    tags: list[int]  # tag ids
    collaborator: int | None  # customer position
    steps: list[Step]


T = TypeVar("T")


def picker(pairs: Sequence[tuple[T, float]], rng: random.Random) -> Callable[[], T]:
    """A function drawing one value of ``(value, weight)`` pairs from ``rng``."""
    values = [v for v, _ in pairs]
    cum = list(itertools.accumulate(w for _, w in pairs))
    total = cum[-1]
    rand = rng.random

    def pick() -> T:
        return values[bisect.bisect_right(cum, rand() * total)]

    return pick


class StoryTeller:
    """Tells the stories of ``total`` tickets spread over ``HISTORY_DAYS`` before ``anchor``,
    from one seeded random stream; ``stories(n)`` tells the next ``n``."""

    def __init__(self, people: People, *, total: int, seed: int, anchor: datetime, tag_ids: dict[str, int]):
        self.people = people
        self.total = total
        self.anchor = anchor
        self.start = anchor - timedelta(days=HISTORY_DAYS)
        self.span = (anchor - self.start).total_seconds()
        self.rng = rng = random.Random(seed)
        self.done = 0
        # Requesters: a clamped Zipf law over a seeded shuffle of the customers, so a few have
        # hundreds of tickets and most have one to three.
        count = len(people.customer_ids)
        order = list(range(count))
        rng.shuffle(order)
        flat = max(1, count // 500)
        weights = [0.0] * count
        for rank, position in enumerate(order):
            weights[position] = (max(rank, flat) + 10) ** -1.1
        self.requester_cum = list(itertools.accumulate(weights))
        self.busiest_requester = people.customer_ids[order[0]] if order else None
        # Tags: the hot ones dominate.
        names = list(HOT_TAGS) + list(OTHER_TAGS)
        self.tag_list = [tag_ids[name] for name in names]
        self.tag_cum = list(
            itertools.accumulate((rank + 1) ** -1.2 * (6 if rank < len(HOT_TAGS) else 1) for rank in range(len(names)))
        )
        # Teams get uneven shares of tickets.
        self.team_cum = list(itertools.accumulate((i + 1) ** -0.6 for i in range(len(people.teams))))
        # Who works what: team members plus every all-ticket agent; untriaged tickets only the latter.
        everywhere = [a for a in people.agents if a.scope == TicketScope.ALL and not a.admin]
        self.triage = everywhere or [a for a in people.agents if a.admin]
        self.workers: dict[int | None, list[Agent]] = {None: self.triage}
        for team_id, _, _ in people.teams:
            members = [a for a in people.agents if not a.admin and team_id in a.team_ids]
            self.workers[team_id] = [a for a in members if a.scope == TicketScope.TEAMS] * 3 + self.triage + members
        # Pools of text, drawn once: subjects and bodies are picked from them.
        cats = [c for c, _ in CATEGORIES]
        self.subjects = {c: [fill(rng.choice(SUBJECTS[c or "other"]), rng) for _ in range(4000)] for c in cats}
        self.descriptions = [paragraph(DESCRIPTION_SENTENCES, rng, 2, 5) for _ in range(4000)]
        self.customer_replies = [paragraph(CUSTOMER_REPLY_SENTENCES, rng, 1, 3) for _ in range(2000)]
        self.agent_replies = [paragraph(AGENT_REPLY_SENTENCES, rng, 1, 3) for _ in range(2000)]
        self.notes = [paragraph(NOTE_SENTENCES, rng, 1, 2) for _ in range(1000)]
        self.solve_replies = [
            paragraph(SOLVE_SENTENCES, rng, 1, 1) + " " + paragraph(AGENT_REPLY_SENTENCES, rng, 0, 1)
            for _ in range(500)
        ]
        self.pick_priority = picker(PRIORITIES, rng)
        self.pick_category = picker(CATEGORIES, rng)
        self.pick_channel = picker(CHANNELS, rng)
        self.pick_tag_count = picker(TAG_COUNTS, rng)
        self.pick_rounds = picker(ROUNDS, rng)
        self.pick_status = [(days, picker(pairs, rng)) for days, pairs in STATUS_BY_AGE]

    def stories(self, size: int) -> Iterator[Story]:
        """The next ``size`` stories, told one at a time (later ones are created later)."""
        requesters = self.rng.choices(range(len(self.requester_cum)), cum_weights=self.requester_cum, k=size)
        for position in requesters:
            yield self._story(position)
            self.done += 1

    def _story(self, rpos: int) -> Story:  # noqa: C901 - one story, told in order
        rng = self.rng
        rand = rng.random
        people = self.people

        # When: ids follow creation time; more tickets lately than two years ago.
        x = (self.done + rand()) / self.total
        created = self.start + timedelta(seconds=min(self.span * x**0.8, self.span - 120))
        room = (self.anchor - created).total_seconds() - 60
        age_days = room / DAY
        for days, pick in self.pick_status:
            if age_days < days:
                final = pick()
                break

        org_id = people.customer_org[rpos]
        channel = self.pick_channel()
        priority = self.pick_priority()
        category = self.pick_category()
        team = None
        if rand() < 0.92:
            team = people.teams[bisect.bisect_right(self.team_cum, rand() * self.team_cum[-1])]
        team_id = team[0] if team else None
        workers = self.workers[team_id]
        creator = rng.choice(workers) if channel == "agent" else None

        # The plot, as (seconds after creation, kind, actor, ...); squeezed to fit before "now".
        plot: list[tuple] = []
        t = 0.0
        status = "open"
        if team_id is not None and creator is None:
            t += rng.expovariate(1 / (0.5 * HOUR))
            plot.append((t, TEAM, rng.choice(self.triage)))
        touched = not (final == "open" and rand() < 0.55)
        collaborator = None
        if touched:
            assignee = rng.choice(workers)
            t += rng.expovariate(1 / (3 * HOUR))
            plot.append((t, CLAIM, assignee))
            plot.append((t, STATUS, assignee, "open", "in_progress"))
            status = "in_progress"
            if rand() < 0.05:
                new_priority = rng.choice(("high", "urgent")) if priority in ("normal", "low") else "normal"
                plot.append((t, PRIORITY, assignee, priority, new_priority))
            if org_id is not None and rand() < 0.02:
                colleagues = people.org_members[org_id]
                if len(colleagues) > 1:
                    collaborator = rng.choice(colleagues)
                    if collaborator == rpos:
                        collaborator = None
                    else:
                        plot.append((t, COLLABORATOR, assignee, collaborator))
            for _ in range(self.pick_rounds()):
                if rand() < 0.3:
                    t += rng.expovariate(1 / HOUR)
                    plot.append((t, NOTE, assignee if rand() < 0.8 else rng.choice(workers)))
                t += rng.expovariate(1 / (4 * HOUR))
                plot.append((t, REPLY, assignee))
                if status == "open":
                    plot.append((t, STATUS, assignee, status, "in_progress"))
                    status = "in_progress"
                if rand() < 0.4:
                    plot.append((t, STATUS, assignee, status, "pending"))
                    status = "pending"
                if rand() < 0.85:
                    t += rng.expovariate(1 / (10 * HOUR))
                    plot.append((t, REPLY, REQUESTER))
                    if status == "pending":
                        plot.append((t, STATUS, REQUESTER, status, "open"))
                        status = "open"
                else:
                    break
            t += rng.expovariate(1 / (6 * HOUR))
            if final == "open":
                if status != "open":
                    if status != "pending":
                        plot.append((t, REPLY, assignee))
                        plot.append((t, STATUS, assignee, status, "pending"))
                    t += rng.expovariate(1 / (10 * HOUR))
                    plot.append((t, REPLY, REQUESTER))
                    plot.append((t, STATUS, REQUESTER, "pending", "open"))
            elif final == "in_progress":
                if status != "in_progress":
                    plot.append((t, STATUS, assignee, status, "in_progress"))
            elif final == "pending":
                if status != "pending":
                    plot.append((t, REPLY, assignee))
                    plot.append((t, STATUS, assignee, status, "pending"))
            elif final == "on_hold":
                plot.append((t, NOTE, assignee))
                plot.append((t, STATUS, assignee, status, "on_hold"))
            else:  # solved or closed
                if rand() < 0.15:
                    plot.append((t, STATUS, REQUESTER, status, "solved"))
                else:
                    plot.append((t, "solve", assignee))
                    plot.append((t, STATUS, assignee, status, "solved"))
                if final == "closed":
                    t += rng.uniform(3 * DAY, 7 * DAY)
                    plot.append((t, STATUS, SYSTEM, "solved", "closed"))
        squeeze = min(1.0, room / t) if t > 0 else 1.0

        # The words, drawn after the plot (and in its order) so a seed keeps its stories.
        subject = rng.choice(self.subjects[category])
        description = rng.choice(self.descriptions)
        greeting = f"Hi {people.customer_names[rpos].split(' ')[0]},\n\n"
        steps: list[Step] = []
        for point in plot:
            at = created + timedelta(seconds=point[0] * squeeze)
            kind, actor = point[1], point[2]
            if kind == REPLY or kind == "solve":
                if actor is REQUESTER:
                    steps.append(Step(at, REPLY, actor, body=rng.choice(self.customer_replies)))
                else:
                    pool = self.agent_replies if kind == REPLY else self.solve_replies
                    body = f"{greeting}{rng.choice(pool)}\n\n{actor.name.split(' ')[0]}"
                    steps.append(Step(at, REPLY, actor, body=body))
            elif kind == NOTE:
                steps.append(Step(at, NOTE, actor, body=rng.choice(self.notes)))
            elif kind == COLLABORATOR:
                steps.append(Step(at, COLLABORATOR, actor, customer=point[3]))
            elif kind in (STATUS, PRIORITY):
                steps.append(Step(at, kind, actor, old=point[3], new=point[4]))
            else:
                steps.append(Step(at, kind, actor))
        plan = rng.choice(PLANS) if rand() < 0.2 else None
        tags = []
        tag_count = self.pick_tag_count()
        if tag_count:
            tags = list(set(rng.choices(self.tag_list, cum_weights=self.tag_cum, k=tag_count)))
        return Story(
            created=created,
            requester=rpos,
            creator=creator,
            subject=subject,
            description=description,
            priority=priority,
            category=category,
            channel=channel,
            team=team,
            plan=plan,
            tags=tags,
            collaborator=collaborator,
            steps=steps,
        )
