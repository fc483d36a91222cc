"""Importing a django-helpdesk desk: queues → teams, users → accounts, tickets with their
follow-ups (replies and internal notes), ticket changes (history), attachments and CCs.

Runs through an ``ImportSession``: each queue, user and ticket is one record in its own
transaction; a ticket's follow-ups, changes, files and CCs are written in the ticket's
transaction, so a ticket arrives whole or not at all. Writes go through ``tickets.importers.writer``
(history as it was, no notifications, triggers or SLA clocks).

Mapping (see also ``mapping``): a queue becomes the team of the same name (an existing team of
that name is used); staff users become agents, superusers admins, everyone else customers — all
without a usable password; the submitter address becomes the requester (a customer account is
made if there is none; tickets without one go to an "Unknown requester"); the ticket's description
is its first message (django-helpdesk's opening follow-up, which repeats it, is that message);
public follow-ups become replies, private ones internal notes, each by its user (or by the
requester for follow-ups without one, i.e. email replies); files are checked like uploads and
copied into our storage; CCs of customers and addresses become collaborators. What has no
counterpart here (due dates, the merged-to ticket, the original status name) is kept in the
ticket's metadata.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Role, Team, User
from accounts.permissions import holds_staff_role
from tickets.importers import writer
from tickets.importers.django_helpdesk import mapping
from tickets.importers.django_helpdesk.parts import TicketParts
from tickets.importers.django_helpdesk.source import Bundle, SourceDatabase
from tickets.importers.framework import ImportSession, Matched, Outcome, Skip, describe_error, fingerprint
from tickets.importers.models import ImportLink
from tickets.importers.people import People, usable_email
from tickets.models import Channel, EventKind, Status, Ticket
from tickets.services.changes import person
from tickets.services.validation import tag_objects

SOURCE = "django-helpdesk"


class DjangoHelpdeskImporter:
    def __init__(
        self, db: SourceDatabase, session: ImportSession, *, media_root: Path | None, since: datetime | None = None
    ):
        self.db = db
        self.session = session
        self.media_root = media_root.resolve() if media_root is not None else None
        self.since = since
        self.people = People(session)
        self.parts = TicketParts(self)
        self._teams: dict[int, Team | None] = {}
        self._users: dict[int, User | None] = {}
        self._usernames: dict[str, int] = {}

    def run(self) -> None:
        self.import_teams()
        self.import_users()
        self.import_tickets()

    # --- queues → teams ----------------------------------------------------------------------

    def import_teams(self) -> None:
        done = self.session.checkpoint("team") or 0
        rows = [row for row in self.db.queues() if row["id"] > done]
        self.session.each("team", rows, key=lambda row: row["id"], handle=self._team, total=len(rows))

    def _team(self, row: dict[str, Any]) -> None:
        def create() -> Team | Matched[Team]:
            existing = Team.objects.filter(name__iexact=row["title"].strip()).first()
            if existing is not None:
                return Matched(existing, _("a team of that name was already here"))
            return account_services.team_create(name=row["title"])

        def update(team: Team) -> None:
            if team.name != row["title"]:
                try:
                    account_services.team_update(team=team, name=row["title"])
                except ValidationError as exc:
                    raise Skip(describe_error(exc)) from None

        self.session.upsert("team", row["id"], model=Team, digest=fingerprint(row), create=create, update=update)

    def team(self, queue_id: Any) -> Team | None:
        if queue_id is None:
            return None
        queue_id = int(queue_id)
        if queue_id not in self._teams:
            local = self.session.links.local_id("team", queue_id)
            self._teams[queue_id] = Team.objects.filter(pk=local).first() if local else None
        return self._teams[queue_id]

    # --- users → accounts --------------------------------------------------------------------

    def import_users(self) -> None:
        rows = self.db.users(self.session.checkpoint("user") or 0)
        self.session.each("user", rows, key=lambda row: row["id"], handle=self._user, total=len(rows))

    def _user(self, row: dict[str, Any]) -> None:
        role = Role.ADMIN if row["is_superuser"] else Role.AGENT if row["is_staff"] else Role.CUSTOMER
        name = f"{row['first_name'] or ''} {row['last_name'] or ''}".strip() or row["username"]
        email = usable_email(row["email"])

        def create() -> User | Matched[User]:
            address = email
            if address is None:
                address = self.people.placeholder_email(row["username"])
                self.session.report.note(
                    "user",
                    Outcome.CREATED,
                    _("no usable email address at the source: given one ending in .invalid"),
                    key=row["id"],
                )
            existing = User.objects.with_email(address).first()
            if existing is not None:
                return Matched(existing, _("an account with that address was already here"))
            return self.people.account(email=address, name=name, role=role, active=row["is_active"], counted=False)

        def update(user: User) -> None:
            account_services.user_set_name(user=user, name=name)

        self.session.upsert("user", row["id"], model=User, digest=fingerprint([name]), create=create, update=update)

    def user(self, source_id: Any) -> User | None:
        """The account a source user became (None: unknown or not imported)."""
        if source_id is None:
            return None
        source_id = int(source_id)
        if source_id not in self._users:
            local = ImportLink.objects.filter(
                source=SOURCE, instance=self.session.instance, kind="user", external_id=str(source_id)
            ).values_list("local_id", flat=True)
            self._users[source_id] = User.objects.filter(pk__in=local).first()
        return self._users[source_id]

    def owner(self, value: str | None) -> dict[str, Any] | None:
        """A TicketChange owner value (a username, or "Unassigned") as history stores a person."""
        text = (value or "").strip()
        if text.lower() in mapping.UNASSIGNED:
            return None
        user = self.user(self._usernames.get(text))
        return person(user) if user is not None else {"id": None, "name": text}

    # --- tickets ------------------------------------------------------------------------------

    def import_tickets(self) -> None:
        self._usernames = {row["username"]: row["id"] for row in self.db.rows("SELECT id, username FROM auth_user")}
        after = self.session.checkpoint("ticket") or 0
        self.session.each(
            "ticket",
            self._bundles(after),
            key=lambda bundle: bundle.ticket["id"],
            handle=self._ticket,
            total=self.db.ticket_count(after, self.since),
        )

    def _bundles(self, after: int) -> Iterator[Bundle]:
        links = self.session.links
        for page in self.db.ticket_pages(after, self.since):
            # One query per kind for the page's links; what the previous page needed is let go.
            links.forget()
            ids = [bundle.ticket["id"] for bundle in page]
            followups = [f for bundle in page for f in bundle.followups]
            links.preload("ticket", ids)
            links.preload("message", [f["id"] for f in followups] + [f"description-{i}" for i in ids])
            links.preload("event", [c["id"] for b in page for changes in b.changes.values() for c in changes])
            links.preload("attachment", [a["id"] for b in page for items in b.attachments.values() for a in items])
            links.preload("collaborator", [c["id"] for b in page for c in b.ccs])
            yield from page

    def _ticket(self, bundle: Bundle) -> None:
        self.session.upsert(
            "ticket",
            bundle.ticket["id"],
            model=Ticket,
            digest=bundle.digest(),
            create=functools.partial(self._create_ticket, bundle),
            update=functools.partial(self._update_ticket, bundle),
        )

    def _requester(self, bundle: Bundle) -> User:
        user = self.people.customer(bundle.ticket["submitter_email"])
        if user is None:
            self.session.report.note(
                "ticket",
                Outcome.CREATED,
                _("no usable submitter address: filed under Unknown requester"),
                key=bundle.ticket["id"],
            )
            user = self.people.unknown_requester()
        return user

    def _fields(self, bundle: Bundle) -> dict[str, Any]:
        row = bundle.ticket
        status = mapping.status(row["status"], on_hold=row["on_hold"])
        team = self.team(row["queue_id"])
        assignee = self.user(row["assigned_to_id"])
        if assignee is not None and not holds_staff_role(assignee):
            assignee = None
        created = row["created"]
        public_dates = [f["date"] for f in bundle.followups if f["public"]]
        opening = bundle.opening
        responses = [
            f["date"]
            for f in bundle.followups
            if f is not opening and f["public"] and (f["comment"] or "").strip() and self._by_staff(f)
        ]
        reached = self._status_dates(bundle)
        metadata: dict[str, Any] = {
            "imported_from": SOURCE,
            "django_helpdesk_id": row["id"],
            "django_helpdesk_status": mapping.STATUS_NAMES.get(row["status"], str(row["status"])),
        }
        if row["due_date"]:
            metadata["django_helpdesk_due_date"] = row["due_date"].isoformat()
        if row["merged_to_id"]:
            metadata["django_helpdesk_merged_to"] = row["merged_to_id"]
        modified = max(row["modified"] or created, created)
        solved = status in (Status.SOLVED, Status.CLOSED)
        return {
            "subject": writer.subject_from(row["title"], f"#{row['id']}"),
            "status": status,
            "priority": mapping.priority(row["priority"]),
            "team": team,
            "assignee": assignee,
            "metadata": metadata,
            "created_at": created,
            "updated_at": modified,
            "public_activity_at": max([created, *public_dates]),
            "first_response_at": min(responses) if responses else None,
            "solved_at": (reached.get(Status.SOLVED) or modified) if solved else None,
            "closed_at": (reached.get(Status.CLOSED) or modified) if status == Status.CLOSED else None,
        }

    def _by_staff(self, followup: dict[str, Any]) -> bool:
        user = self.user(followup["user_id"])
        return user is not None and holds_staff_role(user)

    def _status_dates(self, bundle: Bundle) -> dict[str, datetime]:
        """When the ticket last reached each of our statuses, by its follow-ups."""
        reached: dict[str, datetime] = {}
        for followup in bundle.followups:
            labels = [
                c["new_value"]
                for c in bundle.changes.get(followup["id"], [])
                if mapping.field_kind(c["field"]) == EventKind.STATUS_CHANGED
                and not mapping.is_on_hold_field(c["field"])
            ]
            numbers = [mapping.status(followup["new_status"])] if followup["new_status"] else []
            for status in numbers + [mapping.status_from_label(label) for label in labels]:
                if status is not None:
                    reached[status] = followup["date"]
        return reached

    def _create_ticket(self, bundle: Bundle) -> Ticket:
        requester = self._requester(bundle)
        fields = self._fields(bundle)
        opening = bundle.opening
        channel = Channel.EMAIL if opening is not None and opening["message_id"] else Channel.WEB
        ticket = writer.ticket_write(
            requester=requester,
            created_by=requester,
            channel=channel,
            tags=["duplicate"] if bundle.ticket["status"] == mapping.DUPLICATE else [],
            **fields,
        )
        created = writer.event_write(
            ticket,
            kind=EventKind.CREATED,
            actor=self.author(opening, requester) if opening else requester,
            data={
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "channel": ticket.channel,
                "requester": person(requester),
                "message_id": None,
            },
            public=True,
            at=ticket.created_at,
        )
        first = self.parts.write(ticket, bundle)
        if first is not None:
            created.data["message_id"] = first.pk
            created.save(update_fields=["data"])
        writer.reindex(ticket)
        return ticket

    def _update_ticket(self, bundle: Bundle, ticket: Ticket) -> None:
        """The source changed since the last import: it wins for the fields it has. Metadata keys
        and activity times added here since are kept (times only move forward)."""
        fields = self._fields(bundle)
        fields["metadata"] = {**ticket.metadata, **fields["metadata"]}
        for name in ("updated_at", "public_activity_at"):
            fields[name] = max(fields[name], getattr(ticket, name))
        writer.ticket_rewrite(ticket, **fields)
        if bundle.ticket["status"] == mapping.DUPLICATE:
            ticket.tags.add(*tag_objects(["duplicate"]))
        self.parts.write(ticket, bundle)
        writer.reindex(ticket)

    def author(self, followup: dict[str, Any] | None, requester: User) -> User:
        """Who wrote a follow-up: its user, or the requester (email replies have no user)."""
        user = self.user(followup["user_id"]) if followup is not None else None
        return user or requester
