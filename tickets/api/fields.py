"""``/api/v1/ticket-fields/``: the desk's own ticket fields (issue 16).

Any signed-in person lists the fields they may see and set: agents every active field (admins
also inactive ones with ``?active=all``), customers the active fields visible to customers.
Desk managers (admins) create, change and deactivate fields; ``DELETE`` deactivates (tickets
keep their values; ``PATCH {"active": true}`` brings the field back). Rules and checks are
``tickets.services.ticket_fields``'; who sees which field is ``tickets.permissions``'.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts import audit
from accounts.api import TeamField
from accounts.permissions import can_manage_desk
from helpdesk.api.fields import NamedOut
from tickets import permissions
from tickets.models import FieldType, TicketField
from tickets.services import ticket_fields as definitions


class ReadAllManagersWrite(BasePermission):
    """Everyone signed in reads (what they may see); desk managers change."""

    message = _("Only admins can change ticket fields.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS") or can_manage_desk(request.user)


class OptionIO(serializers.Serializer):
    value = serializers.CharField(help_text="Lower-case letters, digits, '-' and '_': what tickets store.")
    # A declared field named ``label``: DRF takes declared fields off the class, but the stubs
    # see it overriding ``Field.label`` (a str).
    label = serializers.CharField(help_text="What people see.")  # type: ignore[assignment]  # stub limitation


class TicketFieldOut(serializers.ModelSerializer):
    options = OptionIO(many=True, read_only=True)
    teams = NamedOut(
        many=True, read_only=True, help_text="Only tickets of these teams have the field; none: every ticket."
    )

    class Meta:
        model = TicketField
        fields = [
            "id",
            "key",
            "label",
            "field_type",
            "description",
            "options",
            "pattern",
            "visible_to_customers",
            "required_in_portal",
            "required_on_solve",
            "teams",
            "position",
            "active",
        ]


class TicketFieldIn(serializers.Serializer):
    key = serializers.CharField(max_length=40, help_text="Fixed once created.")
    field_type = serializers.ChoiceField(choices=FieldType.choices, help_text="Fixed once created.")
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]  # as OptionIO.label: not Field.label
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    options = OptionIO(many=True, required=False, help_text="Drop-down and multi-select fields.")
    pattern = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Pattern fields: the whole value must match."
    )
    visible_to_customers = serializers.BooleanField(required=False)
    required_in_portal = serializers.BooleanField(required=False)
    required_on_solve = serializers.BooleanField(required=False)
    teams = serializers.ListField(child=TeamField(), required=False)
    position = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    active = serializers.BooleanField(required=False)


class TicketFieldPatchIn(TicketFieldIn):
    key = None  # type: ignore[assignment]
    field_type = None  # type: ignore[assignment]
    label = serializers.CharField(max_length=100, required=False)


def _fields():
    return TicketField.objects.prefetch_related("teams").order_by("position", "id")


def _options(data: dict[str, Any]) -> dict[str, Any]:
    if "options" in data:
        data["options"] = [dict(option) for option in data["options"]]
    return data


FIELD_EXAMPLE = OpenApiExample(
    "A drop-down",
    request_only=True,
    value={
        "key": "plan",
        "field_type": "dropdown",
        "label": "Plan",
        "options": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
        "required_on_solve": True,
    },
)


class TicketFieldList(generics.GenericAPIView):
    serializer_class = TicketFieldOut
    permission_classes = [IsAuthenticated, ReadAllManagersWrite]
    pagination_class = None  # a desk has a few dozen fields: the whole list, in position order

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TicketField.objects.none()
        fields = _fields()
        if not (can_manage_desk(self.request.user) and self.request.query_params.get("active") == "all"):
            fields = fields.filter(active=True)
        if not permissions.sees_every_custom_field(self.request.user):
            fields = fields.filter(visible_to_customers=True)
        return fields

    @extend_schema(
        operation_id="ticket_fields_list",
        responses={200: TicketFieldOut(many=True)},
        summary="Ticket fields",
        description="The active fields you may see and set, in position order: every field for agents, "
        "those visible to customers for customers.",
        parameters=[
            OpenApiParameter(
                "active", OpenApiTypes.STR, enum=["all"], description="Admins: `all` lists inactive fields too."
            )
        ],
    )
    def get(self, request):
        return Response(TicketFieldOut(self.get_queryset(), many=True).data)

    @extend_schema(
        summary="Create a ticket field (admins)",
        request=TicketFieldIn,
        responses={201: TicketFieldOut},
        examples=[FIELD_EXAMPLE],
    )
    def post(self, request):
        given = TicketFieldIn(data=request.data)
        given.is_valid(raise_exception=True)
        with transaction.atomic():
            field = definitions.ticket_field_create(actor=request.user, **_options(dict(given.validated_data)))
            audit.record_addition(request.user, field, definitions.definition_values(field))
        return Response(TicketFieldOut(_fields().get(pk=field.pk)).data, status=status.HTTP_201_CREATED)


FIELD_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The field id.")


@extend_schema(parameters=[FIELD_ID])
class TicketFieldDetail(generics.GenericAPIView):
    serializer_class = TicketFieldOut
    permission_classes = [IsAuthenticated, ReadAllManagersWrite]

    def get_object(self):
        return generics.get_object_or_404(TicketFieldList(request=self.request).get_queryset(), pk=self.kwargs["pk"])

    def _managed(self) -> TicketField:
        return generics.get_object_or_404(_fields(), pk=self.kwargs["pk"])

    @extend_schema(summary="A ticket field")
    def get(self, request, pk):
        return Response(TicketFieldOut(self.get_object()).data)

    @extend_schema(
        summary="Change a ticket field (admins)", request=TicketFieldPatchIn, responses={200: TicketFieldOut}
    )
    def patch(self, request, pk):
        field = self._managed()
        given = TicketFieldPatchIn(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        fixed = [name for name in ("key", "field_type") if isinstance(request.data, dict) and name in request.data]
        data = _options(dict(given.validated_data))
        data.update({name: request.data[name] for name in fixed})  # refused by the service, with why
        return Response(TicketFieldOut(_change(request.user, field, data)).data)

    @extend_schema(
        summary="Deactivate a ticket field (admins)",
        description="Tickets keep their values; nobody can set the field until it is active again.",
        responses={204: None},
    )
    def delete(self, request, pk):
        _change(request.user, self._managed(), {"active": False})
        return Response(status=status.HTTP_204_NO_CONTENT)


def _change(actor: Any, field: TicketField, data: dict[str, Any]) -> TicketField:
    """Change ``field`` with its audit entry, in one transaction."""
    with transaction.atomic():
        before = definitions.definition_values(field)
        definitions.ticket_field_update(actor=actor, field=field, **data)
        field = _fields().get(pk=field.pk)
        audit.record_change(actor, field, before, definitions.definition_values(field))
    return field
