"""What hangs off an imported Zendesk ticket: its comments (the first is the description; public
ones are replies, private ones internal notes), their attachments (downloaded, checked like
uploads, stored through the writer so a rolled-back ticket leaves no file) and its CCs
(collaborators). Written inside the ticket's transaction, each linked on its own, so a repeated
import adds what is new and updates what changed."""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import holds_staff_role
from tickets.attachments import check_upload, clean_filename
from tickets.importers import writer
from tickets.importers.framework import Outcome, Skip, describe_error, fingerprint
from tickets.importers.zendesk import mapping
from tickets.importers.zendesk.client import ZendeskError
from tickets.models import Attachment, Message, Ticket

if TYPE_CHECKING:
    from tickets.importers.zendesk.importer import ZendeskImporter


class Parts:
    def __init__(self, importer: ZendeskImporter):
        self.importer = importer
        self.session = importer.session

    def write(self, ticket: Ticket, row: dict[str, Any], comments: list[dict[str, Any]]) -> Message | None:
        """Upsert the ticket's comments, files and collaborators; returns its first message."""
        first: Message | None = None
        links = self.session.links
        links.preload("message", [c.get("id") for c in comments])
        links.preload("attachment", [a.get("id") for c in comments for a in c.get("attachments") or []])
        for number, comment in enumerate(comments):
            message = self._message(ticket, comment, opening=number == 0)
            first = first or message
            for item in comment.get("attachments") or []:
                self.session.upsert(
                    "attachment",
                    item["id"],
                    model=Attachment,
                    digest="",
                    create=functools.partial(self._attachment, ticket, item, comment, message),
                    update=lambda attachment: None,
                )
        cc_ids = list(dict.fromkeys([*(row.get("collaborator_ids") or []), *(row.get("email_cc_ids") or [])]))
        for user_id in cc_ids:
            self.session.upsert(
                "collaborator",
                f"{row['id']}:{user_id}",
                model=User,
                digest="",
                create=functools.partial(self._collaborator, ticket, user_id),
                update=lambda user: None,
            )
        return first

    def author(self, comment: dict[str, Any], ticket: Ticket) -> User:
        """Who wrote a comment: its author, or the requester when the author was not imported."""
        return self.importer.user(comment.get("author_id")) or ticket.requester

    def _message(self, ticket: Ticket, comment: dict[str, Any], *, opening: bool) -> Message | None:
        text = str(comment.get("body") or comment.get("plain_body") or "").strip()
        if not text:
            if opening:
                text = _("(No description in Zendesk.)")
            else:
                return None  # a comment with only files: they hang off the ticket
        body, shortened = writer.body_from(text)
        if shortened:
            self.session.report.note("message", Outcome.CREATED, _("longer than a message may be: shortened"))
        internal = not comment.get("public", True) and not opening
        at = mapping.moment(comment.get("created_at")) or ticket.created_at
        author = self.author(comment, ticket)

        def create() -> Message:
            if opening:
                return _opening_write(ticket, author=author, body=body, at=at)
            return writer.message_write(ticket, author=author, body=body, internal=internal, at=at)

        return self.session.upsert(
            "message",
            comment["id"],
            model=Message,
            digest=fingerprint([body, internal]),
            create=create,
            update=lambda message: writer.message_rewrite(message, body=body, internal=internal),
        )

    def _attachment(
        self, ticket: Ticket, item: dict[str, Any], comment: dict[str, Any], message: Message | None
    ) -> Attachment:
        url = item.get("content_url") or item.get("mapped_content_url")
        if not isinstance(url, str) or not url:
            raise Skip(_("no content_url to download it from"))
        limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
        try:
            data = self.importer.client.download(url, limit=limit)
        except ZendeskError as exc:
            if exc.status == 413:
                raise Skip(_("larger than the %(size)d bytes a file may be here") % {"size": limit}) from None
            raise Skip(_("could not be downloaded: %(reason)s") % {"reason": exc}) from None
        name = clean_filename(item.get("file_name"))
        try:
            checked = check_upload(File(io.BytesIO(data), name=name), field="attachment")
        except ValidationError as exc:
            # Without the file's name, so one reason counts every file refused for it.
            raise Skip(describe_error(exc).replace(name, _("the file"))) from None
        internal = not comment.get("public", True)
        return writer.attachment_write(
            ticket,
            checked,
            message=message,
            internal=internal,
            uploaded_by=self.author(comment, ticket),
            at=mapping.moment(comment.get("created_at")) or ticket.created_at,
        )

    def _collaborator(self, ticket: Ticket, user_id: Any) -> User:
        user = self.importer.user(user_id)
        if user is None:
            raise Skip(_("not an imported user"))
        if holds_staff_role(user):
            raise Skip(_("an agent: agents see tickets through their teams and scope"))
        if user.pk == ticket.requester_id:
            raise Skip(_("the requester already"))
        writer.collaborator_write(ticket, user, at=ticket.created_at)
        return user


def _opening_write(ticket: Ticket, *, author: User, body: str, at: Any) -> Message:
    """The description: the ticket's first message, which its "created" entry points to (as
    ``ticket_create`` writes it: no reply entry of its own)."""
    return Message.objects.create(
        ticket=ticket,
        author=author,
        author_name=author.name,
        author_role=author.role,
        body=body,
        internal=False,
        created_at=at,
    )
