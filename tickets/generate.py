"""Synthetic tickets at scale, for benchmarks and demos (``manage.py generate_tickets``).

The rows written here are the rows ``tickets.services`` would write for the same history, so
the portal, the agent queue, the API and the statistics work on them exactly as on real ones:

- people: customers in organizations (some sharing tickets), agents in teams (scope "all" or
  "teams"), an admin; teams and organizations with their linked Django groups and the sharing
  group memberships that ``accounts.services`` keeps;
- per ticket: the description as first message, then claims, public replies, internal notes,
  status changes along ``services.TRANSITIONS``, with ``TicketEvent`` rows shaped like the
  services' ones, consistent timestamps (``first_response_at``, ``solved_at``, ``closed_at``,
  ``updated_at`` = last activity) and the guardian rows of
  ``permissions.permission_rows_for_new_ticket`` (plus a reply row per collaborator).

Tickets are generated and written batch by batch (memory stays flat whatever N is). On
PostgreSQL each batch goes in with COPY under ids reserved from each table's identity sequence;
elsewhere with ``bulk_create``. Everything drawn comes from one ``random.Random(seed)``, and the
people are a pure function of their index, so a run is reproducible for a given seed and anchor.
"""

from __future__ import annotations

import bisect
import itertools
import json
import queue
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts import services as account_services
from accounts.models import Organization, Role, Team, TicketScope, User
from tickets import permissions, search
from tickets.models import Message, Tag, Ticket, TicketEvent, TicketGroupPermission, TicketUserPermission

DEFAULT_PASSWORD = "generated-password"  # noqa: S105 - synthetic accounts for benchmarks
CUSTOMER_DOMAIN = "customer.example"
STAFF_DOMAIN = "desk.example"
HISTORY_DAYS = 730

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


# --- words -----------------------------------------------------------------------------------
# fmt: off


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Grace Linus Margaret Ken Barbara Dennis Frances Edsger Radia John Hedy Tim Katherine Donald "
    "Karen Guido Sophie Bjarne Anita Niklaus Mary Claude Jean Ivan Lynn Vint Shafi Leslie Joan Fernando "
    "Adele Butler Erna Rosalind Marvin Carol Seymour Elena Tomas Ingrid Pedro Yuki Amara Chen Priya Omar "
    "Lucia Mateo Zainab Nils Aiko Kwame Sven Ines Dmitri Noor Hana Felix"
)
LAST_NAMES = _words(
    "Lovelace Turing Hopper Torvalds Hamilton Thompson Liskov Ritchie Allen Dijkstra Perlman Backus "
    "Lamarr Berners Johnson Knuth Jones Rossum Wilson Stroustrup Borg Wirth Keller Shannon Sammet "
    "Sutherland Conway Cerf Goldwasser Lamport Clarke Corbato Goldberg Lampson Schwarz Franklin Minsky "
    "Shaw Papert Okafor Novak Berg Alvarez Tanaka Mensah Larsen Costa Petrov Haddad Kim Weber Moreau "
    "Rossi Silva Nakamura Ivanova Fischer Dubois Santos Kowalski"
)
COMPANY_WORDS = _words(
    "North Blue Silver Iron Bright Green Red Oak Pine Cedar River Stone Cloud Star Sun Harbor Summit "
    "Maple Quartz Falcon Lumen Nova Vertex Atlas Delta Orbit Pixel Prism Copper Granite"
)
COMPANY_KINDS = _words(
    "Logistics Systems Labs Retail Foods Health Media Bank Energy Studios Partners Travel Robotics "
    "Insurance Software Analytics Motors Books Games Clinics"
)
TEAM_NAMES = _words(
    "Billing Technical Accounts Onboarding Enterprise Security Integrations Mobile Payments Shipping "
    "Returns Compliance Platform Data Partners Education Hardware Localization Escalations Success"
)
PLANS = ("free", "starter", "pro", "business", "enterprise")
FEATURES = (
    "dashboard", "invoice", "report", "export", "calendar", "inbox", "search", "checkout", "profile",
    "settings", "analytics", "upload", "notifications", "billing", "API", "mobile app", "SSO", "webhook",
)
OBJECTS = (
    "invoices", "orders", "projects", "users", "contacts", "files", "payments", "subscriptions",
    "reports", "comments", "tasks", "teams", "products", "shipments",
)
INTEGRATIONS = ("Slack", "Salesforce", "Zapier", "Shopify", "Google Drive", "Jira", "GitHub", "Stripe", "HubSpot")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
SUBJECTS = {
    "billing": (
        "Invoice {n} shows the wrong amount", "Charged twice for the {plan} plan", "Refund for order {n}",
        "Cannot download the invoice for {month}", "VAT number missing on invoice {n}",
        "Card declined when upgrading to {plan}", "Question about the {month} bill",
    ),
    "technical": (
        "The {feature} page does not load", "Error 500 when saving {object}", "Sync with {integration} stopped",
        "{feature} is slow since the last update", "Export of {object} is empty",
        "Webhooks to {integration} time out", "Import of {object} fails at row {n}",
    ),
    "account": (
        "Cannot log in after a password reset", "Two-factor codes are not accepted", "Please change our account owner",
        "Add a new user to our account", "Locked out after too many attempts", "Change of email address",
        "Close the account of a former colleague",
    ),
    "feature_request": (
        "Allow filtering {object} in the {feature}", "Dark mode for the {feature}", "Bulk edit for {object}",
        "API endpoint for {object}", "Connect {feature} to {integration}",
    ),
    "bug": (
        "The {feature} shows {object} twice", "Wrong time zone on {object}", "Save button on {feature} does nothing",
        "Date picker is off by one day", "{integration} link opens the wrong page", "Typo on the {feature} page",
    ),
    "security": (
        "Suspicious sign-in from an unknown location", "Please rotate our API key", "Possible XSS in the {feature}",
        "Request for the security report", "Unknown device on our account",
    ),
    "other": (
        "Question about the {feature}", "Feedback on onboarding", "Where do I find {object}?",
        "Thanks for the quick help", "Meeting request about the {plan} plan",
    ),
}
DESCRIPTION_SENTENCES = (
    "Since this morning the {feature} page only shows a spinner.",
    "We tried it in two browsers and on the {integration} side too, with the same result.",
    "Our team of {n} people depends on this for the {month} closing.",
    "The error message says something about a timeout.",
    "I already cleared the cache and signed out and in again.",
    "It worked fine last week before the update.",
    "Attached is what we see, the numbers for {object} do not add up.",
    "Could you please look into it as soon as possible?",
    "This blocks our work with {object}, so any workaround would help.",
    "We are on the {plan} plan, account number {n}.",
    "Steps: open the {feature}, choose {object}, press save.",
    "Nothing has changed on our side as far as I know.",
)
CUSTOMER_REPLY_SENTENCES = (
    "Thanks, I tried that but it still happens.",
    "That worked, thank you!",
    "Here is the extra information you asked for: account {n}.",
    "It happens for {object} only, not for the rest.",
    "Any news on this? Our {month} deadline is close.",
    "I can confirm it is fixed on our side now.",
    "Sorry for the late answer, I was away.",
    "A colleague sees the same problem on the {feature} page.",
)
AGENT_REPLY_SENTENCES = (
    "Thanks for reporting this, I am looking into it now.",
    "Could you tell us which browser and version you use?",
    "We found the cause and deployed a fix; could you try again?",
    "I have passed this on to our {feature} specialists.",
    "As a workaround you can export the {object} from the reports page.",
    "I have refunded the duplicate charge; it shows within five days.",
    "Your account settings look right to me.",
    "I will keep this ticket open until you confirm.",
    "The {integration} connection needed a new token; it is renewed now.",
)
NOTE_SENTENCES = (
    "Reproduced on staging with {object}.",
    "Looks like the known issue with {integration}, see the engineering board.",
    "Customer is on the {plan} plan, priority support applies.",
    "Checked the logs: timeouts between 09:00 and 09:20.",
    "Asked engineering for an estimate.",
    "Second report this week about the {feature}.",
    "Refund approved by finance.",
)
SOLVE_SENTENCES = (
    "The fix is live now; I will mark this ticket solved.",
    "Glad it works again. I am closing this as solved, reply if anything comes up.",
    "This is sorted now; thanks for your patience.",
)
HOT_TAGS = ("billing", "login", "refund", "bug", "urgent-customer")
OTHER_TAGS = tuple(
    f"{word}-{kind}"
    for word in ("api", "mobile", "export", "invoice", "sso", "webhook", "import", "sync", "report", "upload")
    for kind in ("error", "slow", "question", "request", "regression", "docs")
) + ("vip", "churn-risk", "enterprise", "trial", "gdpr", "outage", "duplicate", "feedback", "how-to", "onboarding")
# fmt: on


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.randrange(1000, 99999),
        plan=rng.choice(PLANS),
        month=rng.choice(MONTHS),
        feature=rng.choice(FEATURES),
        object=rng.choice(OBJECTS),
        integration=rng.choice(INTEGRATIONS),
    )


def _paragraph(sentences: tuple[str, ...], rng: random.Random, low: int, high: int) -> str:
    return " ".join(_fill(rng.choice(sentences), rng) for _ in range(rng.randint(low, high)))


# --- people ----------------------------------------------------------------------------------


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
    id: int
    name: str
    role: str
    scope: str
    team_ids: list[int]
    person: str  # {"id", "name"} as JSON, the shape services write for people in events


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
        return _person_json(self.customer_ids[position], self.customer_names[position])


def _person_json(pk: int, name: str) -> str:
    return json.dumps({"id": pk, "name": name})


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_emails(emails: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(emails, 5000):
        found.update(User.objects.filter(email__in=chunk).values_list("email", "id"))
    return found


def ensure_people(scale: Scale, *, password: str | None, log=None) -> People:
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
        for chunk in _chunks(missing_customers, 10_000):
            with transaction.atomic():
                users = []
                for i in chunk:
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
                memberships = [
                    User.groups.through(user_id=user.pk, group_id=user.organization.group_id)
                    for user in users
                    if user.organization is not None and user.organization.share_tickets
                ]
                User.groups.through.objects.bulk_create(memberships, batch_size=5000)
                existing.update({user.email: user.pk for user in users})
        created["customers"] = len(missing_customers)

    # Load what the ticket generator needs.
    customer_ids, customer_names, customer_org = [], [], []
    by_email = {}
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
    agents = [
        Agent(
            u.pk,
            u.name,
            u.role,
            TicketScope.ALL if u.role == Role.ADMIN else u.ticket_scope,
            sorted(memberships.get(u.pk, [])),
            _person_json(u.pk, u.name),
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


# --- the rows --------------------------------------------------------------------------------

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
            "first_response_at",
            "solved_at",
            "closed_at",
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
}
JSON_COLUMNS = {"ticket": 6, "event": 5}

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


def _picker(pairs, rng: random.Random):
    values = [v for v, _ in pairs]
    cum = list(itertools.accumulate(w for _, w in pairs))
    total = cum[-1]
    rand = rng.random

    def pick():
        return values[bisect.bisect_right(cum, rand() * total)]

    return pick


class Batch:
    def __init__(self):
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLES}

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


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
    ):
        self.people = people
        self.total = total
        self.anchor = anchor
        self.start = anchor - timedelta(days=HISTORY_DAYS)
        self.span = (anchor - self.start).total_seconds()
        self.rng = rng = random.Random(seed)
        self.perm = perm_ids
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
        everywhere = [a for a in people.agents if a.scope == TicketScope.ALL and a.role == Role.AGENT]
        self.triage = everywhere or [a for a in people.agents if a.role == Role.ADMIN]
        self.workers: dict[int | None, list[Agent]] = {None: self.triage}
        for team_id, _, _ in people.teams:
            members = [a for a in people.agents if a.role == Role.AGENT and team_id in a.team_ids]
            self.workers[team_id] = [a for a in members if a.scope == TicketScope.TEAMS] * 3 + self.triage + members
        self.team_json = {tid: {"id": tid, "name": name} for tid, _, name in people.teams}
        self.team_event = {tid: json.dumps({"old": None, "new": self.team_json[tid]}) for tid, _, _ in people.teams}
        # Pools of text, drawn once: subjects and bodies are picked from them.
        cats = [c for c, _ in CATEGORIES]
        self.subjects = {c: [_fill(rng.choice(SUBJECTS[c or "other"]), rng) for _ in range(4000)] for c in cats}
        self.descriptions = [_paragraph(DESCRIPTION_SENTENCES, rng, 2, 5) for _ in range(4000)]
        self.customer_replies = [_paragraph(CUSTOMER_REPLY_SENTENCES, rng, 1, 3) for _ in range(2000)]
        self.agent_replies = [_paragraph(AGENT_REPLY_SENTENCES, rng, 1, 3) for _ in range(2000)]
        self.notes = [_paragraph(NOTE_SENTENCES, rng, 1, 2) for _ in range(1000)]
        self.solve_replies = [
            _paragraph(SOLVE_SENTENCES, rng, 1, 1) + " " + _paragraph(AGENT_REPLY_SENTENCES, rng, 0, 1)
            for _ in range(500)
        ]
        self.pick_priority = _picker(PRIORITIES, rng)
        self.pick_category = _picker(CATEGORIES, rng)
        self.pick_channel = _picker(CHANNELS, rng)
        self.pick_tag_count = _picker(TAG_COUNTS, rng)
        self.pick_rounds = _picker(ROUNDS, rng)
        self.pick_status = [(days, _picker(pairs, rng)) for days, pairs in STATUS_BY_AGE]
        self.status_json = {
            (a, b): json.dumps({"old": a, "new": b})
            for a in ("open", "in_progress", "pending", "on_hold", "solved")
            for b in ("open", "in_progress", "pending", "on_hold", "solved", "closed")
        }
        self.priority_json = {(a, b): json.dumps({"old": a, "new": b}) for a, _ in PRIORITIES for b, _ in PRIORITIES}

    def batch(self, size: int, next_ids: dict[str, int]) -> Batch:
        """The rows of the next ``size`` tickets; ids start at ``next_ids`` (updated in place)."""
        batch = Batch()
        rng = self.rng
        requesters = rng.choices(range(len(self.requester_cum)), cum_weights=self.requester_cum, k=size)
        for position in requesters:
            self._ticket(batch, position, next_ids)
            self.done += 1
        return batch

    def _ticket(self, batch: Batch, rpos: int, ids: dict[str, int]) -> None:  # noqa: C901 - one story, told in order
        rng = self.rng
        rand = rng.random
        people = self.people
        rows = batch.rows
        tid = ids["ticket"]
        ids["ticket"] += 1

        # When: ids follow creation time; more tickets lately than two years ago.
        x = (self.done + rand()) / self.total
        created = self.start + timedelta(seconds=min(self.span * x**0.8, self.span - 120))
        room = (self.anchor - created).total_seconds() - 60
        age_days = room / DAY
        for days, pick in self.pick_status:
            if age_days < days:
                final = pick()
                break

        requester_id = people.customer_ids[rpos]
        requester_name = people.customer_names[rpos]
        requester_first = requester_name.split(" ")[0]
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

        # The story, as (seconds after creation, kind, ...) steps; squeezed to fit before "now".
        steps: list[tuple] = []
        t = 0.0
        status = "open"
        assignee: Agent | None = None
        if team_id is not None and creator is None:
            t += rng.expovariate(1 / (0.5 * HOUR))
            steps.append((t, "team", rng.choice(self.triage)))
        touched = not (final == "open" and rand() < 0.55)
        collaborator = None
        new_priority = priority
        if touched:
            assignee = rng.choice(workers)
            t += rng.expovariate(1 / (3 * HOUR))
            steps.append((t, "claim", assignee))
            steps.append((t, "status", assignee, "open", "in_progress"))
            status = "in_progress"
            if rand() < 0.05:
                new_priority = rng.choice(("high", "urgent")) if priority in ("normal", "low") else "normal"
                steps.append((t, "priority", assignee, priority, new_priority))
            if org_id is not None and rand() < 0.02:
                colleagues = people.org_members[org_id]
                if len(colleagues) > 1:
                    collaborator = rng.choice(colleagues)
                    if collaborator == rpos:
                        collaborator = None
                    else:
                        steps.append((t, "collaborator", assignee, collaborator))
            for _ in range(self.pick_rounds()):
                if rand() < 0.3:
                    t += rng.expovariate(1 / HOUR)
                    steps.append((t, "note", assignee if rand() < 0.8 else rng.choice(workers)))
                t += rng.expovariate(1 / (4 * HOUR))
                steps.append((t, "reply", assignee))
                if status == "open":
                    steps.append((t, "status", assignee, status, "in_progress"))
                    status = "in_progress"
                if rand() < 0.4:
                    steps.append((t, "status", assignee, status, "pending"))
                    status = "pending"
                if rand() < 0.85:
                    t += rng.expovariate(1 / (10 * HOUR))
                    steps.append((t, "customer", None))
                    if status == "pending":
                        steps.append((t, "status", None, status, "open"))
                        status = "open"
                else:
                    break
            t += rng.expovariate(1 / (6 * HOUR))
            if final == "open":
                if status != "open":
                    if status != "pending":
                        steps.append((t, "reply", assignee))
                        steps.append((t, "status", assignee, status, "pending"))
                    t += rng.expovariate(1 / (10 * HOUR))
                    steps.append((t, "customer", None))
                    steps.append((t, "status", None, "pending", "open"))
            elif final == "in_progress":
                if status != "in_progress":
                    steps.append((t, "status", assignee, status, "in_progress"))
            elif final == "pending":
                if status != "pending":
                    steps.append((t, "reply", assignee))
                    steps.append((t, "status", assignee, status, "pending"))
            elif final == "on_hold":
                steps.append((t, "note", assignee))
                steps.append((t, "status", assignee, status, "on_hold"))
            else:  # solved or closed
                if rand() < 0.15:
                    steps.append((t, "status", None, status, "solved"))
                else:
                    steps.append((t, "solve_reply", assignee))
                    steps.append((t, "status", assignee, status, "solved"))
                if final == "closed":
                    t += rng.uniform(3 * DAY, 7 * DAY)
                    steps.append((t, "status", "system", "solved", "closed"))
            status = final
        squeeze = min(1.0, room / t) if t > 0 else 1.0

        # Rows, in the order services write them (message, then its events), ids ascending.
        messages = rows["message"]
        events = rows["event"]
        mid = ids["message"]
        eid = ids["event"]
        if creator is None:
            author_id, author_name, author_role = requester_id, requester_name, "customer"
        else:
            author_id, author_name, author_role = creator.id, creator.name, creator.role
        subject = rng.choice(self.subjects[category])
        messages.append((mid, tid, author_id, author_name, author_role, rng.choice(self.descriptions), False, created))
        created_data = json.dumps(
            {
                "subject": subject,
                "status": "open",
                "priority": priority,
                "channel": channel,
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
        first_response = solved_at = closed_at = None
        at = created
        for step in steps:
            at = created + timedelta(seconds=step[0] * squeeze)
            kind = step[1]
            actor = step[2]
            if kind == "reply" or kind == "solve_reply":
                pool = self.agent_replies if kind == "reply" else self.solve_replies
                body = f"Hi {requester_first},\n\n{rng.choice(pool)}\n\n{actor.name.split(' ')[0]}"
                messages.append((mid, tid, actor.id, actor.name, actor.role, body, False, at))
                events.append((eid, tid, actor.id, actor.name, "message_added", f'{{"message_id": {mid}}}', True, at))
                mid += 1
                eid += 1
                if first_response is None:
                    first_response = at
            elif kind == "customer":
                messages.append(
                    (mid, tid, requester_id, requester_name, "customer", rng.choice(self.customer_replies), False, at)
                )
                events.append(
                    (eid, tid, requester_id, requester_name, "message_added", f'{{"message_id": {mid}}}', True, at)
                )
                mid += 1
                eid += 1
            elif kind == "note":
                messages.append((mid, tid, actor.id, actor.name, actor.role, rng.choice(self.notes), True, at))
                events.append((eid, tid, actor.id, actor.name, "note_added", f'{{"message_id": {mid}}}', False, at))
                mid += 1
                eid += 1
            elif kind == "status":
                old, new = step[3], step[4]
                if actor is None:
                    actor_id, actor_name = requester_id, requester_name
                elif actor == "system":
                    actor_id, actor_name = None, "System"
                else:
                    actor_id, actor_name = actor.id, actor.name
                events.append((eid, tid, actor_id, actor_name, "status_changed", self.status_json[old, new], True, at))
                eid += 1
                if new == "solved":
                    solved_at = at
                elif new == "closed":
                    closed_at = at
                elif old == "solved":
                    solved_at = None
            elif kind == "claim":
                data = f'{{"old": null, "new": {actor.person}, "claimed": true}}'
                events.append((eid, tid, actor.id, actor.name, "assigned", data, True, at))
                eid += 1
            elif kind == "team":
                events.append((eid, tid, actor.id, actor.name, "team_changed", self.team_event[team_id], False, at))
                eid += 1
            elif kind == "priority":
                data = self.priority_json[step[3], step[4]]
                events.append((eid, tid, actor.id, actor.name, "priority_changed", data, True, at))
                eid += 1
            elif kind == "collaborator":
                person = people.customer_person(step[3])
                events.append((eid, tid, actor.id, actor.name, "collaborator_added", f'{{"user": {person}}}', True, at))
                eid += 1
        ids["message"] = mid
        ids["event"] = eid

        metadata = "{}"
        if rand() < 0.2:
            metadata = f'{{"plan": "{rng.choice(PLANS)}"}}'
        rows["ticket"].append(
            (
                tid,
                subject,
                status,
                new_priority,
                category,
                channel,
                metadata,
                requester_id,
                creator.id if creator is not None else requester_id,
                assignee.id if assignee is not None else None,
                team_id,
                org_id,
                created,
                at,
                first_response,
                solved_at,
                closed_at,
            )
        )

        # Access, as permission_rows_for_new_ticket (+ grant_collaborator).
        perm = self.perm
        rows["user_perm"].append((ids["user_perm"], tid, requester_id, perm[permissions.SOLVE]))
        ids["user_perm"] += 1
        if team is not None:
            rows["group_perm"].append((ids["group_perm"], tid, team[1], perm[permissions.WORK]))
            ids["group_perm"] += 1
        if org_id is not None:
            rows["group_perm"].append((ids["group_perm"], tid, people.org_group[org_id], perm[permissions.VIEW]))
            ids["group_perm"] += 1
        if collaborator is not None:
            collaborator_id = people.customer_ids[collaborator]
            rows["user_perm"].append((ids["user_perm"], tid, collaborator_id, perm[permissions.REPLY]))
            ids["user_perm"] += 1
            rows["collaborator"].append((ids["collaborator"], tid, collaborator_id))
            ids["collaborator"] += 1

        tag_count = self.pick_tag_count()
        if tag_count:
            chosen = set(rng.choices(self.tag_list, cum_weights=self.tag_cum, k=tag_count))
            for tag_id in chosen:
                rows["tag"].append((ids["tag"], tid, tag_id))
                ids["tag"] += 1


# --- writing ---------------------------------------------------------------------------------


def _table(name: str) -> str:
    return TABLES[name][0]._meta.db_table


def _columns(name: str) -> str:
    model, attnames = TABLES[name]
    return ", ".join(model._meta.get_field(a).column if a != "id" else "id" for a in attnames)


def _next_ids_postgres() -> dict[str, int]:
    """First free id of each table: above its largest row and above what its sequence handed out."""
    next_ids = {}
    with connection.cursor() as cursor:
        for name in TABLES:
            table = _table(name)
            cursor.execute(
                f"SELECT GREATEST(COALESCE(MAX(id), 0), COALESCE(pg_sequence_last_value("  # noqa: S608 - our tables
                f"pg_get_serial_sequence('{table}', 'id')::regclass), 0)) FROM {table}"
            )
            next_ids[name] = cursor.fetchone()[0] + 1
    return next_ids


def _move_sequences(next_ids: dict[str, int]) -> None:
    """Move each identity sequence past the ids handed out so far. Called before a batch is written,
    so the block is reserved: rows inserted meanwhile by the app get ids after it."""
    with connection.cursor() as cursor:
        for name, next_id in next_ids.items():
            if next_id > 1:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, "
                    "COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass), 0)))",
                    [_table(name), next_id - 1, _table(name)],
                )


def _may_skip_fk_triggers() -> bool:
    """Whether a batch may load with ``session_replication_role = replica``: only a superuser may,
    and only when the tables carry no trigger of their own (those must fire for generated rows
    too); the foreign-key triggers it skips are replaced by one set-based check per batch."""
    tables = [_table(name) for name in TABLES]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])", [tables]
        )
        return cursor.fetchone()[0] == 0


class PostgresLoader:
    """Loads batches with COPY, inline on Django's connection or on ``workers`` connections of
    their own (one transaction per batch either way)."""

    def __init__(self, *, workers: int, references: dict[str, set[int]]):
        connection.ensure_connection()
        self.skip_fk_triggers = _may_skip_fk_triggers()
        self.references = references  # rows outside the batch that it points to, by table
        # Inside a transaction (tests) every batch must use the caller's connection and transaction.
        self.workers = 0 if connection.in_atomic_block else workers
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []
        if self.workers:
            self.queue: queue.Queue = queue.Queue(maxsize=self.workers)
            params = connection.get_connection_params()
            for _ in range(self.workers):
                thread = threading.Thread(target=self._work, args=(params,), daemon=True)
                thread.start()
                self.threads.append(thread)

    def submit(self, batch: Batch) -> None:
        if self.errors:
            raise self.errors[0]
        if not self.workers:
            with transaction.atomic():
                self._load(connection.connection, batch)
            return
        while True:
            try:
                self.queue.put(batch, timeout=1)
                return
            except queue.Full:
                if self.errors:
                    raise self.errors[0] from None

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]

    def _work(self, params: dict) -> None:
        import psycopg

        pg = None
        try:
            pg = psycopg.connect(**params)
            while True:
                batch = self.queue.get()
                if batch is None:
                    return
                if self.errors:
                    continue  # drain: the run has failed
                with pg.transaction():
                    self._load(pg, batch)
        except BaseException as exc:  # reported by the main thread
            self.errors.append(exc)
        finally:
            if pg is not None:
                pg.close()

    def _load(self, pg, batch: Batch) -> None:
        with pg.cursor() as cursor:
            if self.skip_fk_triggers:
                cursor.execute("SET LOCAL session_replication_role = replica")
                self._check_references(cursor, batch)
            for name, rows in batch.rows.items():
                if not rows:
                    continue
                with cursor.copy(f"COPY {_table(name)} ({_columns(name)}) FROM STDIN") as copy:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)
            # The batch's search documents, from the rows just copied (tickets.search).
            search.index_tickets([row[0] for row in batch.rows["ticket"]], cursor=cursor)
            if self.skip_fk_triggers:
                # SET LOCAL lasts to the end of the transaction: inline, that may be the caller's.
                cursor.execute("SET LOCAL session_replication_role = origin")

    def _check_references(self, cursor, batch: Batch) -> None:
        """What the skipped foreign-key triggers would do, set-based: every row the batch points to
        outside itself exists, and stays (FOR KEY SHARE) until the batch commits."""
        rows = batch.rows
        users = set(self.references["users"])  # the staff: created_by, assignee, authors, actors
        users.update(row[7] for row in rows["ticket"])  # requesters (the other authors and actors)
        users.update(row[2] for row in rows["collaborator"])
        wanted = {
            "accounts_user": users,
            "accounts_team": {row[10] for row in rows["ticket"] if row[10] is not None},
            "accounts_organization": {row[11] for row in rows["ticket"] if row[11] is not None},
            "auth_group": {row[2] for row in rows["group_perm"]},
            "tickets_tag": {row[2] for row in rows["tag"]},
            "auth_permission": {row[3] for row in rows["user_perm"]} | {row[3] for row in rows["group_perm"]},
        }
        for table, ids in wanted.items():
            if not ids:
                continue
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE id = ANY(%s) FOR KEY SHARE) AS held",  # noqa: S608
                [sorted(ids)],
            )
            found = cursor.fetchone()[0]
            if found != len(ids):
                raise RuntimeError(f"{len(ids) - found} rows of {table} referenced by generated tickets are gone.")


class OrmLoader:
    """``bulk_create`` for other databases (SQLite): correct, and quick enough for small N."""

    def submit(self, batch: Batch) -> None:
        with transaction.atomic():
            for name, rows in batch.rows.items():
                if not rows:
                    continue
                model, columns = TABLES[name]
                json_at = JSON_COLUMNS.get(name)
                objects = []
                for row in rows:
                    values = dict(zip(columns, row, strict=True))
                    if json_at is not None:
                        values[columns[json_at]] = json.loads(row[json_at])
                    objects.append(model(**values))
                model.objects.bulk_create(objects, batch_size=500)

    def close(self) -> None:
        pass


def _next_ids_orm() -> dict[str, int]:
    next_ids = {}
    for name, (model, _) in TABLES.items():
        top = model.objects.order_by("-id").values_list("id", flat=True).first() or 0
        next_ids[name] = max(top, _sqlite_sequence(model._meta.db_table)) + 1
    return next_ids


def _sqlite_sequence(table: str) -> int:
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
    return row[0] if row else 0


# --- the command's work ----------------------------------------------------------------------


@dataclass
class Summary:
    tickets: int = 0
    messages: int = 0
    events: int = 0
    user_permissions: int = 0
    group_permissions: int = 0
    tags: int = 0
    collaborators: int = 0
    seconds: float = 0.0
    people: dict[str, int] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)  # a sign-in of each kind, for trying the data

    @property
    def permission_rows(self) -> int:
        return self.user_permissions + self.group_permissions

    @property
    def rows(self) -> int:
        return self.tickets + self.messages + self.events + self.permission_rows + self.tags + self.collaborators

    def line(self) -> str:
        return (
            f"tickets={self.tickets} messages={self.messages} events={self.events} "
            f"permission_rows={self.permission_rows} (user={self.user_permissions} group={self.group_permissions}) "
            f"tags={self.tags} collaborators={self.collaborators} elapsed={self.seconds:.1f}s"
        )


def _tag_ids() -> dict[str, int]:
    names = list(HOT_TAGS) + list(OTHER_TAGS)
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def _perm_ids() -> dict[str, int]:
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
        "agent (all tickets)": next(
            (a.id for a in people.agents if a.role == Role.AGENT and a.scope == TicketScope.ALL), None
        ),
        "agent (team only)": next((a.id for a in people.agents if a.scope == TicketScope.TEAMS), None),
        "admin": next((a.id for a in people.agents if a.role == Role.ADMIN), None),
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
    perm_ids = _perm_ids()
    tag_ids = _tag_ids()
    generator = TicketGenerator(people, total=tickets, seed=seed, anchor=anchor, perm_ids=perm_ids, tag_ids=tag_ids)
    postgres = connection.vendor == "postgresql"
    if postgres:
        references = {"users": {agent.id for agent in people.agents}}
        loader: PostgresLoader | OrmLoader = PostgresLoader(workers=workers, references=references)
        next_ids = _next_ids_postgres()
    else:
        loader = OrmLoader()
        next_ids = _next_ids_orm()

    bar = tqdm(total=tickets, unit="tickets", unit_scale=True, file=sys.stderr, disable=not progress, smoothing=0.1)
    loading_began = time.monotonic()
    try:
        remaining = tickets
        while remaining:
            size = min(batch_size, remaining)
            batch = generator.batch(size, next_ids)
            if postgres:
                _move_sequences(next_ids)
            loader.submit(batch)
            rows = batch.rows
            summary.tickets += len(rows["ticket"])
            summary.messages += len(rows["message"])
            summary.events += len(rows["event"])
            summary.user_permissions += len(rows["user_perm"])
            summary.group_permissions += len(rows["group_perm"])
            summary.tags += len(rows["tag"])
            summary.collaborators += len(rows["collaborator"])
            remaining -= size
            del batch, rows
            bar.update(size)
            bar.set_postfix_str(
                f"{summary.rows / max(time.monotonic() - loading_began, 1e-6):,.0f} rows/s", refresh=False
            )
        loader.close()
    finally:
        bar.close()
    if postgres:
        with connection.cursor() as cursor:
            for name in TABLES:
                table = _table(name)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table} HAVING MAX(id) IS NOT NULL"  # noqa: S608
                )
    summary.logins = _sample_logins(people, generator.busiest_requester)
    summary.seconds = time.monotonic() - began
    return summary
