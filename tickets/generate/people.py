"""The people of a generated desk: customers in organizations (some sharing tickets), agents in
teams (scope "all" or "teams") and admins, each a pure function of their index, so a run finds
the ones an earlier run made (by their email or name) and reuses them unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Role, Team, TicketScope, User
from tickets.generate.corpus import COMPANY_KINDS, COMPANY_WORDS, FIRST_NAMES, LAST_NAMES, TEAM_NAMES

DEFAULT_PASSWORD = "generated-password"  # noqa: S105 - synthetic accounts for benchmarks
CUSTOMER_DOMAIN = "customer.example"
STAFF_DOMAIN = "desk.example"
HISTORY_DAYS = 730  # how far back the generated history reaches
T = TypeVar("T")

# --- how many people for N tickets (issue 6: 1M tickets ~ 100k customers, 5k organizations,
# 200 agents, 20 teams), with floors so every kind of person exists for small N.


@dataclass(frozen=True)
class Scale:
    customers: int
    organizations: int
    agents: int
    teams: int
    admins: int


def scale_for(tickets: int) -> Scale:
    return Scale(
        customers=max(20, round(tickets / 10)),
        organizations=max(3, round(tickets / 200)),
        agents=max(6, round(tickets / 5_000)),
        teams=max(2, round(tickets / 50_000)),
        admins=max(1, round(tickets / 500_000)),
    )


def _person_name(index: int, salt: int) -> tuple[str, str]:
    first = FIRST_NAMES[(index * 7 + salt) % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 13 + index // len(FIRST_NAMES) + salt) % len(LAST_NAMES)]
    return first, last


def customer_email(index: int) -> str:
    first, last = _person_name(index, 0)
    return f"{first}.{last}.{index:06d}@{CUSTOMER_DOMAIN}".lower()


def agent_email(index: int) -> str:
    first, last = _person_name(index, 3)
    return f"{first}.{last}.agent{index:04d}@{STAFF_DOMAIN}".lower()


def admin_email(index: int) -> str:
    first, last = _person_name(index, 5)
    return f"{first}.{last}.admin{index:02d}@{STAFF_DOMAIN}".lower()


def organization_name(index: int) -> str:
    word = COMPANY_WORDS[index % len(COMPANY_WORDS)]
    other = COMPANY_WORDS[(index * 7 + 3) % len(COMPANY_WORDS)].lower()
    kind = COMPANY_KINDS[(index // len(COMPANY_WORDS)) % len(COMPANY_KINDS)]
    return f"{word}{other} {kind} {index + 1:05d}"


def team_name(index: int) -> str:
    base = TEAM_NAMES[index % len(TEAM_NAMES)]
    return f"{base} {index + 1:02d}"


def organization_shares(index: int) -> bool:
    """About 30% of organizations share tickets among their members (the first one always does)."""
    return index % 10 in (0, 4, 7)


def customer_organization(index: int, organizations: int) -> int | None:
    """Which organization customer ``index`` belongs to: ~14% none; big organizations first."""
    h = ((index + 1) * 2654435761 % 2**32) / 2**32
    if h < 0.14:
        return None
    u = (h - 0.14) / 0.86
    return min(organizations - 1, int(organizations * u * u))


@dataclass
class Agent:
    """A member of staff the stories let act. ``admin`` says which kind the generator made them
    (an admin, or an agent), to cast them; what they may do is ``tickets.permissions``' to say."""

    id: int
    name: str
    role: str  # copied into the rows as it is (``Message.author_role``)
    scope: str
    team_ids: list[int]
    person: str  # {"id", "name"} as JSON, the shape services write for people in events
    admin: bool


@dataclass
class People:
    customer_ids: list[int]
    customer_names: list[str]
    customer_org: list[int | None]  # organization id per customer
    org_group: dict[int, int]  # organization id -> group id
    org_members: dict[int, list[int]]  # organization id -> customer positions
    agents: list[Agent]
    teams: list[tuple[int, int, str]]  # (team id, group id, name)
    created: dict[str, int] = field(default_factory=dict)

    def customer_person(self, position: int) -> str:
        return person_json(self.customer_ids[position], self.customer_names[position])


def person_json(pk: int, name: str) -> str:
    """A person as the services write them into event data (``{"id", "name"}``), as JSON."""
    return json.dumps({"id": pk, "name": name})


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_emails(emails: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(emails, 5000):
        found.update(User.objects.filter(email__in=chunk).values_list("email", "id"))
    return found


def ensure_people(scale: Scale, *, password: str | None, log: Callable[[str], None] | None = None) -> People:
    """Create (once) and load the people that ``scale`` asks for. Safe to call again: existing
    ones, found by their deterministic email or name, are reused and never changed."""
    log = log or (lambda message: None)
    password_hash = make_password(password) if password else make_password(None)
    created = {"organizations": 0, "teams": 0, "agents": 0, "admins": 0, "customers": 0}

    # Organizations: in bulk, each with its group exactly as accounts.services.organization_create.
    org_names = [organization_name(i) for i in range(scale.organizations)]
    existing_orgs = {}
    for chunk in _chunks(org_names, 5000):
        existing_orgs.update({o.name: o for o in Organization.objects.filter(name__in=chunk)})
    missing = [(i, name) for i, name in enumerate(org_names) if name not in existing_orgs]
    if missing:
        with transaction.atomic():
            groups = Group.objects.bulk_create(
                [Group(name=f"Organization: {name}") for _, name in missing], batch_size=2000
            )
            new_orgs = Organization.objects.bulk_create(
                [
                    Organization(name=name, share_tickets=organization_shares(i), group=group)
                    for (i, name), group in zip(missing, groups, strict=True)
                ],
                batch_size=2000,
            )
        existing_orgs.update({o.name: o for o in new_orgs})
        created["organizations"] = len(new_orgs)
    orgs = [existing_orgs[name] for name in org_names]

    # Teams: few, through the service.
    teams = []
    for i in range(scale.teams):
        team = Team.objects.filter(name=team_name(i)).first()
        if team is None:
            team = account_services.team_create(
                name=team_name(i), description=f"{TEAM_NAMES[i % len(TEAM_NAMES)]} questions"
            )
            created["teams"] += 1
        teams.append(team)

    # Agents and admins: few, through the service (groups, scope and team memberships as usual).
    staff_emails = [agent_email(j) for j in range(scale.agents)] + [admin_email(k) for k in range(scale.admins)]
    existing_staff = _existing_emails(staff_emails)
    new_staff = []
    team_scoped = 0
    with transaction.atomic():
        for j in range(scale.agents):
            scope = TicketScope.ALL if j % 4 == 0 else TicketScope.TEAMS
            if scope == TicketScope.TEAMS:
                member_of = [teams[team_scoped % len(teams)]]
                if team_scoped % 5 == 4 and len(teams) > 1:
                    member_of.append(teams[(team_scoped + 1) % len(teams)])
                team_scoped += 1
            else:
                member_of = [teams[j % len(teams)]]
            if agent_email(j) in existing_staff:
                continue
            first, last = _person_name(j, 3)
            user = account_services.user_create(
                email=agent_email(j), name=f"{first} {last}", role=Role.AGENT, ticket_scope=scope, teams=member_of
            )
            new_staff.append(user.pk)
            created["agents"] += 1
        for k in range(scale.admins):
            if admin_email(k) in existing_staff:
                continue
            first, last = _person_name(k, 5)
            user = account_services.user_create(email=admin_email(k), name=f"{first} {last}", role=Role.ADMIN)
            new_staff.append(user.pk)
            created["admins"] += 1
        if new_staff:
            User.objects.filter(pk__in=new_staff).update(password=password_hash)

    # Customers: in bulk, with the sharing-group memberships accounts.services.user_create adds.
    emails = [customer_email(i) for i in range(scale.customers)]
    existing = _existing_emails(emails)
    missing_customers = [i for i, email in enumerate(emails) if email not in existing]
    if missing_customers:
        log(f"creating {len(missing_customers):,} customers")
        joined = timezone.now() - timedelta(days=HISTORY_DAYS + 30)
        for positions in _chunks(missing_customers, 10_000):
            with transaction.atomic():
                users = []
                for i in positions:
                    org_index = customer_organization(i, scale.organizations)
                    first, last = _person_name(i, 0)
                    users.append(
                        User(
                            email=emails[i],
                            name=f"{first} {last}",
                            role=Role.CUSTOMER,
                            ticket_scope=TicketScope.ALL,
                            organization=orgs[org_index] if org_index is not None else None,
                            password=password_hash,
                            date_joined=joined,
                        )
                    )
                users = User.objects.bulk_create(users, batch_size=2000)
                sharing = [
                    User.groups.through(user_id=user.pk, group_id=user.organization.group_id)
                    for user in users
                    if user.organization is not None and user.organization.share_tickets
                ]
                User.groups.through.objects.bulk_create(sharing, batch_size=5000)
                existing.update({user.email: user.pk for user in users})
        created["customers"] = len(missing_customers)

    # Load what the ticket generator needs.
    customer_ids: list[int] = []
    customer_names: list[str] = []
    customer_org: list[int | None] = []
    by_email: dict[str, tuple[str, int, str, int | None]] = {}
    for chunk in _chunks(emails, 5000):
        by_email.update(
            {
                row[0]: row
                for row in User.objects.filter(email__in=chunk).values_list("email", "id", "name", "organization_id")
            }
        )
    for email in emails:
        _, pk, name, org_id = by_email[email]
        customer_ids.append(pk)
        customer_names.append(name)
        customer_org.append(org_id)
    org_group = {o.pk: o.group_id for o in orgs}
    elsewhere = set(customer_org) - set(org_group) - {None}  # customers made by an earlier, larger run
    if elsewhere:
        org_group.update(Organization.objects.filter(pk__in=elsewhere).values_list("id", "group_id"))
    org_members: dict[int, list[int]] = {}
    for position, org_id in enumerate(customer_org):
        if org_id is not None:
            org_members.setdefault(org_id, []).append(position)

    staff = User.objects.filter(email__in=staff_emails).order_by("email")
    group_to_team = {t.group_id: t.pk for t in teams}
    memberships: dict[int, list[int]] = {}
    for user_id, group_id in User.groups.through.objects.filter(user__in=staff, group_id__in=group_to_team).values_list(
        "user_id", "group_id"
    ):
        memberships.setdefault(user_id, []).append(group_to_team[group_id])
    admins = {admin_email(k) for k in range(scale.admins)}
    agents = [
        Agent(
            u.pk,
            u.name,
            u.role,
            TicketScope.ALL if u.email in admins else u.ticket_scope,
            sorted(memberships.get(u.pk, [])),
            person_json(u.pk, u.name),
            u.email in admins,
        )
        for u in staff
    ]
    return People(
        customer_ids=customer_ids,
        customer_names=customer_names,
        customer_org=customer_org,
        org_group=org_group,
        org_members=org_members,
        agents=agents,
        teams=[(t.pk, t.group_id, t.name) for t in teams],
        created=created,
    )
