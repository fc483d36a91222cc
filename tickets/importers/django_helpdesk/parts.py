"""What hangs off an imported django-helpdesk ticket: its follow-ups (replies and internal notes),
their attachments (checked like uploads, copied into our storage), its ticket changes (history
events) and its CCs (collaborators). Written inside the ticket's transaction, each linked on its
own so a repeated import adds what is new and updates what changed."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import holds_staff_role
from tickets.attachments import check_upload, clean_filename
from tickets.importers import writer
from tickets.importers.django_helpdesk import mapping
from tickets.importers.django_helpdesk.source import Bundle
from tickets.importers.framework import Outcome, Skip, describe_error, fingerprint
from tickets.models import Attachment, EventKind, Message, Status, Ticket, TicketEvent
from tickets.services.changes import team_ref

if TYPE_CHECKING:
    from tickets.importers.django_helpdesk.importer import DjangoHelpdeskImporter


class TicketParts:
    def __init__(self, importer: DjangoHelpdeskImporter):
        self.importer = importer

    def write(self, ticket: Ticket, bundle: Bundle) -> Message | None:
        """Upsert the ticket's messages, files, history and collaborators; returns its first message."""
        upsert = self.importer.session.upsert
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
            self.importer.session.report.note("message", Outcome.CREATED, _("longer than a message may be: shortened"))
        internal = not followup["public"]
        return self.importer.session.upsert(
            "message",
            followup["id"],
            model=Message,
            digest=fingerprint([body, internal]),
            create=lambda: writer.message_write(
                ticket,
                author=self.importer.author(followup, requester),
                body=body,
                internal=internal,
                at=followup["date"],
            ),
            update=lambda message: writer.message_rewrite(message, body=body, internal=internal),
        )

    def _attachment(
        self, ticket: Ticket, item: dict[str, Any], followup: dict[str, Any], message: Message | None
    ) -> Attachment:
        if self.importer.media_root is None:
            raise Skip(_("no --media-root given, so the file cannot be read"))
        path = (self.importer.media_root / item["file"]).resolve()
        if not path.is_relative_to(self.importer.media_root):
            raise Skip(_("its path leads out of --media-root"))
        if not path.is_file():
            raise Skip(_("the file is not in --media-root"))
        name = clean_filename(item["filename"] or path.name)
        with path.open("rb") as handle:
            upload = File(handle, name=name)
            try:
                checked = check_upload(upload, field="attachment")
            except ValidationError as exc:
                # Without the file's name, so one reason counts every file refused for it.
                raise Skip(describe_error(exc).replace(name, _("the file"))) from None
            return writer.attachment_write(
                ticket,
                checked,
                message=message,
                internal=not followup["public"],
                uploaded_by=self.importer.author(followup, ticket.requester),
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
            data = {"old": self.importer.owner(old), "new": self.importer.owner(new)}
        elif kind == EventKind.TEAM_CHANGED:
            data = {"old": self._queue_ref(old), "new": self._queue_ref(new)}
        else:
            data = {"old": old or "", "new": new or ""}
        if kind in (EventKind.STATUS_CHANGED, EventKind.PRIORITY_CHANGED) and data["new"] is None:
            raise Skip(_("%(value)s is not a value we know for %(field)s") % {"value": new, "field": change["field"]})
        return writer.event_write(
            ticket,
            kind=kind,
            actor=self.importer.user(followup["user_id"]),
            data=data,
            public=kind != EventKind.TEAM_CHANGED,
            at=followup["date"],
        )

    def _queue_ref(self, value: str | None) -> dict[str, Any] | None:
        try:
            queue_id = int(value or "")
        except ValueError:
            return None
        team = self.importer.team(queue_id)
        return team_ref(team) if team is not None else {"id": None, "name": str(value)}

    def _collaborator(self, ticket: Ticket, cc: dict[str, Any]) -> User:
        user = self.importer.user(cc["user_id"]) if cc["user_id"] else self.importer.people.customer(cc["email"])
        if user is None:
            raise Skip(_("neither an imported user nor a usable address"))
        if holds_staff_role(user):
            raise Skip(_("an agent: agents see tickets through their teams and scope"))
        if user.pk == ticket.requester_id:
            raise Skip(_("the requester already"))
        writer.collaborator_write(ticket, user, at=ticket.created_at)
        return user
