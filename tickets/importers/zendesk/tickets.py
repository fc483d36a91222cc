"""One Zendesk ticket: its fields mapped onto ours, written (or brought up to date) with its
history, then its comments, files and CCs (``parts``).

History: a new ticket gets its "created" entry (by its submitter, at its creation), each comment
its reply or note entry, each file and CC theirs, and every change of its audits (``history``:
status, priority, assignee, team, tags, subject, custom fields, with their time and author), and
its satisfaction rating. A ticket that changed at the source since the last import gets the
entries of the audits that came since. An account that does not serve audits gives the ticket as
it is now and its comments only: then a new ticket gets what ``ticket_create`` would have written
(with its team and assignee) plus one status change to where it stands now, and a changed one
one entry per field that changed (by "System", at the source's update time).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import holds_staff_role
from tickets.importers import writer
from tickets.importers.framework import Outcome, Skip, describe_error, fingerprint
from tickets.importers.zendesk import mapping
from tickets.importers.zendesk.history import History
from tickets.importers.zendesk.parts import Parts
from tickets.models import EventKind, Message, Status, Ticket
from tickets.services.changes import person, team_ref
from tickets.services.custom_fields import clean_value
from tickets.services.validation import tag_objects

if TYPE_CHECKING:
    from tickets.importers.zendesk.importer import ZendeskImporter


class TicketImporter:
    def __init__(self, importer: ZendeskImporter):
        self.importer = importer
        self.session = importer.session
        self.parts = Parts(importer)
        self.history = History(importer)

    def handle(self, row: dict[str, Any]) -> None:
        status = mapping.status(row.get("status"))
        if status is None:
            raise Skip(
                _("status %(status)s at the source (deleted tickets are not imported)") % {"status": row.get("status")}
            )
        comments = self.importer.client.comments(row["id"])
        audits = self.importer.client.audits(row["id"])
        digest = fingerprint(
            [
                row,
                [[c.get("id"), c.get("public"), c.get("body")] for c in comments],
                None if audits is None else [a.get("id") for a in audits],
            ]
        )
        self.session.upsert(
            "ticket",
            row["id"],
            model=Ticket,
            digest=digest,
            create=functools.partial(self._create, row, comments, audits),
            update=functools.partial(self._update, row, comments, audits),
        )
        if audits is None:
            self._satisfaction(row)

    # --- fields ----------------------------------------------------------------------------------

    def _staff(self, source_id: Any) -> User | None:
        user = self.importer.user(source_id)
        return user if user is not None and holds_staff_role(user) else None

    def _fields(self, row: dict[str, Any], comments: list[dict[str, Any]]) -> dict[str, Any]:
        status = mapping.status(row.get("status")) or Status.OPEN
        created = mapping.moment(row.get("created_at"))
        if created is None:
            raise Skip(_("no created_at at the source"))
        updated = max(mapping.moment(row.get("updated_at")) or created, created)
        public_times = [mapping.moment(c.get("created_at")) or created for c in comments if c.get("public")]
        responses = [
            mapping.moment(c.get("created_at")) or created
            for c in comments[1:]
            if c.get("public") and self._staff(c.get("author_id")) is not None
        ]
        _channel, via = mapping.channel(row.get("via"))
        metadata: dict[str, Any] = {
            "imported_from": "zendesk",
            "zendesk_id": row["id"],
            "zendesk_status": row.get("status"),
            "zendesk_via": via,
        }
        for name in ("external_id", "type"):
            if row.get(name):
                metadata[f"zendesk_{name}"] = row[name]
        solved = status in (Status.SOLVED, Status.CLOSED)
        return {
            "subject": writer.subject_from(row.get("subject") or row.get("raw_subject"), f"#{row['id']}"),
            "status": status,
            "priority": mapping.priority(row.get("priority")),
            "team": self.importer.team(row.get("group_id")),
            "assignee": self._staff(row.get("assignee_id")),
            "metadata": metadata,
            "created_at": created,
            "updated_at": updated,
            "public_activity_at": max([created, *public_times]),
            # Zendesk's ticket has no "solved at": the last update is the nearest it tells.
            "first_response_at": min(responses) if responses else None,
            "solved_at": updated if solved else None,
            "closed_at": updated if status == Status.CLOSED else None,
        }

    def _tags(self, row: dict[str, Any]) -> list[str]:
        kept, left = mapping.tags(row.get("tags"))
        for tag in left:
            self.session.report.add(
                "tag", Outcome.SKIPPED, reason=_("not a tag this desk can store, or past 10 a ticket"), key=tag[:60]
            )
        return kept

    def _custom_fields(self, row: dict[str, Any], *, count: bool = True) -> dict[str, Any]:
        """The values of Zendesk's custom fields that have a field here, cleaned as ours are
        (each counted in the report as a "field" created or skipped, unless not ``count``)."""
        values: dict[str, Any] = {}
        fields = self.importer.fields
        for item in row.get("custom_fields") or []:
            if not isinstance(item, dict) or item.get("value") in (None, "", []):
                continue
            if fields is None:
                self.session.report.add(
                    "field", Outcome.SKIPPED, reason=_("the account does not list its ticket fields")
                )
                continue
            field_id = item.get("id")
            field = fields.get(field_id) if isinstance(field_id, int) else None
            if field is None:
                title = self.importer.field_titles.get(field_id, str(field_id)) if isinstance(field_id, int) else "?"
                self.session.report.add(
                    "field", Outcome.SKIPPED, reason=_("no field “%(title)s” here") % {"title": title}
                )
                continue
            try:
                value = clean_value(field, item["value"])
            except ValidationError as exc:
                self.session.report.add("field", Outcome.SKIPPED, reason=describe_error(exc), key=row["id"])
                continue
            if value is not None:
                values[field.key] = value
                if count:
                    self.session.report.add("field", Outcome.CREATED)
        return values

    def _requester(self, row: dict[str, Any]) -> User:
        user = self.importer.user(row.get("requester_id"))
        if user is None:
            self.session.report.note(
                "ticket",
                Outcome.CREATED,
                _("its requester was not imported: filed under Unknown requester"),
                key=row["id"],
            )
            user = self.importer.people.unknown_requester()
        return user

    # --- create and update -------------------------------------------------------------------------

    def _create(
        self, row: dict[str, Any], comments: list[dict[str, Any]], audits: list[dict[str, Any]] | None
    ) -> Ticket:
        requester = self._requester(row)
        submitter = self.importer.user(row.get("submitter_id")) or requester
        fields = self._fields(row, comments)
        channel, _via = mapping.channel(row.get("via"))
        ticket = writer.ticket_write(
            requester=requester,
            created_by=submitter,
            channel=channel,
            tags=self._tags(row),
            custom_fields=self._custom_fields(row),
            **fields,
        )
        at = ticket.created_at
        created_status = _created_status(audits)
        created = writer.event_write(
            ticket,
            kind=EventKind.CREATED,
            actor=submitter,
            data={
                "subject": _created_subject(audits, row) or ticket.subject,
                "status": created_status,
                "priority": _created_priority(audits) or ticket.priority,
                "channel": ticket.channel,
                "requester": person(requester),
                "message_id": None,
            },
            public=True,
            at=at,
        )
        if audits is not None:
            first = self.parts.write(ticket, row, comments)
            rated = self.history.write(ticket, audits)
            self.history.rating(ticket, row, rated)
        else:
            first = self._create_without_audits(ticket, row, comments, submitter)
        if first is not None:
            created.data["message_id"] = first.pk
            created.save(update_fields=["data"])
        writer.reindex(ticket)
        return ticket

    def _create_without_audits(
        self, ticket: Ticket, row: dict[str, Any], comments: list[dict[str, Any]], submitter: User
    ) -> Message | None:
        at = ticket.created_at
        if ticket.team is not None:
            writer.event_write(
                ticket,
                kind=EventKind.TEAM_CHANGED,
                actor=submitter,
                data={"old": None, "new": team_ref(ticket.team)},
                public=False,
                at=at,
            )
        if ticket.assignee is not None:
            writer.event_write(
                ticket,
                kind=EventKind.ASSIGNED,
                actor=submitter,
                data={"old": None, "new": person(ticket.assignee)},
                public=True,
                at=at,
            )
        first = self.parts.write(ticket, row, comments)
        if ticket.status != Status.OPEN:
            self._event(ticket, EventKind.STATUS_CHANGED, Status.OPEN, ticket.status, at=ticket.updated_at)
        return first

    def _update(
        self, row: dict[str, Any], comments: list[dict[str, Any]], audits: list[dict[str, Any]] | None, ticket: Ticket
    ) -> None:
        """The source changed since the last import: it wins for the fields it has; metadata keys
        and activity times added here since are kept. Each change is a history entry."""
        fields = self._fields(row, comments)
        fields["metadata"] = {**ticket.metadata, **fields["metadata"]}
        for name in ("updated_at", "public_activity_at"):
            fields[name] = max(fields[name], getattr(ticket, name))
        if ticket.first_response_at is not None:
            fields["first_response_at"] = ticket.first_response_at
        old: dict[str, Any] = {
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee,
            "team": ticket.team,
        }
        at = fields["updated_at"]
        writer.ticket_rewrite(ticket, **fields)
        values = self._custom_fields(row, count=False)
        if values != ticket.custom_fields:
            ticket.custom_fields = values
            ticket.save(update_fields=["custom_fields"])
        if audits is not None:  # the audits since the last import say what changed, when and by whom
            self._update_tags(ticket, self._tags(row), at=at, record=False)
            self.parts.write(ticket, row, comments)
            rated = self.history.write(ticket, audits)
            self.history.rating(ticket, row, rated)
            writer.reindex(ticket)
            return
        for name, kind in (
            ("subject", EventKind.SUBJECT_CHANGED),
            ("status", EventKind.STATUS_CHANGED),
            ("priority", EventKind.PRIORITY_CHANGED),
        ):
            if old[name] != fields[name]:
                self._event(ticket, kind, old[name], fields[name], at=at)
        if old["assignee"] != fields["assignee"]:
            self._event(ticket, EventKind.ASSIGNED, person(old["assignee"]), person(fields["assignee"]), at=at)
        if old["team"] != fields["team"]:
            self._event(
                ticket, EventKind.TEAM_CHANGED, team_ref(old["team"]), team_ref(fields["team"]), at=at, public=False
            )
        self._update_tags(ticket, self._tags(row), at=at)
        self.parts.write(ticket, row, comments)
        writer.reindex(ticket)

    def _update_tags(self, ticket: Ticket, wanted: list[str], *, at: datetime, record: bool = True) -> None:
        current = sorted(tag.name for tag in ticket.tags.all())
        if sorted(wanted) == current:
            return
        ticket.tags.set(tag_objects(wanted))
        if not record:
            return
        data = {
            "added": sorted(set(wanted) - set(current)),
            "removed": sorted(set(current) - set(wanted)),
            "tags": sorted(wanted),
        }
        writer.event_write(ticket, kind=EventKind.TAGS_CHANGED, actor=None, data=data, public=False, at=at)

    def _event(self, ticket: Ticket, kind: str, old: Any, new: Any, *, at: datetime, public: bool = True) -> None:
        writer.event_write(ticket, kind=kind, actor=None, data={"old": old, "new": new}, public=public, at=at)

    def _satisfaction(self, row: dict[str, Any]) -> None:
        rating = row.get("satisfaction_rating")
        if isinstance(rating, dict) and rating.get("score") not in (None, "unoffered"):
            self.session.report.add(
                "satisfaction",
                Outcome.SKIPPED,
                reason=_("the account does not serve the ticket's audits, so its solve is not known"),
                key=row["id"],
            )


def _created_values(audits: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The field values of the audit that created the ticket (its ``Create`` events)."""
    for audit in audits or []:
        events = [e for e in audit.get("events") or [] if isinstance(e, dict) and e.get("type") == "Create"]
        if events:
            return {str(e.get("field_name")): e.get("value") for e in events}
    return {}


def _created_subject(audits: list[dict[str, Any]] | None, row: dict[str, Any]) -> str | None:
    value = _created_values(audits).get("subject")
    return writer.subject_from(value, f"#{row['id']}") if isinstance(value, str) and value else None


def _created_status(audits: list[dict[str, Any]] | None) -> str:
    return mapping.status(_created_values(audits).get("status")) or Status.OPEN


def _created_priority(audits: list[dict[str, Any]] | None) -> str | None:
    value = _created_values(audits).get("priority")
    return mapping.priority(value) if "priority" in _created_values(audits) else None
