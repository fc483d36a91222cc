"""Zendesk ticket payloads → our ticket services. Used by the ticket endpoints and the bulk jobs.

A payload is translated field by field; every rule (who may set what, which transitions are
allowed, what a valid subject is) stays in ``tickets.services``. A field this desk has no place
for is a 422 naming it, never silently dropped; read-only fields a client echoes back (ids, URLs,
timestamps) are ignored.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Team
from accounts.permissions import staff_members
from tickets import services
from tickets.attachments import atomic_with_files
from tickets.models import Channel, Message, Ticket
from tickets.zendesk import mapping
from tickets.zendesk.errors import invalid
from tickets.zendesk.uploads import close_files, files_for_tokens, forget_uploads

#: Echoed back by clients that send a whole ticket: never changed through the API.
READ_ONLY = {
    "id", "url", "raw_subject", "description", "created_at", "updated_at", "via", "submitter_id", "recipient",
    "satisfaction_rating", "sharing_agreement_ids", "followup_ids", "follower_ids", "has_incidents", "is_public",
    "allow_attachments", "allow_channelback", "from_messaging_channel", "brand_id", "ticket_form_id", "problem_id",
    "due_at", "external_id", "type", "generated_timestamp", "fields", "email_cc_ids", "organization_id",
}  # fmt: skip
WRITABLE = {
    "subject", "status", "priority", "tags", "additional_tags", "remove_tags", "assignee_id", "assignee_email",
    "group_id", "custom_fields", "comment", "requester_id", "requester", "collaborator_ids", "collaborators",
}  # fmt: skip
# Read-only fields that must hold nothing new: a client may echo them, not set them.
_MUST_BE_EMPTY = {"due_at", "external_id", "type", "problem_id"}


def _check_keys(data: dict[str, Any], *, creating: bool) -> None:
    for name, value in data.items():
        if name in WRITABLE or (name in READ_ONLY and not (name in _MUST_BE_EMPTY and value not in (None, ""))):
            continue
        if name in ("description",) and creating:
            continue
        raise invalid(name, _("This desk has no ticket field %(name)r that can be set.") % {"name": name})


def _user_id(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(field, _("%(field)s is a user id.") % {"field": field})
    return value


def _assignee(data: dict[str, Any]):
    if "assignee_email" in data:
        email = data["assignee_email"]
        found = staff_members(active=False).filter(email__iexact=str(email)).first() if email else None
        if email and found is None:
            raise invalid("assignee_email", _("No agent has that email."))
        return found
    pk = _user_id(data["assignee_id"], "assignee_id")
    if pk is None:
        return None
    found = staff_members(active=False).filter(pk=pk).first()
    if found is None:
        raise invalid("assignee_id", _("No agent has that id."))
    return found


def _team(value: Any) -> Team | None:
    if value is None:
        return None
    found = Team.objects.filter(pk=value).first() if isinstance(value, int) and not isinstance(value, bool) else None
    if found is None:
        raise invalid("group_id", _("No group has that id."))
    return found


def _tags(value: Any, field: str) -> list[str]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise invalid(field, _("%(field)s is a list of tags.") % {"field": field})
    return [t.strip().lower() for t in value if t.strip()]


def _comment(data: dict[str, Any]) -> dict[str, Any] | None:
    comment = data.get("comment")
    if comment is None:
        return None
    if isinstance(comment, str):
        comment = {"body": comment}
    if not isinstance(comment, dict):
        raise invalid("comment", _('comment is {"body": "...", "public": true|false, "uploads": [tokens]}.'))
    body = comment.get("body", comment.get("html_body"))
    if not isinstance(body, str):
        raise invalid("comment", _("A comment needs a body."))
    public = comment.get("public", True)
    if not isinstance(public, bool):
        raise invalid("comment", _("comment.public is true or false."))
    return {"body": body, "internal": not public, "uploads": comment.get("uploads")}


def field_changes(data: dict[str, Any], shapes: mapping.Shapes, ticket: Ticket | None) -> dict[str, Any]:
    """The ``ticket_update``/``ticket_create`` keyword arguments that ``data`` asks for."""
    changes: dict[str, Any] = {}
    if "subject" in data:
        changes["subject"] = data["subject"]
    if "status" in data:
        status = mapping.status_in(data["status"], ticket.status if ticket else None)
        if status is not None:
            changes["status"] = status
    if "priority" in data:
        changes["priority"] = mapping.priority_in(data["priority"])
    if "tags" in data:
        changes["tags"] = _tags(data["tags"], "tags")
    if "additional_tags" in data:
        changes["add_tags"] = _tags(data["additional_tags"], "additional_tags")
    if "remove_tags" in data:
        changes["remove_tags"] = _tags(data["remove_tags"], "remove_tags")
    if "assignee_id" in data or "assignee_email" in data:
        changes["assignee"] = _assignee(data)
    if "group_id" in data:
        changes["team"] = _team(data["group_id"])
    if "custom_fields" in data:
        changes["custom_fields"] = shapes.custom_fields_in(data["custom_fields"])
    return changes


def _collaborator_emails(data: dict[str, Any]) -> list[tuple[str, str]]:
    """``collaborator_ids`` / ``collaborators`` (ids, emails or ``{"name", "email"}``) as (email, name)."""
    from accounts.models import User

    given = list(data.get("collaborator_ids") or []) + list(data.get("collaborators") or [])
    ids = [item for item in given if isinstance(item, int) and not isinstance(item, bool)]
    emails = dict(User.objects.filter(pk__in=ids).values_list("pk", "email")) if ids else {}
    out = []
    for item in given:
        if isinstance(item, int) and item in emails:
            out.append((emails[item], ""))
        elif isinstance(item, str) and "@" in item:
            out.append((item, ""))
        elif isinstance(item, dict) and isinstance(item.get("email"), str):
            out.append((item["email"], str(item.get("name") or "")))
        else:
            raise invalid(
                "collaborators",
                _("Unknown collaborator %(item)r: give a user id, an email or {name, email}.") % {"item": item},
            )
    return out


def create_ticket(actor, data: dict[str, Any], shapes: mapping.Shapes) -> Ticket:
    """``POST tickets.json``'s ``ticket`` object → ``services.ticket_create``."""
    _check_keys(data, creating=True)
    comment = _comment(data)
    if comment is not None and comment["internal"]:
        raise invalid("comment", _("A new ticket's first comment is its description, which is public here."))
    description = comment["body"] if comment else data.get("description")
    if not isinstance(description, str):
        raise invalid("comment", _("A new ticket needs comment.body (its description)."))
    subject = data.get("subject")
    if subject is None:
        subject = description.strip().splitlines()[0][:150] if description.strip() else ""
    kwargs = field_changes({k: v for k, v in data.items() if k != "subject"}, shapes, None)
    for ours, theirs in (("add_tags", "additional_tags"), ("remove_tags", "remove_tags")):
        if ours in kwargs:
            raise invalid(theirs, _("A new ticket takes tags, not changes to them."))
    if "requester" in data:
        requester = data["requester"]
        if not isinstance(requester, dict) or not isinstance(requester.get("email"), str):
            raise invalid("requester", _('requester is {"name": "...", "email": "..."}.'))
        kwargs["requester"] = {"email": requester["email"], "name": str(requester.get("name") or "")}
    elif data.get("requester_id") is not None:
        from accounts.models import User

        requester_id = _user_id(data["requester_id"], "requester_id")
        found = User.objects.filter(pk=requester_id).first() if requester_id is not None else None
        if found is None:
            raise invalid("requester_id", _("No user has that id."))
        kwargs["requester"] = found
    collaborators = _collaborator_emails(data)
    files, pending = files_for_tokens(actor, comment["uploads"] if comment else None)
    try:
        with atomic_with_files():
            ticket = services.ticket_create(
                actor=actor, subject=subject, description=description, attachments=files, via=Channel.API, **kwargs
            )
            for email, name in collaborators:
                services.collaborator_add(actor=actor, ticket=ticket, email=email, name=name)
            forget_uploads(pending)
    finally:
        close_files(files)
    return ticket


def update_ticket(actor, ticket: Ticket, data: dict[str, Any], shapes: mapping.Shapes) -> Message | None:
    """``PUT tickets/{id}.json``'s ``ticket`` object → ``message_add`` (the comment: a public reply,
    or with ``public: false`` an internal note), then ``ticket_update`` (the fields), then the
    collaborators: all in one transaction. Returns the comment's message, if any."""
    _check_keys(data, creating=False)
    if data.get("requester_id") not in (None, ticket.requester_id) or "requester" in data:
        raise invalid("requester_id", _("A ticket's requester does not change."))
    if "organization_id" in data and data["organization_id"] != ticket.organization_id:
        raise invalid("organization_id", _("A ticket's organization is its requester's."))
    comment = _comment(data)
    changes = field_changes(data, shapes, ticket)
    collaborators = _collaborator_emails(data) if ("collaborator_ids" in data or "collaborators" in data) else None
    files, pending = files_for_tokens(actor, comment["uploads"] if comment else None)
    message = None
    try:
        with atomic_with_files():
            if comment is not None:
                message = services.message_add(
                    actor=actor, ticket=ticket, body=comment["body"], internal=comment["internal"], attachments=files
                )
                ticket.refresh_from_db()
            if changes:
                services.ticket_update(actor=actor, ticket=ticket, **changes)
            if collaborators is not None:
                _set_collaborators(actor, ticket, collaborators)
            forget_uploads(pending)
    finally:
        close_files(files)
    return message


def _set_collaborators(actor, ticket: Ticket, wanted: list[tuple[str, str]]) -> None:
    from accounts.addresses import normalize_email

    current = {normalize_email(u.email): u for u in ticket.collaborators.all()}
    keep = {normalize_email(email) for email, _ in wanted}
    for email, name in wanted:
        if normalize_email(email) not in current:
            services.collaborator_add(actor=actor, ticket=ticket, email=email, name=name)
    for email, user in current.items():
        if email not in keep:
            services.collaborator_remove(actor=actor, ticket=ticket, user=user)
