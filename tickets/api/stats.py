"""GET /api/v1/stats/agents/: agent performance over a period (API.md "Statistics"),
GET /api/v1/stats/trend/: the desk's figures per day or week (``tickets.trends``), and
GET /api/v1/stats/sla/: SLA achievement per metric, team, agent and priority (``tickets.sla.stats``).

The numbers and who may see whose row are ``tickets.stats``' (admins every agent; agents their
own row only) and ``tickets.trends``' (the tickets the caller may see; a team only among
``stats_visible_teams``); these views only read and check the query parameters.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Team
from accounts.permissions import IsStaff
from helpdesk.api.fields import NamedOut
from helpdesk.ids import parse_id
from tickets import periods, stats, trends
from tickets.models import Priority
from tickets.sla import stats as sla_stats
from tickets.sla.models import Metric

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


# --- statistics over time ------------------------------------------------------------------------


class TrendBucketOut(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The start of the day or week (cut to the period).")
    end = serializers.DateTimeField(help_text="Its end (exclusive; cut to the period).")
    created = serializers.IntegerField(help_text="Tickets created.")
    solved = serializers.IntegerField(help_text="Times a ticket entered “solved” (closing is not solving).")
    reopened = serializers.IntegerField(help_text="Solved tickets reopened.")
    backlog = serializers.IntegerField(help_text="Tickets neither solved nor closed at the end.")
    first_response_seconds = SecondsOut(
        help_text="Creation to the first public agent reply, of first replies made then."
    )
    resolution_seconds = SecondsOut(help_text="Creation to the last solve, of tickets solved then.")


class TrendTeamOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TrendOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(help_text="The end of the period (exclusive).")
    granularity = serializers.ChoiceField(choices=trends.GRANULARITIES)
    team = TrendTeamOut(allow_null=True)
    backlog_at_start = serializers.IntegerField(help_text="Tickets neither solved nor closed when the period starts.")
    next = serializers.URLField(allow_null=True, help_text="Always null: every bucket is in one answer.")
    previous = serializers.URLField(allow_null=True, help_text="Always null.")
    results = TrendBucketOut(many=True)


class TrendStats(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class = TrendOut

    @extend_schema(
        summary="Statistics over time",
        description="Tickets created, solved and reopened, the backlog at the end, and the average and median "
        "first response and resolution times, per day or ISO week (from Monday) in the request's time zone "
        "(the server's unless one is set), "
        "over the tickets you may see, for the period [since, until). Dates mean whole days; the default is "
        f"the last {DEFAULT_DAYS} days; at most {trends.MAX_DAYS} days. A ticket counts for a team by its "
        "current team.",
        parameters=[
            OpenApiParameter("since", str, description="Start: a date or an ISO 8601 date-time."),
            OpenApiParameter("until", str, description="End: a date (inclusive) or an ISO 8601 date-time."),
            OpenApiParameter(
                "granularity",
                str,
                enum=list(trends.GRANULARITIES),
                description=f"day or week; default: day for up to {trends.DAILY_UP_TO} days, else week.",
            ),
            OpenApiParameter(
                "team",
                int,
                description="Only this team's tickets: a team whose totals you may see (agents: theirs, or every "
                "team when they work every ticket).",
            ),
        ],
        responses={200: TrendOut},
        examples=[
            OpenApiExample(
                "Two days",
                response_only=True,
                value={
                    "since": "2026-11-01T00:00:00Z",
                    "until": "2026-11-03T00:00:00Z",
                    "granularity": "day",
                    "team": {"id": 2, "name": "Billing"},
                    "backlog_at_start": 14,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "start": "2026-11-01T00:00:00Z",
                            "end": "2026-11-02T00:00:00Z",
                            "created": 5,
                            "solved": 7,
                            "reopened": 1,
                            "backlog": 12,
                            "first_response_seconds": {"avg": 2400, "median": 1800},
                            "resolution_seconds": {"avg": 90000, "median": 43200},
                        },
                        {
                            "start": "2026-11-02T00:00:00Z",
                            "end": "2026-11-03T00:00:00Z",
                            "created": 3,
                            "solved": 2,
                            "reopened": 0,
                            "backlog": 13,
                            "first_response_seconds": {"avg": None, "median": None},
                            "resolution_seconds": {"avg": 7200, "median": 7200},
                        },
                    ],
                },
            )
        ],
    )
    def get(self, request):
        start, stop = periods.period(_bound(request, "since"), _bound(request, "until"))
        granularity = request.query_params.get("granularity") or None
        if granularity is not None and granularity not in trends.GRANULARITIES:
            raise ValidationError({"granularity": [trends.BAD_GRANULARITY]})
        team = None
        raw_team = request.query_params.get("team")
        if raw_team not in (None, ""):
            team_id = parse_id(raw_team)
            if team_id is None:
                raise ValidationError({"team": [_("Give a team id.")]})
            # A team whose figures are not the caller's is answered as if it did not exist.
            team = trends.visible_team(request.user, team_id)
            if team is None:
                raise ValidationError({"team": [trends.NO_SUCH_TEAM]})
        result = trends.trend(viewer=request.user, start=start, end=stop, granularity=granularity, team=team)
        return Response(
            {
                "since": result["since"],
                "until": result["until"],
                "granularity": result["granularity"],
                "team": None if team is None else {"id": team.pk, "name": team.name},
                "backlog_at_start": result["backlog_at_start"],
                "next": None,
                "previous": None,
                "results": TrendBucketOut(result["buckets"], many=True).data,
            }
        )


# --- SLA achievement ---------------------------------------------------------------------------------


class SlaPercentileOut(serializers.Serializer):
    percent = serializers.IntegerField(
        allow_null=True, help_text="Whole percentage of the target used (null: over target, or no data)."
    )
    over_target = serializers.BooleanField(help_text="The percentile falls among breached clocks.")


class SlaElapsedOut(serializers.Serializer):
    median = SlaPercentileOut()
    p90 = SlaPercentileOut()


class SlaAchievementFiguresOut(serializers.Serializer):
    ended = serializers.IntegerField(help_text="Clocks that ended (fulfilled or breached) in the period.")
    achieved = serializers.IntegerField(help_text="Of those, fulfilled within their target.")
    breached = serializers.IntegerField(help_text="Of those, breached.")
    achievement_percent = serializers.FloatField(
        allow_null=True, help_text="achieved ÷ ended × 100, one decimal, rounded down; null when none ended."
    )
    elapsed_of_target = SlaElapsedOut(help_text="Target time used, as a percentage of each clock's target.")


class SlaAchievementMetricOut(SlaAchievementFiguresOut):
    metric = serializers.ChoiceField(choices=Metric.choices)
    name = serializers.CharField()


class SlaAchievementTeamOut(SlaAchievementFiguresOut):
    team = NamedOut()


class SlaAchievementAgentOut(SlaAchievementFiguresOut):
    agent = NamedOut()


class SlaAchievementPriorityOut(SlaAchievementFiguresOut):
    priority = serializers.ChoiceField(choices=Priority.choices)
    name = serializers.CharField()


class SlaAchievementOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(help_text="The end of the period (exclusive).")
    team = TrendTeamOut(allow_null=True)
    policies_active = serializers.BooleanField(help_text="Whether any SLA policy is active now.")
    overall = SlaAchievementFiguresOut()
    metrics = SlaAchievementMetricOut(many=True)
    teams = SlaAchievementTeamOut(many=True)
    agents = SlaAchievementAgentOut(many=True)
    priorities = SlaAchievementPriorityOut(many=True)


_FIGURES = {
    "ended": 40,
    "achieved": 37,
    "breached": 3,
    "achievement_percent": 92.5,
    "elapsed_of_target": {
        "median": {"percent": 41, "over_target": False},
        "p90": {"percent": 97, "over_target": False},
    },
}


class SlaStats(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class = SlaAchievementOut

    @extend_schema(
        summary="SLA achievement",
        description="For the period [since, until): the SLA clocks that ended (fulfilled or breached), how many "
        "met their target, the achievement rate, and the median and 90th percentile of the target used — overall "
        "and per metric, team, agent (the ticket's current assignee) and priority (the ticket's when the clock "
        "ended), over the tickets you may see. Next reply and periodic update count every cycle; the other "
        "metrics once per ticket, by their last end in the period. Agents see their own row and their teams "
        "(every team when they work every ticket); "
        f"admins every agent and team. Dates mean whole days; the default is the last {DEFAULT_DAYS} days.",
        parameters=[
            OpenApiParameter("since", str, description="Start: a date or an ISO 8601 date-time."),
            OpenApiParameter("until", str, description="End: a date (inclusive) or an ISO 8601 date-time."),
            OpenApiParameter(
                "team",
                int,
                description="Only this team's tickets: a team whose totals you may see (agents: theirs, or every "
                "team when they work every ticket).",
            ),
        ],
        responses={200: SlaAchievementOut},
        examples=[
            OpenApiExample(
                "One team",
                response_only=True,
                value={
                    "since": "2026-11-01T00:00:00Z",
                    "until": "2026-12-01T00:00:00Z",
                    "team": {"id": 2, "name": "Billing"},
                    "policies_active": True,
                    "overall": _FIGURES,
                    "metrics": [{"metric": "first_reply_time", "name": "First reply time", **_FIGURES}],
                    "teams": [{"team": {"id": 2, "name": "Billing"}, **_FIGURES}],
                    "agents": [{"agent": {"id": 3, "name": "Alice Agent"}, **_FIGURES}],
                    "priorities": [{"priority": "urgent", "name": "Urgent", **_FIGURES}],
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
                raise ValidationError({"team": [_("Give a team id.")]})
            team = trends.visible_team(request.user, team_id)
            if team is None:
                raise ValidationError({"team": [trends.NO_SUCH_TEAM]})
        result = sla_stats.achievement(viewer=request.user, since=start, until=stop, team=team)
        return Response(
            SlaAchievementOut({**result, "team": None if team is None else {"id": team.pk, "name": team.name}}).data
        )
