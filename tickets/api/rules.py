"""/api/v1/triggers/ and /api/v1/automations/ (issue 16): agents read, administrators manage.

Conditions and actions are the JSON of ``tickets.rules``; every mistake comes back as a 400 by
field (``{"conditions": ["Condition 1 of \"all\": …"]}``). ``owner`` — the person the rule acts
as — defaults to the administrator who creates it. Writes go through ``tickets.rule_admin``
(checks and the audit log).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api import UserField
from accounts.permissions import DirectoryReadAdminsWrite
from helpdesk.api.fields import PersonOut
from tickets import rule_admin
from tickets.models import Automation, Trigger, TriggerOn

RULE_FIELDS = ["id", "name", "description", "conditions", "actions", "position", "active", "owner"]
STATS = ["failure_count", "last_error", "last_failed_at", "created_at", "updated_at"]


class TriggerOut(serializers.ModelSerializer):
    owner = PersonOut(read_only=True, allow_null=True, help_text="The person the trigger acts as.")

    class Meta:
        model = Trigger
        fields = [*RULE_FIELDS, "on", "fire_count", "last_fired_at", *STATS]


class AutomationOut(serializers.ModelSerializer):
    owner = PersonOut(read_only=True, allow_null=True, help_text="The person it acts as; null: the system.")

    class Meta:
        model = Automation
        fields = [*RULE_FIELDS, "system_key", "run_count", "last_run_at", *STATS]


class _RuleIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)
    conditions = serializers.JSONField(required=False, help_text='{"all": [...], "any": [...]}')
    actions = serializers.JSONField(help_text='[{"action": "add_tags", "value": ["billing"]}, ...]')
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    active = serializers.BooleanField(required=False)
    owner = UserField(required=False, help_text="User id of the person it acts as (default: you).")


class TriggerIn(_RuleIn):
    on = serializers.ChoiceField(choices=TriggerOn.choices)


class AutomationIn(_RuleIn):
    pass


EXAMPLE_TRIGGER = {
    "name": "Billing words → Billing team",
    "on": "created",
    "conditions": {"any": [{"field": "subject", "operator": "contains", "value": "invoice"}]},
    "actions": [{"action": "set_team", "value": 2}, {"action": "add_tags", "value": ["billing"]}],
}
EXAMPLE_AUTOMATION = {
    "name": "Pending 72 h → reminder",
    "conditions": {
        "all": [
            {"field": "status", "operator": "is", "value": "pending"},
            {"field": "hours_since_updated", "operator": "greater_than", "value": 72},
        ]
    },
    "actions": [{"action": "add_reply", "value": "Hi {{requester.first_name}}, any news?"}],
}
RULE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The rule id.")


def _make_views(
    model: type[Trigger] | type[Automation],
    out: type[serializers.ModelSerializer],
    given: type[_RuleIn],
    noun: str,
    example: dict[str, Any],
) -> tuple[type[generics.GenericAPIView], type[generics.GenericAPIView]]:
    def queryset():
        return model.objects.select_related("owner").order_by("position", "id")

    class RuleList(generics.GenericAPIView):
        serializer_class = out
        permission_classes = [IsAuthenticated, DirectoryReadAdminsWrite]
        ordering_fields = {"position": "position", "name": "name"}
        default_ordering = "position"

        def get_queryset(self):
            return queryset()

        @extend_schema(summary=f"{noun.capitalize()}s in order (agents)")
        def get(self, request):
            page = self.paginate_queryset(self.get_queryset())
            return self.get_paginated_response(out(page, many=True).data)

        @extend_schema(
            summary=f"Create a {noun} (admins)",
            request=given,
            responses={201: out},
            examples=[OpenApiExample(noun, request_only=True, value=example)],
        )
        def post(self, request):
            data = given(data=request.data)
            data.is_valid(raise_exception=True)
            rule = rule_admin.create(model, actor=request.user, **data.validated_data)
            return Response(out(queryset().get(pk=rule.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[RULE_ID])
    class RuleDetail(generics.GenericAPIView):
        serializer_class = out
        permission_classes = [IsAuthenticated, DirectoryReadAdminsWrite]

        def get_object(self):
            return generics.get_object_or_404(queryset(), pk=self.kwargs["pk"])

        @extend_schema(summary=f"A {noun}")
        def get(self, request, pk):
            return Response(out(self.get_object()).data)

        @extend_schema(summary=f"Change a {noun} (admins)", request=given, responses={200: out})
        def patch(self, request, pk):
            rule = self.get_object()
            data = given(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            rule_admin.update(rule, actor=request.user, **data.validated_data)
            return Response(out(queryset().get(pk=rule.pk)).data)

        @extend_schema(summary=f"Delete a {noun} (admins)", responses={204: None})
        def delete(self, request, pk):
            rule_admin.delete(self.get_object(), actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)

    RuleList.__name__ = RuleList.__qualname__ = f"{model.__name__}List"
    RuleDetail.__name__ = RuleDetail.__qualname__ = f"{model.__name__}Detail"
    return RuleList, RuleDetail


TriggerList, TriggerDetail = _make_views(Trigger, TriggerOut, TriggerIn, "trigger", EXAMPLE_TRIGGER)
AutomationList, AutomationDetail = _make_views(
    Automation, AutomationOut, AutomationIn, "automation", EXAMPLE_AUTOMATION
)
