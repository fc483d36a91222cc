"""Zendesk's words and shapes ↔ ours: statuses, priorities, channels, roles, custom fields, and the
JSON of tickets, comments, attachments, users, organizations and groups.

Statuses: ``new`` is our ``open`` before any agent answered publicly; ``open`` is ``open`` or
``in_progress``; ``hold`` is ``on_hold``; ``pending``, ``solved`` and ``closed`` are the same.
Our ``agent`` channel (a ticket an agent filed) is Zendesk's ``web`` (its agent interface).
Internal fields — tags, the team (``group_id``), agents-only custom fields — are shown only to
people who may read the ticket's internal side (the selectors' ``reads_internal``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from tickets import permissions, selectors
from tickets.models import Channel, Priority, Status, TicketField
from tickets.satisfaction import selectors as satisfaction_selectors
from tickets.satisfaction import zendesk_shape
from tickets.zendesk.errors import invalid

if TYPE_CHECKING:
    from accounts.models import Organization, Team, User
    from tickets.models import Attachment, Message, Ticket

STATUS_OUT = {
    Status.OPEN: "open",
    Status.IN_PROGRESS: "open",
    Status.PENDING: "pending",
    Status.ON_HOLD: "hold",
    Status.SOLVED: "solved",
    Status.CLOSED: "closed",
}
STATUS_IN = {
    "new": Status.OPEN,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.ON_HOLD,
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
}
#: Zendesk's order of statuses, for ``status<solved`` in a search.
STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"]
PRIORITY_ORDER = ["low", "normal", "high", "urgent"]
CHANNEL_OUT = {Channel.WEB: "web", Channel.API: "api", Channel.EMAIL: "email", Channel.AGENT: "web"}
ROLE_OUT = {Role.CUSTOMER: "end-user", Role.AGENT: "agent", Role.ADMIN: "admin"}
ROLE_IN = {value: key for key, value in ROLE_OUT.items()}


def timestamp(moment: datetime | None) -> str | None:
    """Zendesk's timestamps: UTC, whole seconds, ``Z``."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_out(ticket: Ticket) -> str:
    if ticket.status == Status.OPEN and ticket.first_response_at is None:
        return "new"
    return STATUS_OUT[Status(ticket.status)]


def status_in(value: Any, current: str | None = None) -> str | None:
    """Our status for Zendesk's ``value``; None when it is what ``current`` already means
    (``open`` on a ticket in progress stays in progress)."""
    if not isinstance(value, str) or value not in STATUS_IN:
        raise invalid("status", _("Status must be one of %(values)s.") % {"values": ", ".join(STATUS_ORDER)})
    ours = STATUS_IN[value]
    if current is not None and ours == Status.OPEN and current in (Status.OPEN, Status.IN_PROGRESS):
        return None
    return ours


def priority_in(value: Any) -> str:
    if value is None:
        return Priority.NORMAL  # Zendesk's "no priority" is our default
    if not isinstance(value, str) or value not in Priority.values:
        raise invalid(
            "priority", _("Priority must be one of %(values)s.") % {"values": ", ".join(reversed(PRIORITY_ORDER))}
        )
    return value


def via(channel: str) -> dict[str, Any]:
    return {"channel": CHANNEL_OUT.get(Channel(channel), "web"), "source": {"from": {}, "to": {}, "rel": None}}


@dataclass
class Shapes:
    """Turns our records into Zendesk's JSON for one request (absolute URLs, the caller's view of
    custom fields). Reads the custom field definitions once per request, and nothing else."""

    request: Any
    viewer: User
    _fields: list[TicketField] | None = field(default=None, repr=False)

    # --- helpers -----------------------------------------------------------------------------

    def url(self, name: str, *args: Any) -> str:
        return self.request.build_absolute_uri(reverse(name, args=args))

    def fields(self) -> list[TicketField]:
        if self._fields is None:
            self._fields = list(
                TicketField.objects.order_by("position", "pk").only("pk", "key", "visible_to_customers")
            )
        return self._fields

    def custom_fields_in(self, given: Any) -> dict[str, Any]:
        """Zendesk's ``[{"id", "value"}]`` as our ``{"key": value}``; 422 for an unknown id."""
        if not isinstance(given, list):
            raise invalid("custom_fields", _('Send a list of {"id": field id, "value": value}.'))
        by_id = {f.pk: f.key for f in self.fields()}
        out: dict[str, Any] = {}
        for item in given:
            if not isinstance(item, dict) or "id" not in item:
                raise invalid("custom_fields", _('Each custom field is {"id": field id, "value": value}.'))
            key = by_id.get(item["id"]) if isinstance(item["id"], int) else None
            if key is None:
                raise invalid("custom_fields", _("No ticket field has the id %(id)r.") % {"id": item["id"]})
            out[key] = item.get("value")
        return out

    def satisfaction(self, ticket: Ticket, internal: bool) -> dict[str, Any] | None:
        """The latest solve's survey in Zendesk's shape, for those who may see it (else null)."""
        if not permissions.sees_satisfaction(self.viewer, ticket, internal=internal):
            return None
        return zendesk_shape(satisfaction_selectors.latest_from_prefetch(ticket))

    # --- objects -----------------------------------------------------------------------------

    def ticket(self, ticket: Ticket) -> dict[str, Any]:
        """A ticket from ``selectors.ticket_list_for_api`` (``description``, ``activity_at`` and
        ``reads_internal`` annotated; tags and collaborators prefetched)."""
        internal = bool(getattr(ticket, "reads_internal", False))
        values = ticket.custom_fields or {}
        custom = [{"id": f.pk, "value": values.get(f.key)} for f in self.fields() if internal or f.visible_to_customers]
        collaborators = sorted(u.pk for u in ticket.collaborators.all())
        return {
            "id": ticket.pk,
            "url": self.url("api:zendesk-ticket", ticket.pk),
            "external_id": None,
            "type": None,
            "subject": ticket.subject,
            "raw_subject": ticket.subject,
            "description": getattr(ticket, "description", None) or "",
            "priority": ticket.priority,
            "status": status_out(ticket),
            "recipient": None,
            "requester_id": ticket.requester_id,
            "submitter_id": ticket.created_by_id or ticket.requester_id,
            "assignee_id": ticket.assignee_id,
            "organization_id": ticket.organization_id,
            "group_id": ticket.team_id if internal else None,
            "collaborator_ids": collaborators,
            "follower_ids": [],
            "email_cc_ids": collaborators,
            "tags": sorted(selectors.tag_names(ticket)) if internal else [],
            "via": via(ticket.channel),
            "custom_fields": custom,
            "fields": custom,
            "satisfaction_rating": self.satisfaction(ticket, internal),
            "sharing_agreement_ids": [],
            "followup_ids": [],
            "ticket_form_id": None,
            "brand_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "allow_attachments": True,
            "allow_channelback": False,
            "from_messaging_channel": False,
            "due_at": None,
            "created_at": timestamp(ticket.created_at),
            "updated_at": timestamp(getattr(ticket, "activity_at", None) or ticket.updated_at),
        }

    def attachment(self, attachment: Attachment) -> dict[str, Any]:
        return {
            "id": attachment.pk,
            "url": self.url("api:zendesk-attachment", attachment.pk),
            "file_name": attachment.filename,
            "content_url": self.url("api:zendesk-attachment-download", attachment.pk),
            "mapped_content_url": self.url("api:zendesk-attachment-download", attachment.pk),
            "content_type": attachment.content_type,
            "size": attachment.size,
            "width": None,
            "height": None,
            "inline": False,
            "deleted": False,
            "malware_access_override": False,
            "malware_scan_result": "not_scanned",
            "thumbnails": [],
        }

    def comment(self, message: Message) -> dict[str, Any]:
        """A message from ``selectors.messages_for`` (attachments prefetched)."""
        from tickets.rendering import render_markdown

        return {
            "id": message.pk,
            "type": "Comment",
            "author_id": message.author_id,
            "body": message.body,
            "html_body": str(render_markdown(message.body)),
            "plain_body": message.body,
            "public": not message.internal,
            "attachments": [self.attachment(a) for a in message.attachments.all()],
            "audit_id": None,
            "via": {
                "channel": "email" if getattr(message, "came_by_email", False) else "web",
                "source": {"from": {}, "to": {}, "rel": None},
            },
            "metadata": {"system": {}, "custom": {}},
            "created_at": timestamp(message.created_at),
        }

    def user(self, user: User) -> dict[str, Any]:
        return {
            "id": user.pk,
            "url": self.url("api:zendesk-user", user.pk),
            "name": user.name,
            "email": user.email,
            "role": ROLE_OUT.get(Role(user.role), "end-user"),
            "role_type": None,
            "organization_id": user.organization_id,
            "active": user.is_active,
            "suspended": not user.is_active,
            "verified": True,
            "shared": False,
            "locale": user.language or "en-US",
            "time_zone": user.time_zone or "UTC",
            "restricted_agent": False,
            "moderator": ROLE_OUT.get(Role(user.role)) == "admin",
            "only_private_comments": False,
            "tags": [],
            "user_fields": {},
            "external_id": None,
            "phone": None,
            "photo": None,
            "details": "",
            "notes": "",
            "created_at": timestamp(user.date_joined),
            "updated_at": timestamp(user.date_joined),
        }

    def organization(self, organization: Organization) -> dict[str, Any]:
        return {
            "id": organization.pk,
            "url": self.url("api:zendesk-organization", organization.pk),
            "name": organization.name,
            "shared_tickets": organization.share_tickets,
            "shared_comments": organization.share_tickets,
            "domain_names": [],
            "details": "",
            "notes": "",
            "group_id": None,
            "tags": [],
            "organization_fields": {},
            "external_id": None,
            "created_at": timestamp(organization.created_at),
            "updated_at": timestamp(organization.created_at),
        }

    def group(self, team: Team) -> dict[str, Any]:
        return {
            "id": team.pk,
            "url": self.url("api:zendesk-group", team.pk),
            "name": team.name,
            "description": team.description,
            "default": False,
            "deleted": False,
            "is_public": True,
            "created_at": timestamp(team.created_at),
            "updated_at": timestamp(team.created_at),
        }

    def audit(self, ticket_json: dict[str, Any], *, audit_id: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": audit_id,
            "ticket_id": ticket_json["id"],
            "author_id": self.viewer.pk,
            "created_at": ticket_json["updated_at"],
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "metadata": {"system": {}, "custom": {}},
            "events": events,
        }


AUDITED = ("subject", "status", "priority", "assignee_id", "group_id", "tags", "custom_fields")


def change_events(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """An audit's ``Create`` (no ``before``) or ``Change`` events between two ticket JSONs."""
    events = []
    for name in AUDITED:
        if before is None:
            events.append({"id": None, "type": "Create", "field_name": name, "value": after[name]})
        elif before[name] != after[name]:
            events.append(
                {"id": None, "type": "Change", "field_name": name, "value": after[name], "previous_value": before[name]}
            )
    return events
