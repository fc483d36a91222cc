"""API representations of tickets, messages, attachments and history (API.md).

Output serializers (``*Out``) turn objects the selectors returned into JSON. Input serializers
(``*In``) check the shape of a request and resolve ids to objects; they never write: views pass
``validated_data`` to ``tickets.services``, which hold every rule about what may change.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import TeamField
from accounts.models import User
from helpdesk.api.fields import IdField, NamedOut, ObjectIdField, PersonOut
from tickets import permissions, selectors, services
from tickets.models import Attachment, Category, Channel, Message, Priority, Status, Ticket, TicketEvent
from tickets.satisfaction import api as satisfaction_api
from tickets.satisfaction import selectors as satisfaction_selectors
from tickets.satisfaction.api import SatisfactionRatingOut
from tickets.sla.ticket_block import SLA_PREFETCHED, SlaOut, attach_sla, sla_block, sla_block_clocks

# --- small shapes --------------------------------------------------------------------------------


class AuthorOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    role = serializers.CharField()


class ActorOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# --- output ------------------------------------------------------------------------------------


class AttachmentOut(serializers.ModelSerializer):
    uploaded_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "ticket",
            "message",
            "filename",
            "content_type",
            "size",
            "uploaded_by",
            "created_at",
            "download_url",
            "preview_url",
        ]

    @extend_schema_field(ActorOut)
    def get_uploaded_by(self, obj: Attachment) -> dict:
        return {"id": obj.uploaded_by_id, "name": obj.uploaded_by_name}

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: Attachment) -> str:
        return _absolute(self.context.get("request"), reverse("api:attachment-download", args=[obj.pk]))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_preview_url(self, obj: Attachment) -> str | None:
        """A small image preview (PNG or JPEG, at most 320 px a side) for images; null otherwise."""
        if not obj.is_image:
            return None
        return _absolute(self.context.get("request"), reverse("api:attachment-preview", args=[obj.pk]))


class MessageOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentOut(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "ticket", "author", "body", "internal", "attachments", "created_at"]

    @extend_schema_field(AuthorOut)
    def get_author(self, obj: Message) -> dict:
        # The name and role are kept on the message, so this survives a deleted account.
        return {"id": obj.author_id, "name": obj.author_name, "role": obj.author_role}


class EventOut(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    data = serializers.JSONField()  # type: ignore[assignment]  # the API's field is named `data`; Serializer.data is unused here

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "data", "created_at"]

    @extend_schema_field(ActorOut(allow_null=True))
    def get_actor(self, obj: TicketEvent) -> dict | None:
        if obj.actor_id is None:
            return None
        return {"id": obj.actor_id, "name": obj.actor_name}


class TicketListOut(serializers.ListSerializer):
    """A page of tickets: their SLA clocks and surveys read for the page at once, one query each
    (``attach_sla``, ``satisfaction.selectors.attach_latest``)."""

    def to_representation(self, data: Any) -> list[Any]:
        tickets = list(data.all() if hasattr(data, "all") else data)
        attach_sla(tickets)
        satisfaction_selectors.attach_latest(tickets)
        return super().to_representation(tickets)


class TicketOut(serializers.ModelSerializer):
    """A ticket as API.md shows it. Expects the list/detail joins and the ``description``,
    ``message_count`` and ``activity_at`` annotations of ``tickets.selectors.ticket_list_for_api``."""

    url = serializers.SerializerMethodField()
    description = serializers.CharField(read_only=True)
    tags = serializers.SerializerMethodField(help_text="Only for people who work the ticket.")
    requester = PersonOut(read_only=True)
    assignee = PersonOut(read_only=True, allow_null=True)
    team = NamedOut(read_only=True, allow_null=True, help_text="Only for people who work the ticket.")
    organization = NamedOut(read_only=True, allow_null=True)
    message_count = serializers.IntegerField(read_only=True)
    # The last change the caller may know of: any change for the agents who work the ticket, the
    # last public change for everyone else (the selectors' ``activity_at``; API.md keeps the name).
    updated_at = serializers.DateTimeField(source="activity_at", read_only=True)
    sla = serializers.SerializerMethodField(
        help_text="The SLA policy and each metric's clock (null: no SLA applies). Only for people who work "
        "the ticket; on the list as on the detail."
    )
    satisfaction_rating = serializers.SerializerMethodField(
        help_text="The requester's answer to the satisfaction survey of the ticket's latest solve (null: none "
        "given, or not yours to see: the requester and the people who work the ticket see it)."
    )
    custom_fields = serializers.SerializerMethodField(
        help_text='The desk\'s own fields, `{"key": value}` (GET /api/v1/ticket-fields/ says which). '
        "A field without a value is left out; customers see only fields visible to customers."
    )

    class Meta:
        model = Ticket
        list_serializer_class = TicketListOut
        fields = [
            "id",
            "url",
            "subject",
            "description",
            "status",
            "priority",
            "category",
            "channel",
            "tags",
            "requester",
            "assignee",
            "team",
            "organization",
            "created_at",
            "updated_at",
            "first_response_at",
            "solved_at",
            "closed_at",
            "message_count",
            "custom_fields",
            "sla",
            "satisfaction_rating",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Ticket) -> str:
        # Reversed once per response (the context is the list's): a reverse per row cost more
        # than the rest of the row's links.
        if "ticket_url" not in self.context:
            self.context["ticket_url"] = _absolute(
                self.context.get("request"), reverse("api:ticket-detail", args=[1])
            ).rpartition("/1/")
        before, _sep, after = self.context["ticket_url"]
        return f"{before}/{int(obj.pk)}/{after}"

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, obj: Ticket) -> list[str]:
        return sorted(selectors.tag_names(obj))

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_custom_fields(self, obj: Ticket) -> dict[str, Any]:
        values = obj.custom_fields or {}
        if getattr(obj, "reads_internal", False):
            return dict(values)
        if "customer_field_keys" not in self.context:  # once per response
            self.context["customer_field_keys"] = permissions.visible_custom_field_keys(None)
        return permissions.shown_custom_fields(values, every=False, customer_keys=self.context["customer_field_keys"])

    @extend_schema_field(SlaOut(allow_null=True))
    def get_sla(self, obj: Ticket) -> dict[str, Any] | None:
        if not getattr(obj, "reads_internal", False):
            return None  # left out below; no query for someone who may not read it
        cached = getattr(obj, SLA_PREFETCHED, None)
        if cached is not None:  # a list reads them for the page: one query (TicketListOut)
            return sla_block(cached)
        return sla_block(list(sla_block_clocks().filter(ticket_id=obj.pk).order_by()))

    @extend_schema_field(SatisfactionRatingOut(allow_null=True))
    def get_satisfaction_rating(self, obj: Ticket) -> dict[str, Any] | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not permissions.sees_satisfaction(user, obj, internal=getattr(obj, "reads_internal", None)):
            return None
        return satisfaction_api.rating_out(satisfaction_selectors.latest_from_prefetch(obj))

    #: The ticket's internal fields: shown only to people who may read its internal side (the
    #: selectors' ``reads_internal``), so a customer's copy — and its ETag — does not change when
    #: agents retag or move a ticket.
    sometimes_omitted = ("tags", "team", "sla")  # the schema documents them as optional

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        """Field by field what DRF's generic walk over the declared fields gives (the fields above
        still describe the schema; ``generic_representation`` is that walk, and
        ``test_ticket_out.py`` holds the two equal), written out: on an API list page the walk,
        with a field object per column and a serializer per person, cost a fifth of the CPU."""
        data: dict[str, Any] = {}
        for name in self.Meta.fields:
            read = _TICKET_READERS.get(name)
            if read is None:
                data[name] = getattr(self, f"get_{name}")(instance)
                continue
            try:
                data[name] = read(instance)
            except AttributeError:  # an annotation the query did not make: left out, as DRF does
                continue
        return self._omit_internal(instance, data)

    def generic_representation(self, instance: Ticket) -> dict[str, Any]:
        """DRF's own walk over the declared fields (the reference ``to_representation`` keeps to)."""
        return self._omit_internal(instance, super().to_representation(instance))

    def _omit_internal(self, instance: Ticket, data: dict[str, Any]) -> dict[str, Any]:
        if not getattr(instance, "reads_internal", False):
            for name in self.sometimes_omitted:
                data.pop(name, None)
        return data


_DATETIME = serializers.DateTimeField()


def _when(value: Any) -> str | None:
    return _DATETIME.to_representation(value) if value is not None else None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": int(user.pk), "name": _text(user.name), "email": _text(user.email)}


def _named(thing: Any) -> dict[str, Any] | None:
    return None if thing is None else {"id": int(thing.pk), "name": _text(thing.name)}


#: How ``TicketOut`` reads each plain column (the rest are its ``get_*`` methods). The annotations
#: (``description``, ``message_count``, ``activity_at``) raise AttributeError when not made.
_TICKET_READERS: dict[str, Any] = {
    "id": lambda t: int(t.pk),
    "subject": lambda t: _text(t.subject),
    "description": lambda t: _text(t.description),
    "status": lambda t: t.status,
    "priority": lambda t: t.priority,
    "category": lambda t: t.category,
    "channel": lambda t: t.channel,
    "requester": lambda t: _person(t.requester),
    "assignee": lambda t: _person(t.assignee),
    "team": lambda t: _named(t.team),
    "organization": lambda t: _named(t.organization),
    "created_at": lambda t: _when(t.created_at),
    "updated_at": lambda t: _when(t.activity_at),
    "first_response_at": lambda t: _when(t.first_response_at),
    "solved_at": lambda t: _when(t.solved_at),
    "closed_at": lambda t: _when(t.closed_at),
    "message_count": lambda t: None if t.message_count is None else int(t.message_count),
}


class BulkResultOut(serializers.Serializer):
    results = TicketOut(many=True)


# --- input -------------------------------------------------------------------------------------


class AgentField(ObjectIdField):
    missing = _("No such agent.")

    def get_queryset(self):
        # Whether this agent may work the ticket's team is the service's question.
        return permissions.staff_members(active=False)


class NewRequesterIn(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "description": "An existing user's id."},
            {
                "type": "object",
                "properties": {"email": {"type": "string", "format": "email"}, "name": {"type": "string"}},
                "required": ["email"],
                "description": "A customer by email; the account is made if there is none.",
            },
        ]
    }
)
class RequesterField(serializers.Field):
    """A user id, or ``{"email", "name"}`` for a customer who may not have an account yet."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            given = NewRequesterIn(data=data)
            given.is_valid(raise_exception=True)
            return dict(given.validated_data)
        pk = IdField().run_validation(data)
        user = User.objects.filter(pk=pk).first()
        if user is None:
            raise serializers.ValidationError(_("No such user."))
        return user

    def to_representation(self, value):
        return value.pk if isinstance(value, User) else value


class TicketCreateIn(serializers.Serializer):
    subject = serializers.CharField(min_length=services.SUBJECT_MIN, max_length=services.SUBJECT_MAX)
    description = serializers.CharField(min_length=services.DESCRIPTION_MIN, max_length=services.DESCRIPTION_MAX)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.RegexField(services.TAG_RE, max_length=50),
        required=False,
        max_length=services.MAX_TAGS,
        help_text="Kept from anyone; shown back only to people who work the ticket.",
    )
    attachments = serializers.ListField(child=serializers.FileField(), required=False, allow_empty=True)
    requester = RequesterField(required=False, help_text="Agents only: a user id or {email, name}.")
    assignee = AgentField(required=False, allow_null=True, help_text="Agents only.")
    team = TeamField(required=False, allow_null=True, help_text="Agents only.")
    status = serializers.ChoiceField(choices=Status.choices, required=False, help_text="Agents only.")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, help_text="Agents only (default `api`).")
    custom_fields = serializers.DictField(
        required=False,
        help_text='`{"key": value}`. Customers: only fields visible to customers, and those required in the '
        "portal must be given.",
    )

    def validate(self, attrs):
        # Refused, never silently dropped: a customer's client that sends these has a bug.
        refused = permissions.refused_create_fields(self.context["request"].user, self.initial_data)
        if refused:
            raise serializers.ValidationError(
                {name: [_("Only agents can set the %(field)s of a new ticket.") % {"field": name}] for name in refused}
            )
        return attrs


class TicketUpdateIn(serializers.Serializer):
    subject = serializers.CharField(min_length=services.SUBJECT_MIN, max_length=services.SUBJECT_MAX, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.RegexField(services.TAG_RE, max_length=50), required=False, max_length=services.MAX_TAGS
    )
    assignee = AgentField(required=False, allow_null=True)
    team = TeamField(required=False, allow_null=True)
    custom_fields = serializers.DictField(
        required=False, help_text='`{"key": value}`; a null or empty value clears a field.'
    )

    AGENT_FIELDS = ("subject", "priority", "category", "tags", "assignee", "team", "custom_fields")


class ClaimIn(serializers.Serializer):
    force = serializers.BooleanField(default=False, help_text="Admins: take the ticket from its current holder.")


class BulkChangesIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = AgentField(required=False, allow_null=True)
    team = TeamField(required=False, allow_null=True)
    add_tags = serializers.ListField(child=serializers.RegexField(services.TAG_RE, max_length=50), required=False)
    remove_tags = serializers.ListField(child=serializers.RegexField(services.TAG_RE, max_length=50), required=False)
    custom_fields = serializers.DictField(
        required=False, help_text='`{"key": value}`; a null or empty value clears a field.'
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Choose at least one change."))
        return attrs


class BulkIn(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=services.MAX_BULK_TICKETS)
    changes = BulkChangesIn()


class MessageIn(serializers.Serializer):
    body = serializers.CharField(min_length=1, max_length=services.BODY_MAX)
    internal = serializers.BooleanField(default=False, help_text="An internal note (agents only).")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, allow_empty=True)
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="Agents: set the ticket's status in the same step."
    )


class AttachmentIn(serializers.Serializer):
    file = serializers.FileField()
    message = IdField(required=False, allow_null=True, help_text="A message of this ticket to attach the file to.")
