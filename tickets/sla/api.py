"""REST endpoints for SLA schedules and policies (``/api/v1/schedules/``, ``/api/v1/sla-policies/``).

Agents read them (the targets their tickets are held to); only desk managers change them. Every
change goes through ``tickets.sla.services`` (the same rules as the settings pages) with its audit
entry; errors come back in the API's one JSON shape (``helpdesk.api.errors``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts import audit
from accounts.permissions import can_manage_desk, staff_members, works_tickets
from helpdesk.api.fields import ObjectIdField
from tickets.models import Priority
from tickets.sla import services
from tickets.sla.models import MAX_WARNING_MINUTES, Audience, Metric, Schedule, SlaPolicy


class AgentsReadManagersWrite(BasePermission):
    message = _("Only admins can change this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        if not works_tickets(request.user):
            self.message = _("Only agents can see this.")
            return False
        return request.method in SAFE_METHODS or can_manage_desk(request.user)


# --- serializers -----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"})
class WallTimeField(serializers.TimeField):
    """A wall-clock time as ``HH:MM``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


class IntervalIO(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday.")
    start = WallTimeField()
    end = WallTimeField()


class HolidayIO(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")


class ScheduleIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    time_zone = serializers.CharField(max_length=64)
    is_default = serializers.BooleanField(required=False, default=False)
    country = serializers.CharField(max_length=3, allow_blank=True, required=False, default="")
    subdivision = serializers.CharField(max_length=10, allow_blank=True, required=False, default="")
    # ``X(many=True, ...)`` builds exactly this ListSerializer, but the stubs check its arguments
    # against ``X.__init__``, which has no ``max_length``: spelled out, they are checked as the list's.
    intervals: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=IntervalIO(), max_length=services.MAX_INTERVALS
    )
    holidays: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=HolidayIO(), required=False, default=list, max_length=services.MAX_HOLIDAYS
    )
    teams = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=1000,
        help_text="Ids of the teams whose tickets follow this schedule when their policy names none "
        "(a team follows one schedule).",
    )


class ScheduleOut(ScheduleIn):
    id = serializers.IntegerField()

    class Meta:
        fields = ["id", "name", "time_zone", "is_default", "country", "subdivision", "intervals", "holidays", "teams"]


class TargetIO(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    metric = serializers.ChoiceField(choices=Metric.choices)
    minutes = serializers.IntegerField(min_value=1, max_value=services.MAX_TARGET_MINUTES)
    business_hours = serializers.BooleanField(required=False, default=True)


class ScheduleField(ObjectIdField):
    missing = _("No such schedule.")

    def get_queryset(self):
        return Schedule.objects.all()


class StaffField(ObjectIdField):
    missing = _("No such agent or administrator.")

    def get_queryset(self):
        return staff_members()


class AudienceField(serializers.ListField):
    """Some of ``assignee``, ``team``, ``admins`` (``SlaAudienceEnum`` in the schema)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.ChoiceField(choices=Audience.choices), max_length=len(Audience.values), **kwargs
        )


AUDIENCE_HELP = (
    "Any of assignee, team (the team's active agents), admins. Empty: the assignee; without one, "
    "the team's members; without those, the administrators."
)


class PolicyIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")
    position = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, default=0)
    active = serializers.BooleanField(required=False, default=True)
    conditions = serializers.JSONField(
        required=False, default=dict, help_text='Rules-engine conditions: {"all": [...], "any": [...]}.'
    )
    schedule = ScheduleField(required=False, allow_null=True, default=None, help_text="Null: the default schedule.")
    targets: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=TargetIO(), required=False, default=list, max_length=5 * 4
    )
    warning_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_WARNING_MINUTES,
        required=False,
        default=services.DEFAULT_WARNING_MINUTES,
        help_text="How long before a breach the warning goes out; 0: no warning.",
    )
    warning_recipients = AudienceField(required=False, default=list, help_text=AUDIENCE_HELP)
    breach_recipients = AudienceField(required=False, default=list, help_text=AUDIENCE_HELP)
    breach_actions = serializers.JSONField(
        required=False,
        default=list,  # type: ignore[arg-type]  # the stubs want a mapping; any JSON value is accepted
        help_text='Rules-engine actions, as triggers hold them: [{"action": "set_priority", "value": "urgent"}, ...].',
    )
    acts_as = StaffField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The agent or admin the breach actions act as (required with actions).",
    )


class PolicyOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    position = serializers.IntegerField()
    active = serializers.BooleanField()
    conditions = serializers.JSONField()
    schedule = serializers.IntegerField(source="schedule_id", allow_null=True)
    targets = TargetIO(many=True)
    warning_minutes = serializers.IntegerField()
    warning_recipients = serializers.ListField(child=serializers.CharField())
    breach_recipients = serializers.ListField(child=serializers.CharField())
    breach_actions = serializers.JSONField()
    acts_as = serializers.IntegerField(source="acts_as_id", allow_null=True)


def _object_body(request: Any) -> dict[str, Any]:
    """A PATCH body: fields over the current values (a JSON object, nothing else)."""
    if not isinstance(request.data, dict):
        raise ParseError(_("Send a JSON object."))
    return dict(request.data.items())


def _schedule_data(schedule: Schedule) -> dict[str, Any]:
    return ScheduleOut(
        {
            "id": schedule.pk,
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "is_default": schedule.is_default,
            "country": schedule.country,
            "subdivision": schedule.subdivision,
            "intervals": list(schedule.intervals.all()),
            "holidays": list(schedule.holidays.all()),
            "teams": [link.team_id for link in schedule.team_links.all()],
        }
    ).data


def _schedules():
    return Schedule.objects.prefetch_related("intervals", "holidays", "team_links").order_by("name", "id")


def _policies():
    return SlaPolicy.objects.prefetch_related("targets").order_by("position", "id")


def _schedule_input(data: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: data[k] for k in ("name", "time_zone", "is_default", "country", "subdivision") if k in data},
        "intervals": [(i["weekday"], i["start"], i["end"]) for i in data.get("intervals", [])],
        "holidays": [(h["date"], h.get("name", "")) for h in data.get("holidays", [])],
        "teams": list(data.get("teams", [])),
    }


def _policy_input(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["targets"] = [(t["priority"], t["metric"], t["minutes"], t["business_hours"]) for t in data.get("targets", [])]
    return out


def _current_schedule(schedule: Schedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "is_default": schedule.is_default,
        "country": schedule.country,
        "subdivision": schedule.subdivision,
        "intervals": [{"weekday": i.weekday, "start": i.start, "end": i.end} for i in schedule.intervals.all()],
        "holidays": [{"date": h.date, "name": h.name} for h in schedule.holidays.all()],
        "teams": [link.team_id for link in schedule.team_links.all()],
    }


def _current_policy(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "description": policy.description,
        "position": policy.position,
        "active": policy.active,
        "conditions": policy.conditions,
        "schedule": policy.schedule,
        "targets": [
            {"priority": t.priority, "metric": t.metric, "minutes": t.minutes, "business_hours": t.business_hours}
            for t in policy.targets.all()
        ],
        "warning_minutes": policy.warning_minutes,
        "warning_recipients": policy.warning_recipients,
        "breach_recipients": policy.breach_recipients,
        "breach_actions": policy.breach_actions,
        "acts_as": policy.acts_as_id,
    }


# --- views -----------------------------------------------------------------------------------------


class ScheduleList(generics.GenericAPIView):
    serializer_class = ScheduleOut
    permission_classes = [IsAuthenticated, AgentsReadManagersWrite]
    pagination_class = None

    def get_queryset(self):
        return _schedules()

    @extend_schema(summary="Business schedules (agents)", responses={200: ScheduleOut(many=True)})
    def get(self, request):
        return Response([_schedule_data(s) for s in _schedules()])

    @extend_schema(summary="Create a business schedule (admins)", request=ScheduleIn, responses={201: ScheduleOut})
    def post(self, request):
        given = ScheduleIn(data=request.data)
        given.is_valid(raise_exception=True)
        with transaction.atomic():
            schedule = services.schedule_save(**_schedule_input(given.validated_data))
            audit.record_addition(request.user, schedule, services.schedule_values(schedule))
        return Response(_schedule_data(_schedules().get(pk=schedule.pk)), status=status.HTTP_201_CREATED)


class ScheduleDetail(generics.GenericAPIView):
    serializer_class = ScheduleOut
    permission_classes = [IsAuthenticated, AgentsReadManagersWrite]

    def get_object(self):
        return generics.get_object_or_404(_schedules(), pk=self.kwargs["pk"])

    @extend_schema(summary="A business schedule")
    def get(self, request, pk):
        return Response(_schedule_data(self.get_object()))

    @extend_schema(summary="Change a business schedule (admins)", request=ScheduleIn, responses={200: ScheduleOut})
    def patch(self, request, pk):
        schedule = self.get_object()
        given = ScheduleIn(data={**_current_schedule(schedule), **_object_body(request)})
        given.is_valid(raise_exception=True)
        with audit.changing(request.user, schedule, services.schedule_values):
            services.schedule_save(schedule, **_schedule_input(given.validated_data))
        return Response(_schedule_data(_schedules().get(pk=schedule.pk)))

    @extend_schema(summary="Delete a schedule no policy uses (admins)", responses={204: None})
    def delete(self, request, pk):
        schedule = self.get_object()
        with transaction.atomic():
            audit.record_deletion(request.user, schedule, services.schedule_values(schedule))
            services.schedule_delete(schedule)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PolicyList(generics.GenericAPIView):
    serializer_class = PolicyOut
    permission_classes = [IsAuthenticated, AgentsReadManagersWrite]
    pagination_class = None

    def get_queryset(self):
        return _policies()

    @extend_schema(summary="SLA policies, in the order they are tried (agents)", responses={200: PolicyOut(many=True)})
    def get(self, request):
        return Response(PolicyOut(_policies(), many=True).data)

    @extend_schema(summary="Create an SLA policy (admins)", request=PolicyIn, responses={201: PolicyOut})
    def post(self, request):
        given = PolicyIn(data=request.data)
        given.is_valid(raise_exception=True)
        with transaction.atomic():
            policy = services.policy_save(**_policy_input(given.validated_data))
            audit.record_addition(request.user, policy, services.policy_values(policy))
        return Response(PolicyOut(_policies().get(pk=policy.pk)).data, status=status.HTTP_201_CREATED)


class PolicyDetail(generics.GenericAPIView):
    serializer_class = PolicyOut
    permission_classes = [IsAuthenticated, AgentsReadManagersWrite]

    def get_object(self):
        return generics.get_object_or_404(_policies(), pk=self.kwargs["pk"])

    @extend_schema(summary="An SLA policy")
    def get(self, request, pk):
        return Response(PolicyOut(self.get_object()).data)

    @extend_schema(summary="Change an SLA policy (admins)", request=PolicyIn, responses={200: PolicyOut})
    def patch(self, request, pk):
        policy = self.get_object()
        current = _current_policy(policy)
        current["schedule"] = policy.schedule_id
        given = PolicyIn(data={**current, **_object_body(request)})
        given.is_valid(raise_exception=True)
        with audit.changing(request.user, policy, services.policy_values):
            services.policy_save(policy, **_policy_input(given.validated_data))
        return Response(PolicyOut(_policies().get(pk=policy.pk)).data)

    @extend_schema(summary="Delete an SLA policy (admins)", responses={204: None})
    def delete(self, request, pk):
        policy = self.get_object()
        with transaction.atomic():
            audit.record_deletion(request.user, policy, services.policy_values(policy))
            policy.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("schedules/", ScheduleList.as_view(), name="schedule-list"),
    path("schedules/<id:pk>/", ScheduleDetail.as_view(), name="schedule-detail"),
    path("sla-policies/", PolicyList.as_view(), name="sla-policy-list"),
    path("sla-policies/<id:pk>/", PolicyDetail.as_view(), name="sla-policy-detail"),
]
