"""``generate``: the whole run of ``manage.py generate_tickets`` — people, tags, then stories
told and written batch by batch while earlier batches load."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.models import Permission
from django.utils import timezone
from tqdm import tqdm

from accounts.models import TicketScope, User
from tickets import permissions
from tickets.generate.corpus import HOT_TAGS, OTHER_TAGS
from tickets.generate.loader import loader_for
from tickets.generate.people import DEFAULT_PASSWORD, People, ensure_people, scale_for
from tickets.generate.rows import TicketGenerator
from tickets.generate.sla import ensure_sla
from tickets.models import Tag


@dataclass
class Summary:
    tickets: int = 0
    messages: int = 0
    events: int = 0
    user_permissions: int = 0
    group_permissions: int = 0
    tags: int = 0
    collaborators: int = 0
    sla_clocks: int = 0
    sla_events: int = 0  # of ``events``
    seconds: float = 0.0
    people: dict[str, int] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)  # a sign-in of each kind, for trying the data

    @property
    def permission_rows(self) -> int:
        return self.user_permissions + self.group_permissions

    @property
    def rows(self) -> int:
        return (
            self.tickets
            + self.messages
            + self.events
            + self.permission_rows
            + self.tags
            + self.collaborators
            + self.sla_clocks
        )

    def line(self) -> str:
        return (
            f"tickets={self.tickets} messages={self.messages} events={self.events} "
            f"permission_rows={self.permission_rows} (user={self.user_permissions} group={self.group_permissions}) "
            f"tags={self.tags} collaborators={self.collaborators} sla_clocks={self.sla_clocks} "
            f"sla_events={self.sla_events} elapsed={self.seconds:.1f}s"
        )


def ensure_tags() -> dict[str, int]:
    """The ids of the generated tags by name, made once."""
    names = list(HOT_TAGS) + list(OTHER_TAGS)
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def ticket_permission_ids() -> dict[str, int]:
    """The ids of the ticket permissions the generated guardian rows hold, by codename."""
    codenames = (permissions.VIEW, permissions.REPLY, permissions.SOLVE, permissions.WORK)
    rows = Permission.objects.filter(
        content_type__app_label="tickets", content_type__model="ticket", codename__in=codenames
    )
    found = dict(rows.values_list("codename", "id"))
    missing = set(codenames) - set(found)
    if missing:
        raise RuntimeError(f"Ticket permissions missing ({', '.join(sorted(missing))}): run manage.py migrate first.")
    return found


def _sample_logins(people: People, busiest_requester: int | None) -> dict[str, str]:
    wanted = {
        "agent (all tickets)": next((a.id for a in people.agents if not a.admin and a.scope == TicketScope.ALL), None),
        "agent (team only)": next((a.id for a in people.agents if a.scope == TicketScope.TEAMS), None),
        "admin": next((a.id for a in people.agents if a.admin), None),
        "customer (many tickets)": busiest_requester,
    }
    emails = dict(User.objects.filter(pk__in=[pk for pk in wanted.values() if pk]).values_list("id", "email"))
    return {label: emails[pk] for label, pk in wanted.items() if pk in emails}


def generate(
    tickets: int,
    *,
    seed: int = 0,
    batch_size: int = 10_000,
    workers: int = 2,
    password: str | None = DEFAULT_PASSWORD,
    anchor: datetime | None = None,
    progress: bool = True,
    log=None,
) -> Summary:
    """Add ``tickets`` synthetic tickets (and, once, the people they need). See the module doc.

    On PostgreSQL, ``workers`` connections load batches while the next ones are generated
    (0: everything on Django's connection; always so inside a transaction, as in tests).
    """
    began = time.monotonic()
    log = log or (lambda message: None)
    summary = Summary()
    if tickets <= 0:
        return summary
    if anchor is None:
        anchor = timezone.now().replace(second=0, microsecond=0)
    if timezone.is_naive(anchor):
        anchor = anchor.replace(tzinfo=UTC)
    scale = scale_for(tickets)
    people = ensure_people(scale, password=password, log=log)
    summary.people = people.created
    log(
        f"people: {len(people.customer_ids):,} customers in {scale.organizations:,} organizations, "
        f"{len(people.agents):,} agents and admins in {len(people.teams)} teams "
        f"(new: {', '.join(f'{v:,} {k}' for k, v in people.created.items())})"
    )
    perm_ids = ticket_permission_ids()
    tag_ids = ensure_tags()
    sla = ensure_sla(anchor, log=log)
    generator = TicketGenerator(
        people, total=tickets, seed=seed, anchor=anchor, perm_ids=perm_ids, tag_ids=tag_ids, sla=sla
    )
    loader = loader_for(workers=workers, references={"users": {agent.id for agent in people.agents}})
    next_ids = loader.next_ids()

    bar = tqdm(total=tickets, unit="tickets", unit_scale=True, file=sys.stderr, disable=not progress, smoothing=0.1)
    loading_began = time.monotonic()
    try:
        remaining = tickets
        while remaining:
            size = min(batch_size, remaining)
            batch = generator.batch(size, next_ids)
            loader.reserve(next_ids)
            loader.submit(batch)
            rows = batch.rows
            summary.tickets += len(rows["ticket"])
            summary.messages += len(rows["message"])
            summary.events += len(rows["event"])
            summary.user_permissions += len(rows["user_perm"])
            summary.group_permissions += len(rows["group_perm"])
            summary.tags += len(rows["tag"])
            summary.collaborators += len(rows["collaborator"])
            summary.sla_clocks += len(rows["sla_clock"])
            summary.sla_events += batch.sla_events
            remaining -= size
            del batch, rows
            bar.update(size)
            bar.set_postfix_str(
                f"{summary.rows / max(time.monotonic() - loading_began, 1e-6):,.0f} rows/s", refresh=False
            )
        loader.close()
    finally:
        bar.close()
    loader.finish()
    summary.logins = _sample_logins(people, generator.busiest_requester)
    summary.seconds = time.monotonic() - began
    return summary
