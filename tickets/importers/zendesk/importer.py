"""Importing a Zendesk account through its API: organizations, groups (→ teams) and their
memberships, users, then every ticket through the incremental export with its comments
(replies and internal notes), attachments, tags, custom field values, CCs, the history of its
audits and its satisfaction rating (``history``).

Runs through an ``ImportSession``: each organization, group, membership, user and ticket is one
record in its own transaction (a ticket arrives whole, with its comments and files, or not at
all). The tickets' checkpoint is the export's cursor: a stopped run is taken up at the page it
stopped in (tickets of that page it finished are passed over), and the next run after a finished
one asks the export only for what changed since (``stream``, the cursor at the end of the last
run), so a re-run picks up changed tickets and reads nothing else — unless tickets failed in the
last run: then the export is read from the start again (what did not change is passed over).
Users, organizations and groups are read whole each time and updated where they changed.

What has no counterpart here is kept in the ticket's metadata (Zendesk's id, status word and
channel) or reported (tags we cannot store, values of fields this desk does not have, a
rating whose solve is not in the ticket's history).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Organization, Team, User
from accounts.permissions import holds_staff_role
from tickets.importers.framework import (
    ImportSession,
    Matched,
    Outcome,
    Report,
    Skip,
    describe_error,
    fingerprint,
)
from tickets.importers.models import ImportRun
from tickets.importers.people import People, usable_email
from tickets.importers.zendesk import mapping
from tickets.importers.zendesk.client import ZendeskClient
from tickets.importers.zendesk.tickets import TicketImporter
from tickets.models import TicketField

SOURCE = "zendesk"


class TicketKey(dict):
    """A ticket's checkpoint: the export cursor of its page and its id (JSON as a dict; "#id" in
    the report's examples)."""

    def __str__(self) -> str:
        return f"#{self.get('id')}"


class ZendeskImporter:
    def __init__(self, client: ZendeskClient, session: ImportSession):
        self.client = client
        self.session = session
        self.people = People(session)
        self._rows: dict[tuple[str, int], Any] = {}
        #: Zendesk ticket field id → our field (None: no field of that name here), and titles.
        self.fields: dict[int, TicketField | None] | None = None
        self.field_titles: dict[int, str] = {}
        self.tickets = TicketImporter(self)

    def run(self) -> None:
        self.import_organizations()
        self.import_groups()
        self.import_users()
        self.import_memberships()
        self.read_ticket_fields()
        self.import_tickets()

    def local(self, kind: str, model: type[Any], source_id: Any) -> Any:
        """The row a source record of ``kind`` became (None: unknown, or not imported)."""
        if source_id is None:
            return None
        key = (kind, int(source_id))
        if key not in self._rows:
            local_id = self.session.links.local_id(kind, source_id)
            self._rows[key] = model._default_manager.filter(pk=local_id).first() if local_id else None
        return self._rows[key]

    def user(self, source_id: Any) -> User | None:
        return self.local("user", User, source_id)

    def team(self, source_id: Any) -> Team | None:
        return self.local("team", Team, source_id)

    # --- organizations, groups, users -----------------------------------------------------------

    def import_organizations(self) -> None:
        rows = list(self.client.items("organizations.json", "organizations"))
        self.session.each("organization", rows, key=lambda row: row["id"], handle=self._organization, total=len(rows))

    def _organization(self, row: dict[str, Any]) -> None:
        name = str(row.get("name") or "").strip() or f"Zendesk organization {row['id']}"
        shared = bool(row.get("shared_tickets"))

        def create() -> Organization | Matched[Organization]:
            existing = Organization.objects.filter(name__iexact=name).first()
            if existing is not None:
                return Matched(existing, _("an organization of that name was already here"))
            return account_services.organization_create(name=name, share_tickets=shared)

        def update(organization: Organization) -> None:
            try:
                account_services.organization_update(organization=organization, name=name, share_tickets=shared)
            except ValidationError as exc:
                raise Skip(describe_error(exc)) from None

        self.session.upsert(
            "organization",
            row["id"],
            model=Organization,
            digest=fingerprint([name, shared]),
            create=create,
            update=update,
        )

    def import_groups(self) -> None:
        rows = [row for row in self.client.items("groups.json", "groups") if not row.get("deleted")]
        self.session.each("team", rows, key=lambda row: row["id"], handle=self._group, total=len(rows))

    def _group(self, row: dict[str, Any]) -> None:
        name = str(row.get("name") or "").strip() or f"Zendesk group {row['id']}"
        description = str(row.get("description") or "")

        def create() -> Team | Matched[Team]:
            existing = Team.objects.filter(name__iexact=name).first()
            if existing is not None:
                return Matched(existing, _("a team of that name was already here"))
            return account_services.team_create(name=name, description=description)

        def update(team: Team) -> None:
            try:
                account_services.team_update(team=team, name=name, description=description)
            except ValidationError as exc:
                raise Skip(describe_error(exc)) from None

        self.session.upsert(
            "team", row["id"], model=Team, digest=fingerprint([name, description]), create=create, update=update
        )

    def import_users(self) -> None:
        rows = list(self.client.items("users.json", "users"))
        self.session.each("user", rows, key=lambda row: row["id"], handle=self._user, total=len(rows))

    def _user(self, row: dict[str, Any]) -> None:
        role = mapping.role(row.get("role"))
        name = str(row.get("name") or "").strip()
        active = bool(row.get("active", True)) and not row.get("suspended")
        organization = self.local("organization", Organization, row.get("organization_id"))
        email = usable_email(row.get("email"))

        def create() -> User | Matched[User]:
            address = email
            if address is None:
                address = self.people.placeholder_email(f"zendesk-user-{row['id']}")
                self.session.report.note(
                    "user",
                    Outcome.CREATED,
                    _("no usable email address at the source: given one ending in .invalid"),
                    key=row["id"],
                )
            existing = User.objects.with_email(address).first()
            if existing is not None:
                return Matched(existing, _("an account with that address was already here"))
            user = self.people.account(email=address, name=name, role=role, active=active, counted=False)
            if organization is not None:
                account_services.user_set_organization(user=user, organization=organization)
            return user

        def update(user: User) -> None:
            if name:
                account_services.user_set_name(user=user, name=name)
            if user.organization_id != (organization.pk if organization else None):
                account_services.user_set_organization(user=user, organization=organization)

        self.session.upsert(
            "user",
            row["id"],
            model=User,
            digest=fingerprint([name, organization.pk if organization else None]),
            create=create,
            update=update,
        )

    def import_memberships(self) -> None:
        rows = list(self.client.items("group_memberships.json", "group_memberships"))
        self.session.each("membership", rows, key=lambda row: row["id"], handle=self._membership, total=len(rows))

    def _membership(self, row: dict[str, Any]) -> None:
        def create() -> User:
            user, team = self.user(row.get("user_id")), self.team(row.get("group_id"))
            if user is None or team is None:
                raise Skip(_("its user or group was not imported"))
            if not holds_staff_role(user):
                raise Skip(_("only agents and admins can be team members"))
            account_services.team_add_member(team=team, user=user)
            return user

        self.session.upsert("membership", row["id"], model=User, digest="", create=create, update=lambda user: None)

    # --- ticket fields ---------------------------------------------------------------------------

    def read_ticket_fields(self) -> None:
        """Zendesk's ticket fields matched to ours: a field whose label is the Zendesk field's
        title, or whose key is that title made into a key. Without ``ticket_fields.json`` (the
        account does not serve it) no value can be placed and each is reported."""
        rows = self.client.optional_items("ticket_fields.json", "ticket_fields")
        if rows is None:
            self.fields = None
            return
        ours = list(TicketField.objects.all())
        self.fields = {}
        for row in rows:
            title = str(row.get("title") or row.get("raw_title") or "")
            self.field_titles[row["id"]] = title
            self.fields[row["id"]] = next(
                (f for f in ours if f.label.lower() == title.lower() or f.key == mapping.field_key(title)), None
            )

    # --- tickets ---------------------------------------------------------------------------------

    def import_tickets(self) -> None:
        checkpoint = self.session.checkpoint("ticket")
        if isinstance(checkpoint, dict):
            cursor, passed = checkpoint.get("cursor"), checkpoint.get("id")
        else:
            cursor, passed = self._last_stream(), None
        self.session.each(
            "ticket",
            self._tickets(cursor, passed),
            key=lambda item: item[0],
            handle=lambda item: self.tickets.handle(item[1]),
        )
        if self._end_cursor is not None:
            # Where the next run's export starts: one more checkpoint, not a record of its own.
            self.session.each("stream", [self._end_cursor], key=lambda cursor: cursor, handle=lambda cursor: None)

    _end_cursor: str | None = None

    def _last_stream(self) -> str | None:
        """The export cursor the last finished run of this account ended at (None: from the start)."""
        previous = (
            ImportRun.objects.filter(source=SOURCE, instance=self.session.instance, finished_at__isnull=False)
            .filter(~Q(pk=self.session.run.pk) if self.session.run else Q())
            .order_by("-finished_at", "-id")
            .first()
        )
        if previous is None or Report.from_dict(previous.report).get("ticket", Outcome.FAILED):
            return None  # never ran, or some tickets failed: the export from the start, to retry them
        stream = previous.checkpoints.get("stream")
        return stream if isinstance(stream, str) else None

    def _tickets(self, cursor: str | None, passed: Any):
        for page_cursor, page in self.client.ticket_pages(cursor=cursor):
            ids = [row["id"] for row in page.tickets]
            start = 0
            if passed is not None and page_cursor == cursor and passed in ids:
                start = ids.index(passed) + 1  # finished by the run this one takes up
            passed = None
            links = self.session.links
            links.forget()  # one query per kind for the page; the previous page's links go
            links.preload("ticket", ids[start:])
            for row in page.tickets[start:]:
                yield TicketKey(cursor=page_cursor, id=row["id"]), row
            self._end_cursor = page.after_cursor
