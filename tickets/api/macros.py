"""Macros under /api/v1/macros/ (issue 16): list and create, read, change and delete, and apply
one to a ticket — or preview what it would do, writing nothing.

The same rules as the pages (``tickets.permissions``): agents see and use their own personal
macros, their teams' and everyone's, and manage their own; desk managers also manage (and see,
active or not) every shared macro. A macro the caller may not see is 404; one they may see but
not change is 403. Customers get 403 everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.http import signed_in
from accounts.models import Team
from accounts.permissions import IsStaff
from helpdesk.api.fields import IdField, ObjectIdField
from tickets import permissions, selectors
from tickets.api import serializers as s
from tickets.api.views import _ticket_out
from tickets.models import Macro, MacroScope
from tickets.services import macros as macro_services

MACRO_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The macro id.")


def visible_macros(user) -> QuerySet[Macro]:
    """What the caller may read: what they may use, and what they manage."""
    usable = permissions.usable_macros(user).values("pk")
    managed = permissions.manageable_macros(user).values("pk")
    return Macro.objects.filter(Q(pk__in=usable) | Q(pk__in=managed)).select_related("team")


class TeamField(ObjectIdField):
    def get_queryset(self):
        return Team.objects.all()


class MacroOut(serializers.ModelSerializer):
    team = serializers.IntegerField(source="team_id", allow_null=True, read_only=True)
    owner = serializers.IntegerField(source="owner_id", allow_null=True, read_only=True)
    can_manage = serializers.SerializerMethodField(help_text="Whether you may change or delete it.")

    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "description",
            "actions",
            "scope",
            "team",
            "owner",
            "active",
            "position",
            "usage_count",
            "last_used_at",
            "created_at",
            "updated_at",
            "can_manage",
        ]
        read_only_fields = fields

    def get_can_manage(self, macro: Macro) -> bool:
        return permissions.may_manage_macro(self.context["request"].user, macro)


class MacroIn(serializers.Serializer):
    name = serializers.CharField(max_length=macro_services.NAME_MAX)
    description = serializers.CharField(max_length=macro_services.DESCRIPTION_MAX, required=False, allow_blank=True)
    actions = serializers.JSONField(
        help_text='A list of actions: [{"action": "set_status", "value": "pending"}, '
        '{"action": "add_reply", "value": "Hi {{requester.first_name}}, …"}].'
    )
    scope = serializers.ChoiceField(choices=MacroScope.choices, required=False, default=MacroScope.PERSONAL)
    team = TeamField(required=False, allow_null=True, help_text="For scope `team`: the team whose members use it.")
    active = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(required=False, default=0, min_value=0, max_value=32767)


class MacroApplyIn(serializers.Serializer):
    ticket = IdField(help_text="The ticket to apply the macro to.")
    preview = serializers.BooleanField(
        default=False, help_text="Only say what applying would change; nothing is written."
    )
    reply = serializers.CharField(
        required=False, help_text="The macro's reply as you edited it (after a preview); otherwise the macro's own."
    )


class MacroPreviewOut(serializers.Serializer):
    changes = serializers.ListField(
        child=serializers.DictField(),
        help_text='Each field that would change: {"field", "old", "new"}; tags as {"field": "tags", "added"|"removed"}.',
    )
    reply = serializers.CharField(required=False, help_text="The reply it would send, placeholders filled in.")
    note = serializers.CharField(required=False, help_text="The internal note it would add.")


class MacroListOut(serializers.Serializer):
    results = MacroOut(many=True)


APPLY_OUT = PolymorphicProxySerializer(
    component_name="MacroApplyOut",
    serializers=[s.TicketOut, MacroPreviewOut],
    resource_type_field_name=None,
)


class MacroList(generics.GenericAPIView):
    serializer_class = MacroOut
    permission_classes = [IsAuthenticated, IsStaff]
    pagination_class = None

    @extend_schema(
        summary="List macros",
        operation_id="macros_list",
        description="The macros you may use or manage, the most used first.",
        responses={200: MacroListOut},
    )
    def get(self, request):
        macros = visible_macros(request.user).order_by("-usage_count", "position", "name", "id")
        return Response({"results": MacroOut(macros, many=True, context=self.get_serializer_context()).data})

    @extend_schema(
        summary="Create a macro",
        description="Agents create personal macros; desk administrators also shared ones (`team`, `everyone`).",
        request=MacroIn,
        responses={201: MacroOut},
        examples=[
            OpenApiExample(
                "Ask for the order number",
                request_only=True,
                value={
                    "name": "Ask for order number",
                    "actions": [
                        {"action": "add_reply", "value": "Hi {{requester.first_name}}, what is your order number?"},
                        {"action": "set_status", "value": "pending"},
                    ],
                },
            )
        ],
    )
    def post(self, request):
        given = MacroIn(data=request.data)
        given.is_valid(raise_exception=True)
        macro = macro_services.macro_create(actor=signed_in(request.user), **given.validated_data)
        return Response(MacroOut(macro, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)


class MacroScoped(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class: type[serializers.BaseSerializer[Any]] = MacroOut  # MacroApply: MacroApplyIn

    def get_macro(self) -> Macro:
        from django.http import Http404

        macro = visible_macros(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if macro is None:
            raise Http404("No such macro.")
        return macro


@extend_schema(parameters=[MACRO_ID])
class MacroDetail(MacroScoped):
    @extend_schema(summary="Get a macro")
    def get(self, request, pk):
        return Response(MacroOut(self.get_macro(), context=self.get_serializer_context()).data)

    @extend_schema(summary="Change a macro", request=MacroIn(partial=True), responses={200: MacroOut})
    def patch(self, request, pk):
        macro = self.get_macro()
        given = MacroIn(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        changes = {key: value for key, value in given.validated_data.items() if key in request.data}
        macro = macro_services.macro_update(actor=signed_in(request.user), macro=macro, **changes)
        return Response(MacroOut(macro, context=self.get_serializer_context()).data)

    @extend_schema(summary="Delete a macro", responses={204: None})
    def delete(self, request, pk):
        macro_services.macro_delete(actor=signed_in(request.user), macro=self.get_macro())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[MACRO_ID])
class MacroApply(MacroScoped):
    serializer_class = MacroApplyIn

    @extend_schema(
        summary="Apply a macro to a ticket, or preview it",
        description='With `"preview": true` the answer says what would change and writes nothing; otherwise '
        "the macro is applied (all or nothing) and the answer is the updated ticket.",
        request=MacroApplyIn,
        responses={200: APPLY_OUT},
        examples=[OpenApiExample("Preview", request_only=True, value={"ticket": 42, "preview": True})],
    )
    def post(self, request, pk):
        user = signed_in(request.user)
        given = MacroApplyIn(data=request.data)
        given.is_valid(raise_exception=True)
        macro = macro_services.macro_usable_or_404(user, pk)
        ticket = selectors.ticket_get_for_user(user, given.validated_data["ticket"])
        if given.validated_data["preview"]:
            preview = macro_services.macro_preview(actor=user, macro=macro, ticket=ticket)
            return Response(MacroPreviewOut(preview).data)
        macro_services.macro_apply(actor=user, macro=macro, ticket=ticket, reply=given.validated_data.get("reply"))
        return Response(_ticket_out(self, user, ticket.pk))
