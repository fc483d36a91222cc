"""GET /api/v1/stats/agents/: agent performance over a period (API.md "Statistics").

The numbers and who may see whose row are ``tickets.stats``' (admins every agent; agents their
own row only); this view only reads and checks the query parameters.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Team
from accounts.permissions import IsStaff
from helpdesk.api.fields import NamedOut
from helpdesk.ids import parse_id
from tickets import periods, stats

DEFAULT_DAYS = periods.DEFAULT_DAYS


class SecondsOut(serializers.Serializer):
    avg = serializers.IntegerField(allow_null=True)
    median = serializers.IntegerField(allow_null=True)


class AgentStatsOut(serializers.Serializer):
    agent = NamedOut()
    assigned_open = serializers.IntegerField()
    solved = serializers.IntegerField()
    replies = serializers.IntegerField()
    first_response_seconds = SecondsOut()
    resolution_seconds = SecondsOut()
    reopened = serializers.IntegerField()


class AgentStatsPageOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(help_text="The end of the period (exclusive).")
    next = serializers.URLField(allow_null=True, help_text="Always null: every row is in one answer.")
    previous = serializers.URLField(allow_null=True, help_text="Always null.")
    results = AgentStatsOut(many=True)


def _bound(request, name: str) -> date | datetime | None:
    try:
        return periods.parse_bound(request.query_params.get(name))
    except DjangoValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


class AgentStats(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class = AgentStatsPageOut

    @extend_schema(
        summary="Agent statistics",
        description="One row per agent you may see (admins: every agent; agents: their own row only) "
        "for the period [since, until). Dates mean whole days; the default is the last "
        f"{DEFAULT_DAYS} days.",
        parameters=[
            OpenApiParameter("since", str, description="Start: a date or an ISO 8601 date-time."),
            OpenApiParameter("until", str, description="End: a date (inclusive) or an ISO 8601 date-time."),
            OpenApiParameter("team", int, description="Only this team's members."),
        ],
        responses={200: AgentStatsPageOut},
        examples=[
            OpenApiExample(
                "One agent",
                response_only=True,
                value={
                    "since": "2026-11-01T00:00:00Z",
                    "until": "2026-11-30T23:59:59Z",
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "agent": {"id": 3, "name": "Alice Agent"},
                            "assigned_open": 4,
                            "solved": 12,
                            "replies": 30,
                            "first_response_seconds": {"avg": 1800, "median": 1200},
                            "resolution_seconds": {"avg": 86400, "median": 43200},
                            "reopened": 1,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request):
        start, stop = periods.period(_bound(request, "since"), _bound(request, "until"))
        team = None
        raw_team = request.query_params.get("team")
        if raw_team not in (None, ""):
            team_id = parse_id(raw_team)
            if team_id is None:
                raise ValidationError({"team": ["Give a team id."]})
            team = Team.objects.filter(pk=team_id).first()
            if team is None:
                raise ValidationError({"team": ["No such team."]})
        rows = stats.agent_stats(viewer=request.user, since=start, until=stop, team=team)
        return Response(
            {
                "since": start,
                "until": stop,
                "next": None,
                "previous": None,
                "results": AgentStatsOut(rows, many=True).data,
            }
        )
