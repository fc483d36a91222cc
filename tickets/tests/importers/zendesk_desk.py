"""Desk A of the Zendesk import test, and what two desks are compared by.

``fill`` builds a desk through the services, as people would: an organization, teams, agents and
customers, tickets in every status with public replies, internal notes, files with real bytes,
tags, custom field values and CCs. ``dump`` reads a desk back as plain JSON without ids (people
by email, teams by name, fields by key, times to the second — Zendesk's timestamps have no
fractions), for desk A in the test process and for desk B in a subprocess:

    manage.py shell -c "from tickets.tests.importers.zendesk_desk import print_dump; print_dump()"
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from accounts import services as account_services
from accounts.models import Organization, Role, Team, User
from tickets import services
from tickets.models import Attachment, FieldType, Status, Ticket, TicketEvent, TicketField
from tickets.satisfaction import services as satisfaction_services
from tickets.satisfaction.models import SatisfactionRating
from tickets.tests.factories import PNG_BYTES, upload

#: History entries the Zendesk API carries (comments, files and the ticket's audits): these must be
#: the same on both desks — kind, time to the second, author, old and new values. CCs are not in
#: the audits (desk B adds them at the ticket's creation, by the system): compared by count.
CARRIED = (
    "created",
    "message_added",
    "note_added",
    "attachment_added",
    "status_changed",
    "priority_changed",
    "assigned",
    "team_changed",
    "tags_changed",
    "subject_changed",
    "custom_field_changed",
    "satisfaction_rated",
)
#: Zendesk's words for our statuses and channels (what desk B can know of desk A's).
STATUS: dict[str, str] = {Status.IN_PROGRESS: Status.OPEN}
CHANNEL = {"agent": "web"}


def fields_before_copy() -> None:
    """The fields both desks have (made before desk B is copied from desk A's empty database)."""
    TicketField.objects.create(
        key="plan",
        label="Plan",
        field_type=FieldType.DROPDOWN,
        options=[{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
    )
    TicketField.objects.create(key="order_number", label="Order number", field_type=FieldType.NUMBER)


def fill() -> dict[str, Any]:
    """Desk A's content (after the copy). Its fields get new ids, and one field desk B lacks."""
    TicketField.objects.all().delete()
    TicketField.objects.create(key="region", label="Region", field_type=FieldType.TEXT)
    TicketField.objects.create(key="order_number", label="Order number", field_type=FieldType.NUMBER)
    TicketField.objects.create(
        key="plan",
        label="Plan",
        field_type=FieldType.DROPDOWN,
        options=[{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
    )
    acme = account_services.organization_create(name="Acme Corp", share_tickets=True)
    billing = account_services.team_create(name="Billing", description="Invoices and refunds")
    tech = account_services.team_create(name="Technical")

    def person(email: str, name: str, role: str = Role.CUSTOMER, **extra: Any) -> User:
        return account_services.user_create(email=email, name=name, role=role, password=None, **extra)

    admin = person("root@desk-a.test", "Ray Admin", Role.ADMIN)
    alice = person("alice@desk-a.test", "Alice Agent", Role.AGENT, teams=[billing])
    bob = person("bob@desk-a.test", "Bob Agent", Role.AGENT, teams=[billing, tech])
    ada = person("ada@acme.test", "Ada Customer", organization=acme)
    max_ = person("max@acme.test", "Max Member", organization=acme)
    eve = person("eve@example.test", "Eve Customer")

    made: list[Ticket] = []

    def ticket(n: int, actor: User, **kwargs: Any) -> Ticket:
        kwargs.setdefault("description", f"Ticket {n}: the invoice page shows the wrong total every time.")
        kwargs.setdefault("subject", f"Invoice total wrong, case {n}")
        made.append(services.ticket_create(actor=actor, **kwargs))
        return made[-1]

    # One ticket in each status, and a few extras.
    new = ticket(1, ada, attachments=[upload("steps.txt", b"1. Open the invoice\n2. See the total\n", "text/plain")])
    opened = ticket(
        2,
        alice,
        requester=ada,
        team=billing,
        assignee=alice,
        priority="high",
        tags=["invoice", "vip"],
        custom_fields={"order_number": 1042, "plan": "gold", "region": "EMEA"},
        channel="agent",
    )
    services.message_add(actor=alice, ticket=opened, body="We are looking into it.")
    services.message_add(
        actor=alice,
        ticket=opened,
        body="Internal: finance says VAT doubled.",
        internal=True,
        attachments=[upload("ledger.png", PNG_BYTES, "image/png")],
    )
    services.collaborator_add(actor=alice, ticket=opened, email=max_.email)
    # Its history: several changes by different people (audits carry each with time and author).
    services.ticket_update(actor=bob, ticket=opened, priority="urgent", tags=["invoice", "vip", "vat"])
    services.ticket_update(actor=alice, ticket=opened, team=tech, assignee=bob)
    services.ticket_change_status(actor=bob, ticket=opened, status=Status.PENDING)
    services.ticket_update(actor=admin, ticket=opened, tags=["invoice", "vat"], custom_fields={"plan": "silver"})
    services.ticket_change_status(actor=bob, ticket=opened, status=Status.OPEN)
    services.ticket_update(actor=bob, ticket=opened, team=billing, assignee=alice, priority="high")
    progress = ticket(3, eve, priority="low")
    services.ticket_claim(actor=bob, ticket=progress)
    pending = ticket(4, alice, requester=ada, team=billing)
    services.message_add(actor=bob, ticket=pending, body="Which invoice number is it?", status=Status.PENDING)
    held = ticket(5, eve, priority="urgent", tags=["supplier"])
    services.message_add(actor=alice, ticket=held, body="Waiting on the supplier.", internal=True)
    services.ticket_update(actor=alice, ticket=held, status=Status.ON_HOLD, team=tech, assignee=bob)
    solved = ticket(6, ada)
    services.ticket_update(actor=alice, ticket=solved, custom_fields={"order_number": 77})
    services.message_add(
        actor=alice,
        ticket=solved,
        body="Fixed: here is the corrected invoice.",
        attachments=[upload("invoice.txt", b"Total: 100.00 EUR\nVAT: 20.00 EUR\n", "text/plain")],
    )
    services.message_add(actor=ada, ticket=solved, body="Thanks, that is right now.")
    services.ticket_change_status(actor=alice, ticket=solved, status=Status.SOLVED)
    satisfaction_services.rating_give(
        actor=ada, rating=SatisfactionRating.objects.get(ticket=solved), score="good", comment="Quick and kind."
    )
    closed = ticket(7, eve)
    services.message_add(actor=bob, ticket=closed, body="Resent the invoice.", status=Status.SOLVED)
    services.ticket_change_status(actor=admin, ticket=closed, status=Status.CLOSED)
    satisfaction_services.rating_give(
        actor=eve, rating=SatisfactionRating.objects.get(ticket=closed), score="bad", comment="Took three days."
    )
    ticket(8, admin, requester={"email": "new@example.test", "name": "New Person"}, tags=["phone"], channel="agent")
    return {"admin": admin, "agent": alice, "tickets": made, "new": new}


def _second(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat()


def _email(user: User | None) -> str | None:
    return user.email if user is not None else None


def _sha256(attachment: Attachment) -> str:
    with attachment.file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def dump(*, field_keys: tuple[str, ...] = ("order_number", "plan")) -> dict[str, Any]:
    """The desk's content without ids (see the module docstring)."""
    users = {
        u.email: {
            "name": u.name,
            "role": u.role,
            "active": u.is_active,
            "organization": u.organization.name if u.organization else None,
            "teams": sorted(t.name for t in Team.objects.filter(group__user=u)),
            "password": u.has_usable_password(),
        }
        for u in User.objects.select_related("organization")
    }
    tickets = []
    for t in Ticket.objects.select_related("requester", "created_by", "assignee", "team", "organization").order_by(
        "created_at", "pk"
    ):
        messages = []
        for m in t.messages.select_related("author").order_by("created_at", "pk"):
            files = sorted(
                [a.filename, a.content_type, a.size, a.sha256, _sha256(a), a.internal] for a in m.attachments.all()
            )
            messages.append([_email(m.author), m.body, m.internal, _second(m.created_at), files])
        history = [
            [_second(e.created_at), e.kind, _email(e.actor), e.public, *values]
            for e in TicketEvent.objects.filter(ticket=t, kind__in=CARRIED).select_related("actor")
            if (values := _values(e, field_keys)) is not None
        ]
        # In time order (Zendesk's times are whole seconds: entries of one second by their content).
        history.sort(key=lambda entry: (entry[0], json.dumps(entry[1:])))
        ratings = [
            [
                r.score,
                r.comment,
                _email(r.requester),
                _email(r.assignee),
                r.team.name if r.team else None,
                _second(r.solve_event.created_at),
                _second(r.created_at),
                _second(r.rated_at),
            ]
            for r in SatisfactionRating.objects.filter(ticket=t)
            .select_related("requester", "assignee", "team", "solve_event")
            .order_by("-solve_event__created_at", "-solve_event_id")[:1]  # Zendesk's ticket has its latest
        ]
        tickets.append(
            {
                "subject": t.subject,
                "status": STATUS.get(t.status, t.status),
                "priority": t.priority,
                "channel": CHANNEL.get(t.channel, t.channel),
                "tags": sorted(tag.name for tag in t.tags.all()),
                "requester": _email(t.requester),
                "created_by": _email(t.created_by),
                "assignee": _email(t.assignee),
                "team": t.team.name if t.team else None,
                "organization": t.organization.name if t.organization else None,
                "collaborators": sorted(u.email for u in t.collaborators.all()),
                "collaborator_events": t.events.filter(kind="collaborator_added").count(),
                "custom_fields": {k: v for k, v in t.custom_fields.items() if k in field_keys},
                "created_at": _second(t.created_at),
                "first_response_at": _second(t.first_response_at),
                "messages": messages,
                "history": history,
                "ratings": ratings,
            }
        )
    tickets.sort(key=lambda t: (t["created_at"], t["subject"]))  # B's ids follow the export's order
    changes = sorted(
        [e.ticket.subject, e.kind, e.data.get("old"), e.data.get("new")]
        for e in TicketEvent.objects.filter(kind__in=["status_changed", "subject_changed"]).select_related("ticket")
    )
    return {
        "changes": changes,
        "users": users,
        "teams": {t.name: t.description for t in Team.objects.all()},
        "organizations": {o.name: o.share_tickets for o in Organization.objects.all()},
        "tickets": tickets,
    }


def _name(ref: Any) -> Any:
    return ref.get("name") if isinstance(ref, dict) else ref


def _values(event: TicketEvent, field_keys: tuple[str, ...]) -> list[Any] | None:
    """An entry's values as both desks can have them (None: an entry Zendesk's words lose, such
    as open → in progress, or a field desk B does not have); people and teams by name."""
    data = event.data
    if event.kind == "created":
        return [
            data.get("subject"),
            STATUS.get(data.get("status"), data.get("status")),
            data.get("priority"),
            CHANNEL.get(data.get("channel"), data.get("channel")),
            _name(data.get("requester")),
        ]
    if event.kind == "status_changed":
        old, new = (STATUS.get(data.get(k), data.get(k)) for k in ("old", "new"))
        return None if old == new else [old, new]
    if event.kind in ("assigned", "team_changed"):
        return [_name(data.get("old")), _name(data.get("new"))]
    if event.kind == "tags_changed":
        return [sorted(data.get(key) or []) for key in ("added", "removed", "tags")]  # sets of tags
    if event.kind == "custom_field_changed":
        return [data["field"], data.get("old"), data.get("new")] if data.get("field") in field_keys else None
    if event.kind == "satisfaction_rated":
        return [data.get("old"), data.get("score"), data.get("commented")]
    if event.kind in ("subject_changed", "priority_changed"):
        return [data.get("old"), data.get("new")]
    return []


def print_dump() -> None:
    print(json.dumps(dump(), sort_keys=True))
