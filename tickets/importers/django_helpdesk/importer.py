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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Role, Team, User
from accounts.permissions import holds_staff_role
from tickets.attachments import check_upload, clean_filename
from tickets.importers import writer
from tickets.importers.django_helpdesk import mapping
from tickets.importers.django_helpdesk.source import SourceDatabase
from tickets.importers.framework import ImportSession, Matched, Outcome, Skip, describe_error, fingerprint
from tickets.importers.models import ImportLink
from tickets.importers.people import People, usable_email
from tickets.models import Attachment, Channel, EventKind, Message, Status, Ticket, TicketEvent
from tickets.services.changes import person, team_ref

SOURCE = "django-helpdesk"


@dataclass
class Bundle:
    """One source ticket with everything that hangs off it."""

    ticket: dict[str, Any]
    followups: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by follow-up id
    attachments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by follow-up id
    ccs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def opening(self) -> dict[str, Any] | None:
        """django-helpdesk's opening follow-up (it repeats the description), if there is one."""
        if not self.followups:
            return None
        first = self.followups[0]
        text = (first["comment"] or "").strip()
        return first if text and first["public"] and text == (self.ticket["description"] or "").strip() else None

    def digest(self) -> str:
        return fingerprint([self.ticket, self.followups, self.changes, self.attachments, self.ccs])


class DjangoHelpdeskImporter:
    def __init__(
        self, db: SourceDatabase, session: ImportSession, *, media_root: Path | None, since: datetime | None = None
    ):
        self.db = db
        self.session = session
        self.media_root = media_root.resolve() if media_root is not None else None
        self.since = since
        self.people = People(session)
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
        while True:
            page = self.db.tickets(after, self.since)
            if not page:
                return
            ids = [row["id"] for row in page]
            children = self.db.children(ids)
            bundles = {row["id"]: Bundle(ticket=row) for row in page}
            for followup in children["followups"]:
                bundles[followup["ticket_id"]].followups.append(followup)
            ticket_of = {followup["id"]: followup["ticket_id"] for followup in children["followups"]}
            for change in children["changes"]:
                bundles[ticket_of[change["followup_id"]]].changes.setdefault(change["followup_id"], []).append(change)
            for item in children["attachments"]:
                target = bundles[ticket_of[item["followup_id"]]].attachments
                target.setdefault(item["followup_id"], []).append(item)
            for cc in children["ccs"]:
                bundles[cc["ticket_id"]].ccs.append(cc)
            # One query per kind for the page's links; what the previous page needed is let go.
            self.session.links.forget()
            links = self.session.links
            links.preload("ticket", ids)
            links.preload("message", [f["id"] for f in children["followups"]] + [f"description-{i}" for i in ids])
            links.preload("event", [c["id"] for c in children["changes"]])
            links.preload("attachment", [a["id"] for a in children["attachments"]])
            links.preload("collaborator", [c["id"] for c in children["ccs"]])
            yield from bundles.values()
            after = ids[-1]

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
                _("no submitter address: filed under Unknown requester"),
                key=bundle.ticket["id"],
            )
            user = self.people.unknown_requester()
        return user

    def _fields(self, bundle: Bundle, requester: User) -> dict[str, Any]:
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
        fields = self._fields(bundle, requester)
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
            actor=self._author(opening, requester) if opening else requester,
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
        first = self._children(ticket, bundle)
        if first is not None:
            created.data["message_id"] = first.pk
            created.save(update_fields=["data"])
        writer.reindex(ticket)
        return ticket

    def _update_ticket(self, bundle: Bundle, ticket: Ticket) -> None:
        writer.ticket_rewrite(ticket, **self._fields(bundle, ticket.requester))
        self._children(ticket, bundle)
        writer.reindex(ticket)

    def _author(self, followup: dict[str, Any] | None, requester: User) -> User:
        """Who wrote a follow-up: its user, or the requester (email replies have no user)."""
        user = self.user(followup["user_id"]) if followup is not None else None
        return user or requester

    # --- what hangs off a ticket --------------------------------------------------------------

    def _children(self, ticket: Ticket, bundle: Bundle) -> Message | None:
        """Upsert the ticket's messages, files, history and collaborators; returns its first message."""
        upsert = self.session.upsert
        requester = ticket.requester
        opening = bundle.opening
        first: Message | None = None
        if opening is None:
            text = (bundle.ticket["description"] or "").strip() or _("(No description in django-helpdesk.)")
            body, _short = writer.body_from(text)
            first = upsert(
                "message",
                f"description-{bundle.ticket['id']}",
                model=Message,
                digest=fingerprint(body),
                create=lambda: writer.message_write(
                    ticket, author=requester, body=body, internal=False, at=ticket.created_at
                ),
                update=lambda message: writer.message_rewrite(message, body=body, internal=False),
            )
        for followup in bundle.followups:
            message = self._message(ticket, followup, requester)
            first = first or message
            for item in bundle.attachments.get(followup["id"], []):
                upsert(
                    "attachment",
                    item["id"],
                    model=Attachment,
                    digest="",
                    create=functools.partial(self._attachment, ticket, item, followup, message),
                    update=lambda attachment: None,
                )
            for change in bundle.changes.get(followup["id"], []):
                upsert(
                    "event",
                    change["id"],
                    model=TicketEvent,
                    digest="",
                    create=functools.partial(self._event, ticket, change, followup),
                    update=lambda event: None,
                )
        for cc in bundle.ccs:
            upsert(
                "collaborator",
                cc["id"],
                model=User,
                digest="",
                create=functools.partial(self._collaborator, ticket, cc),
                update=lambda user: None,
            )
        return first

    def _message(self, ticket: Ticket, followup: dict[str, Any], requester: User) -> Message | None:
        text = (followup["comment"] or "").strip()
        if not text:
            return None  # a change without words: only its history
        body, shortened = writer.body_from(text)
        if shortened:
            self.session.report.note("message", Outcome.CREATED, _("longer than a message may be: shortened"))
        internal = not followup["public"]
        return self.session.upsert(
            "message",
            followup["id"],
            model=Message,
            digest=fingerprint([body, internal]),
            create=lambda: writer.message_write(
                ticket, author=self._author(followup, requester), body=body, internal=internal, at=followup["date"]
            ),
            update=lambda message: writer.message_rewrite(message, body=body, internal=internal),
        )

    def _attachment(
        self, ticket: Ticket, item: dict[str, Any], followup: dict[str, Any], message: Message | None
    ) -> Attachment:
        if self.media_root is None:
            raise Skip(_("no --media-root given, so the file cannot be read"))
        path = (self.media_root / item["file"]).resolve()
        if not path.is_relative_to(self.media_root):
            raise Skip(_("its path leads out of --media-root"))
        if not path.is_file():
            raise Skip(_("the file is not in --media-root"))
        name = clean_filename(item["filename"] or path.name)
        with path.open("rb") as handle:
            upload = File(handle, name=name)
            try:
                checked = check_upload(upload, field="attachment")
            except ValidationError as exc:
                raise Skip(describe_error(exc)) from None
            return writer.attachment_write(
                ticket,
                checked,
                message=message,
                internal=not followup["public"],
                uploaded_by=self._author(followup, ticket.requester),
                at=followup["date"],
            )

    def _event(self, ticket: Ticket, change: dict[str, Any], followup: dict[str, Any]) -> TicketEvent:
        kind = mapping.field_kind(change["field"])
        if kind is None:
            raise Skip(_("the field %(field)s has no history here") % {"field": change["field"]})
        old, new = change["old_value"], change["new_value"]
        data: dict[str, Any]
        if mapping.is_on_hold_field(change["field"]):
            held = [Status.ON_HOLD if mapping.truthy(value) else Status.OPEN for value in (old, new)]
            data = {"old": held[0], "new": held[1]}
        elif kind == EventKind.STATUS_CHANGED:
            data = {"old": mapping.status_from_label(old), "new": mapping.status_from_label(new)}
        elif kind == EventKind.PRIORITY_CHANGED:
            data = {"old": mapping.priority_from_label(old), "new": mapping.priority_from_label(new)}
        elif kind == EventKind.ASSIGNED:
            data = {"old": self.owner(old), "new": self.owner(new)}
        elif kind == EventKind.TEAM_CHANGED:
            data = {"old": self._queue_ref(old), "new": self._queue_ref(new)}
        else:
            data = {"old": old or "", "new": new or ""}
        if kind in (EventKind.STATUS_CHANGED, EventKind.PRIORITY_CHANGED) and data["new"] is None:
            raise Skip(_("%(value)s is not a value we know for %(field)s") % {"value": new, "field": change["field"]})
        return writer.event_write(
            ticket,
            kind=kind,
            actor=self.user(followup["user_id"]),
            data=data,
            public=kind != EventKind.TEAM_CHANGED,
            at=followup["date"],
        )

    def _queue_ref(self, value: str | None) -> dict[str, Any] | None:
        try:
            queue_id = int(value or "")
        except ValueError:
            return None
        team = self.team(queue_id)
        return team_ref(team) if team is not None else {"id": None, "name": str(value)}

    def _collaborator(self, ticket: Ticket, cc: dict[str, Any]) -> User:
        user = self.user(cc["user_id"]) if cc["user_id"] else self.people.customer(cc["email"])
        if user is None:
            raise Skip(_("neither an imported user nor a usable address"))
        if holds_staff_role(user):
            raise Skip(_("an agent: agents see tickets through their teams and scope"))
        if user.pk == ticket.requester_id:
            raise Skip(_("the requester already"))
        writer.collaborator_write(ticket, user, at=ticket.created_at)
        return user
