"""manage.py seed_demo [--if-empty]: a small, believable help desk to try the product with.

An admin, agents in two teams (one sees every ticket, the others only their team's), customers in
two organizations (one shares tickets), and about sixty tickets across every status, with
conversations, internal notes, tags and history — all made through the services, then moved back
in time so the desk looks like it has been running for two months (tickets arriving at random
moments, some solved, reopened by their requester and solved again), which gives the statistics
over time something to show.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Role, TicketScope, User
from tickets import notifications, permissions, services
from tickets.management import demo_sla
from tickets.models import Attachment, FieldType, Message, Status, Ticket, TicketEvent
from tickets.services import ticket_fields

#: How far back the demo desk's history reaches, in days.
HISTORY_DAYS = 60
DEMO_PLANS = ["free", "team", "business", "enterprise"]
PASSWORD = "helpdesk-demo"  # noqa: S105 - printed for the demo on purpose

PEOPLE: dict[str, Any] = {
    "admin": ("admin@example.com", "Morgan Admin"),
    "agents": [
        ("alice@example.com", "Alice Agent", None),
        ("ben@example.com", "Ben Billing", "Billing"),
        ("carla@example.com", "Carla Tech", "Technical"),
        ("dev@example.com", "Dev Tech", "Technical"),
    ],
    "customers": [
        ("ada@acme.example", "Ada Lovelace", "Acme Corp"),
        ("grace@acme.example", "Grace Hopper", "Acme Corp"),
        ("linus@globex.example", "Linus Carter", "Globex"),
        ("margaret@globex.example", "Margaret Hale", "Globex"),
        ("sam@example.net", "Sam Independent", None),
    ],
}

SUBJECTS = [
    ("Cannot download last month's invoice", "billing", ["invoice"], "Billing"),
    ("Charged twice for the annual plan", "billing", ["refund", "payments"], "Billing"),
    ("VAT number missing on invoices", "billing", ["invoice", "tax"], "Billing"),
    ("Card declined although the bank says it is fine", "billing", ["payments"], "Billing"),
    ("Export to CSV times out on large projects", "technical", ["export", "performance"], "Technical"),
    ("Login loop after enabling SSO", "account", ["sso", "login"], "Technical"),
    ("Webhook deliveries fail with 502", "technical", ["webhooks"], "Technical"),
    ("Mobile app crashes when opening attachments", "bug", ["mobile", "crash"], "Technical"),
    ("Please add dark mode to the dashboard", "feature_request", ["ui"], None),
    ("How do I add a colleague to our account?", "account", ["users"], None),
    ("Password reset email never arrives", "account", ["email", "login"], "Technical"),
    ("Suspicious login from an unknown country", "security", ["security"], "Technical"),
    ("API rate limit lower than documented", "technical", ["api"], "Technical"),
    ("Search does not find tickets by number", "bug", ["search"], "Technical"),
    ("Upgrade from Team to Business plan", "billing", ["plans"], "Billing"),
]
# Recurring problems, told slightly differently each time they come back.
SITUATIONS = ["", " since Monday", " after the latest update", " for our second workspace", " again today"]
DESCRIPTIONS = [
    "Since yesterday this happens every time I try. I cleared the cache and tried another browser, same result.",
    "This is blocking our month-end close, could you please look at it soon? Screenshots available on request.",
    "Steps: open the page, click the button, wait. Expected it to work like last week; now nothing happens.",
    "A few people in our team see the same thing. It started right after your maintenance window on Sunday.",
]
AGENT_REPLIES = [
    "Thanks for the report! Could you tell me which browser and version you are using?",
    "I could reproduce this and passed it to our engineers. I will update you as soon as I hear back.",
    "We deployed a fix this morning. Could you please try again and let me know if it works now?",
    "I have corrected this on our side; you should see the change within a few minutes.",
]
CUSTOMER_REPLIES = [
    "It is Firefox 128 on Windows 11.",
    "Thanks, it works now!",
    "Still the same problem here, unfortunately.",
    "Here is the additional information you asked for.",
]
SECOND_FIX = "We found a second cause and fixed that too; it should work for good now."
NOTES = [
    "Customer is on the legacy plan; check with finance before refunding.",
    "Same root cause as the incident last Tuesday, see the postmortem.",
    "Escalated to engineering, ticket ENG-4411.",
]


DEMO_MACROS = [
    (
        "Ask for order number",
        [
            {"action": "add_reply", "value": "Hi {{requester.first_name}}, could you send us your order number? "
             "It is on your confirmation email.\n\n{{current_user.first_name}}"},
            {"action": "set_status", "value": "pending"},
            {"action": "add_tags", "value": ["waiting-order-number"]},
        ],
        None,
    ),
    (
        "Refund issued → solve",
        [
            {"action": "add_reply", "value": "Hi {{requester.first_name}}, we have issued your refund; it reaches "
             "your account within 5 working days.\n\n{{current_user.first_name}}"},
            {"action": "set_status", "value": "solved"},
            {"action": "add_tags", "value": ["refund"]},
        ],
        "Billing",
    ),
    (
        "Escalate to technical",
        [
            {"action": "add_note", "value": "Escalated by {{current_user.name}}: needs a technical look."},
            {"action": "set_priority", "value": "high"},
            {"action": "add_tags", "value": ["escalated"]},
        ],
        None,
    ),
    (
        "Thanks, closing",
        [
            {"action": "add_reply", "value": "Glad it works now, {{requester.first_name}}! We will mark this "
             "ticket solved.\n\n{{current_user.first_name}}"},
            {"action": "set_status", "value": "solved"},
        ],
        None,
    ),
]  # fmt: skip


class Command(BaseCommand):
    help = "Fill an empty desk with demo users and tickets, and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing (but print the logins) if users exist.")
        parser.add_argument("--tickets", type=int, default=60)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, if_empty: bool, tickets: int, seed: int, **options):
        if if_empty and User.objects.exists():
            if User.objects.filter(email=PEOPLE["admin"][0]).exists():
                self._print_logins()
            else:
                self.stdout.write("Users exist already; demo data not added.")
            return
        rng = random.Random(seed)
        # When each ticket arrived (oldest first), and which solves did not hold: drawn from their
        # own generator, so the tickets' lives (and the tests that know them) stay as they were.
        extra = random.Random(seed + 1)
        self.ages = sorted((extra.uniform(0, HISTORY_DAYS) for _ in range(tickets)), reverse=True)
        self.extra = extra
        self.recent = random.Random(seed + 2)
        # Demo history is not news: nobody is emailed or notified about it.
        with notifications.muted(), transaction.atomic():
            people = self._people()
            self._macros(people)
            self._ticket_fields(people)
            for i in range(tickets):
                self._ticket(rng, people, i, tickets)
            _satisfaction()  # the solves' surveys dated with them, and some answered
            self._rules(people)  # after the history: the demo tickets stay as they were
            demo_sla.apply(self.recent)  # and SLA clocks from that history (the Next breach column)
        self.stdout.write(self.style.SUCCESS(f"Demo desk ready: {Ticket.objects.count()} tickets."))
        self._print_logins()

    def _people(self) -> dict:
        teams = {name: accounts.team_create(name=name) for name in ("Billing", "Technical")}
        orgs = {
            "Acme Corp": accounts.organization_create(name="Acme Corp", share_tickets=True),
            "Globex": accounts.organization_create(name="Globex", share_tickets=False),
        }
        email, name = PEOPLE["admin"]
        admin = accounts.user_create(
            email=email, name=name, password=PASSWORD, role=Role.ADMIN, validate_password_strength=False
        )
        agents = []
        for email, name, team in PEOPLE["agents"]:
            agents.append(
                accounts.user_create(
                    email=email,
                    name=name,
                    password=PASSWORD,
                    role=Role.AGENT,
                    ticket_scope=TicketScope.TEAMS if team else TicketScope.ALL,
                    teams=[teams[team]] if team else [],
                    validate_password_strength=False,
                )
            )
        customers = [
            accounts.user_create(
                email=email, name=name, password=PASSWORD, organization=orgs.get(org), validate_password_strength=False
            )
            for email, name, org in PEOPLE["customers"]
        ]
        return {"admin": admin, "agents": agents, "customers": customers, "teams": teams}

    def _macros(self, people: dict) -> None:
        """Shared macros agents find in the ticket page's picker and the queue's bulk bar."""
        from tickets.services.macros import macro_create

        admin, teams = people["admin"], people["teams"]
        for name, actions, team in DEMO_MACROS:
            macro_create(
                actor=admin,
                name=name,
                actions=actions,
                scope="team" if team else "everyone",
                team=teams[team] if team else None,
            )

    @staticmethod
    def _ticket_fields(people: dict) -> None:
        """The desk's own fields (issue 16): an order number customers give, the customer's plan
        (agents only) and a renewal date (Billing's tickets only)."""
        admin, billing = people["admin"], people["teams"]["Billing"]
        ticket_fields.ticket_field_create(
            actor=admin,
            key="order_number",
            field_type=FieldType.REGEX,
            label="Order number",
            description="Two letters, a dash and four digits, e.g. AB-1234 (on your invoice).",
            pattern=r"[A-Z]{2}-\d{4}",
            visible_to_customers=True,
            position=1,
        )
        ticket_fields.ticket_field_create(
            actor=admin,
            key="plan",
            field_type=FieldType.DROPDOWN,
            label="Plan",
            options=[{"value": value, "label": value.capitalize()} for value in DEMO_PLANS],
            position=2,
        )
        ticket_fields.ticket_field_create(
            actor=admin,
            key="renewal_date",
            field_type=FieldType.DATE,
            label="Renewal date",
            teams=[billing],
            position=3,
        )

    def _ticket(self, rng: random.Random, people: dict, index: int, total: int) -> None:
        subject, category, tags, team_name = SUBJECTS[index % len(SUBJECTS)]
        requester = people["customers"][index % len(people["customers"])]
        admin = people["admin"]
        ticket = services.ticket_create(
            actor=requester,
            subject=subject + SITUATIONS[(index // len(SUBJECTS)) % len(SITUATIONS)],
            description=rng.choice(DESCRIPTIONS),
            priority=rng.choices(["low", "normal", "high", "urgent"], weights=[2, 6, 3, 1])[0],
            category=category,
        )
        team = people["teams"].get(team_name) if team_name else None
        # The newest few tickets stay untouched: new, unassigned work for the queue.
        fate = (
            rng.choices(
                ["new", Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED],
                weights=[2, 3, 2, 1, 2, 2],
            )[0]
            if index < total - 6
            else "new"
        )
        if team is not None or fate != "new":
            ticket = services.ticket_update(actor=admin, ticket=ticket, team=team, tags=tags)
        if index % 3 == 0:  # some tickets carry the desk's own fields (by index: the random draws stay)
            values = {"order_number": f"AC-{1000 + index}", "plan": DEMO_PLANS[index % len(DEMO_PLANS)]}
            if team is not None and team.name == "Billing":
                values["renewal_date"] = (date(2027, 1, 1) + timedelta(days=7 * index)).isoformat()
            ticket = services.ticket_update(actor=admin, ticket=ticket, custom_fields=values)
        if fate != "new":
            worker = rng.choice([a for a in people["agents"] if permissions.can_work_team(a, team)])
            ticket = services.ticket_claim(actor=worker, ticket=ticket)
            if rng.random() < 0.5:
                services.message_add(actor=worker, ticket=ticket, body=rng.choice(NOTES), internal=True)
            # An agent does not send the same reply twice on one ticket.
            replies = list(AGENT_REPLIES)
            services.message_add(actor=worker, ticket=ticket, body=_take(rng, replies))
            if rng.random() < 0.6:
                services.message_add(actor=requester, ticket=ticket, body=rng.choice(CUSTOMER_REPLIES))
            if fate in (Status.PENDING, Status.ON_HOLD):
                services.message_add(actor=worker, ticket=ticket, body=_take(rng, replies), status=fate)
            elif fate in (Status.SOLVED, Status.CLOSED):
                solutions = [reply for reply in replies if reply in AGENT_REPLIES[2:]]
                solution = rng.choice(solutions)
                services.message_add(actor=worker, ticket=ticket, body=solution, status=Status.SOLVED)
                if self.extra.random() < 0.3:  # the fix did not hold: the requester's answer reopens it
                    services.message_add(actor=requester, ticket=ticket, body=CUSTOMER_REPLIES[2])
                    again = [reply for reply in solutions if reply != solution] or [SECOND_FIX]
                    services.message_add(actor=worker, ticket=ticket, body=again[0], status=Status.SOLVED)
                if fate == Status.CLOSED:
                    # Closed as the desk closes solved tickets: by the auto-close job, once they have
                    # been solved for HELPDESK_AUTOCLOSE_DAYS (``_spread`` dates it so).
                    later = timezone.now() + timedelta(days=settings.HELPDESK_AUTOCLOSE_DAYS)
                    services.ticket_autoclose(now=later, ticket_ids=[ticket.pk])
                    ticket.refresh_from_db()
        # Spread the desk's history over the last HISTORY_DAYS days, newest tickets last, with hours
        # between the steps of each conversation (so response and resolution times mean something).
        opened = timezone.now() - timedelta(days=self.ages[index], minutes=rng.randint(0, 600))
        self._spread(ticket.pk, opened, rng)
        if fate not in (Status.SOLVED, Status.CLOSED):
            # A desk's backlog is recent: unsolved tickets arrived hours to a few days ago, which
            # gives their SLA clocks a believable mix instead of weeks overdue. Moved after the
            # spread, with draws of their own, so every ticket's life stays as it was.
            hours = demo_sla.RECENT_HOURS[Status.OPEN if fate == "new" else fate]
            demo_sla.arrived(ticket.pk, timezone.now() - timedelta(hours=self.recent.uniform(*hours)))

    @staticmethod
    def _spread(ticket_id: int, opened, rng: random.Random) -> None:
        """Give each service call of the ticket's history its own time, in order, after ``opened``.

        Everything one call wrote shares one timestamp (a reply and the status it set); later
        calls come minutes to hours later, never in the future.
        """
        messages = list(Message.objects.filter(ticket_id=ticket_id))
        events = list(TicketEvent.objects.filter(ticket_id=ticket_id))
        attachments = list(Attachment.objects.filter(ticket_id=ticket_id))
        steps = sorted({row.created_at for row in messages + events + attachments})
        # The auto-close job closes a ticket within the hour after it has been solved for
        # HELPDESK_AUTOCLOSE_DAYS; every other step follows the one before by minutes to hours.
        autoclosed = {
            e.created_at
            for e in events
            if e.kind == "status_changed" and e.data.get("new") == Status.CLOSED and e.actor_id is None
        }
        when: dict[datetime, datetime] = {}
        at = opened
        for step in steps:
            if step in autoclosed and when:
                at = max(when.values()) + timedelta(days=settings.HELPDESK_AUTOCLOSE_DAYS, minutes=rng.randint(1, 59))
            when[step] = at
            at = at + timedelta(minutes=rng.randint(5, 8 * 60))
        # A history that would reach into the future happened earlier instead (order and gaps kept).
        overshoot = max(when.values()) - timezone.now()
        if overshoot > timedelta(0):
            shift = overshoot + timedelta(minutes=rng.randint(5, 90))
            when = {step: at - shift for step, at in when.items()}
        for row in messages + events + attachments:
            row.created_at = when[row.created_at]
        Message.objects.bulk_update(messages, ["created_at"])
        TicketEvent.objects.bulk_update(events, ["created_at"])
        Attachment.objects.bulk_update(attachments, ["created_at"])
        ticket = Ticket.objects.get(pk=ticket_id)
        ticket.created_at = when[steps[0]]
        ticket.updated_at = when[steps[-1]]
        ticket.public_activity_at = max((e.created_at for e in events if e.public), default=ticket.created_at)
        public_agent = [m.created_at for m in messages if not m.internal and m.author_role != "customer"]
        ticket.first_response_at = min(public_agent) if public_agent else None
        solved = [e.created_at for e in events if e.kind == "status_changed" and e.data.get("new") == Status.SOLVED]
        closed = [e.created_at for e in events if e.kind == "status_changed" and e.data.get("new") == Status.CLOSED]
        ticket.solved_at = max(solved) if solved and ticket.status in (Status.SOLVED, Status.CLOSED) else None
        ticket.closed_at = max(closed) if closed else None
        ticket.save(
            update_fields=[
                "created_at",
                "updated_at",
                "public_activity_at",
                "first_response_at",
                "solved_at",
                "closed_at",
            ]
        )

    @staticmethod
    def _rules(people: dict) -> None:
        """A trigger and the automations of issue 16, acting as the admin (auto-close: the system)."""
        from tickets import automations
        from tickets.models import Automation, Trigger, TriggerOn

        admin, billing = people["admin"], people["teams"]["Billing"]
        words = ("invoice", "refund", "charged", "payment")
        Trigger.objects.create(
            name="Billing words → Billing team, tag billing",
            on=TriggerOn.CREATED,
            conditions={
                "all": [{"field": "team", "operator": "not_present"}],
                "any": [{"field": "subject", "operator": "contains", "value": word} for word in words],
            },
            actions=[{"action": "set_team", "value": billing.pk}, {"action": "add_tags", "value": ["billing"]}],
            owner=admin,
        )
        automations.default_autoclose()
        Automation.objects.create(
            name="Pending 72 h → reminder",
            position=1,
            conditions={
                "all": [
                    {"field": "status", "operator": "is", "value": "pending"},
                    {"field": "hours_since_updated", "operator": "greater_than", "value": 72},
                    {"field": "tags", "operator": "not_includes", "value": ["reminded"]},
                ]
            },
            actions=[
                {
                    "action": "add_reply",
                    "value": "Hi {{requester.first_name}}, we are still waiting for your answer on "
                    "ticket #{{ticket.id}}. Reply to this message and we will pick it up again.",
                },
                {"action": "add_tags", "value": ["reminded"]},
            ],
            owner=admin,
        )

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {PASSWORD})")
        self.stdout.write(f"  admin     {PEOPLE['admin'][0]}")
        for email, name, team in PEOPLE["agents"]:
            self.stdout.write(f"  agent     {email:<26} {name} ({team + ' team only' if team else 'all tickets'})")
        for email, name, org in PEOPLE["customers"]:
            self.stdout.write(f"  customer  {email:<26} {name}{' — ' + org if org else ''}")


#: Answers to the demo's satisfaction surveys, in ticket order: mostly good, one bad with a comment.
DEMO_RATINGS = [
    ("good", "Quick and clear, thank you!"),
    ("good", ""),
    ("bad", "It took three replies before anyone read my first message properly."),
    ("good", "Solved the same day."),
    ("good", ""),
    ("good", "Friendly and to the point."),
]


def _satisfaction() -> None:
    """Customer satisfaction (tickets.satisfaction) for the demo desk: each survey dated with the
    solve it asks about (the history was moved back in time after the services wrote it), and the
    latest survey of the most recently solved or closed tickets answered a few hours after the
    solve (so that the statistics' default period, the last 30 days, shows a CSAT), with its
    history entry — written as the answer service would have written it back then (its seven-day
    window may lie in the past now, so the service itself would refuse)."""
    from tickets.models import EventKind
    from tickets.satisfaction.models import SatisfactionRating

    surveys = list(SatisfactionRating.objects.select_related("solve_event", "requester").order_by("ticket_id", "pk"))
    latest: dict[int, SatisfactionRating] = {}
    for survey in surveys:
        survey.created_at = survey.updated_at = survey.solve_event.created_at
        latest[survey.ticket_id] = survey
    answerable = Ticket.objects.filter(pk__in=list(latest), status__in=(Status.SOLVED, Status.CLOSED))
    recent = sorted((latest[pk] for pk in answerable.values_list("pk", flat=True)), key=lambda s: s.created_at)
    chosen = sorted(recent[-len(DEMO_RATINGS) :], key=lambda s: s.ticket_id)
    now = timezone.now()
    for survey, (score, comment) in zip(chosen, DEMO_RATINGS, strict=False):
        at = min(survey.created_at + timedelta(hours=3), now)
        survey.score, survey.comment, survey.rated_at, survey.updated_at = score, comment, at, at
        TicketEvent.objects.create(
            ticket_id=survey.ticket_id,
            actor=survey.requester,
            actor_name=survey.requester.name,
            kind=EventKind.SATISFACTION_RATED,
            data={"score": score, "old": None, "rating_id": survey.pk, "commented": bool(comment)},
            public=True,
            created_at=at,
        )
    SatisfactionRating.objects.bulk_update(surveys, ["created_at", "updated_at", "score", "comment", "rated_at"])


def _take(rng: random.Random, choices: list[str]) -> str:
    """One of ``choices``, removed from it so that it is not chosen again."""
    return choices.pop(rng.randrange(len(choices)))
