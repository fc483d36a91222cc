"""The API's side of the satisfaction surveys: the ``satisfaction_rating`` of a ticket (v1) and
``GET /api/v1/stats/satisfaction/`` (CSAT per agent, team and period, ``tickets.satisfaction.stats``).

The /api/v2/ (Zendesk-compatible) shape is ``tickets.satisfaction.zendesk_shape``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsStaff
from helpdesk.api.fields import NamedOut
from helpdesk.ids import parse_id
from tickets import periods, permissions, trends
from tickets.satisfaction import stats
from tickets.satisfaction.models import Score

if TYPE_CHECKING:
    from tickets.satisfaction.models import SatisfactionRating


DEFAULT_DAYS = periods.DEFAULT_DAYS


def _bound(request, name: str):
    try:
        return periods.parse_bound(request.query_params.get(name))
    except DjangoValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


class SatisfactionRatingOut(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.ChoiceField(choices=[Score.GOOD, Score.BAD])
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(help_text="When the requester first answered.")
    updated_at = serializers.DateTimeField(help_text="When the answer last changed.")


def rating_out(rating: SatisfactionRating | None) -> dict[str, Any] | None:
    """A ticket's ``satisfaction_rating``: its latest survey's answer, None when not answered."""
    if rating is None or not rating.is_rated:
        return None
    return SatisfactionRatingOut(
        {
            "id": rating.pk,
            "score": rating.score,
            "comment": rating.comment,
            "created_at": rating.rated_at,
            "updated_at": rating.updated_at,
        }
    ).data


class CsatOut(serializers.Serializer):
    good = serializers.IntegerField()
    bad = serializers.IntegerField()
    rated = serializers.IntegerField(help_text="good + bad: the surveys answered.")
    offered = serializers.IntegerField(help_text="Surveys sent after the solves of the period, answered or not.")
    percent = serializers.FloatField(
        allow_null=True, help_text="good / (good + bad) × 100, one decimal; null: no answer."
    )


class AgentCsatOut(CsatOut):
    agent = NamedOut()


class TeamCsatOut(CsatOut):
    team = NamedOut()


class SatisfactionStatsOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(help_text="The end of the period (exclusive).")
    total = CsatOut(help_text="Every solve of the period you may see (only the team's with `team`).")
    agents = AgentCsatOut(many=True)
    teams = TeamCsatOut(many=True)


class SatisfactionStats(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class = SatisfactionStatsOut

    @extend_schema(
        summary="Customer satisfaction statistics",
        description="CSAT (good among good + bad answers) of the surveys sent after the solves of the period "
        "[since, until), with the counts, credited to the agent and team the ticket had when it was solved: "
        "in total, per agent you may see (admins: every agent; agents: their own row) and per team you may see. "
        f"Dates mean whole days; the default is the last {DEFAULT_DAYS} days.",
        parameters=[
            OpenApiParameter("since", str, description="Start: a date or an ISO 8601 date-time."),
            OpenApiParameter("until", str, description="End: a date (inclusive) or an ISO 8601 date-time."),
            OpenApiParameter("team", int, description="Only this team: its members, its row and its total."),
        ],
        responses={200: SatisfactionStatsOut},
        examples=[
            OpenApiExample(
                "A month",
                response_only=True,
                value={
                    "since": "2026-11-01T00:00:00Z",
                    "until": "2026-12-01T00:00:00Z",
                    "total": {"good": 8, "bad": 2, "rated": 10, "offered": 16, "percent": 80.0},
                    "agents": [
                        {
                            "agent": {"id": 3, "name": "Alice Agent"},
                            "good": 5,
                            "bad": 1,
                            "rated": 6,
                            "offered": 9,
                            "percent": 83.3,
                        }
                    ],
                    "teams": [
                        {
                            "team": {"id": 2, "name": "Billing"},
                            "good": 3,
                            "bad": 1,
                            "rated": 4,
                            "offered": 6,
                            "percent": 75.0,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request):
        start, stop = periods.period(_bound(request, "since"), _bound(request, "until"))
        viewer = request.user
        agents = permissions.stats_visible_agents(viewer)
        teams = permissions.stats_visible_teams(viewer)
        team_id = None
        raw_team = request.query_params.get("team")
        if raw_team not in (None, ""):
            team_id = parse_id(raw_team)
            if team_id is None:
                raise ValidationError({"team": [_("Give a team id.")]})
            team = teams.filter(pk=team_id).first()
            if team is None:  # not a team whose figures are the caller's: as if it did not exist
                raise ValidationError({"team": [trends.NO_SUCH_TEAM]})
            agents = agents.filter(groups=team.group_id)
            teams = teams.filter(pk=team.pk)
        result = stats.csat(
            viewer=viewer,
            since=start,
            until=stop,
            agents=[{"id": a.pk, "name": a.name} for a in agents.order_by("name", "id").only("id", "name")],
            teams=[{"id": t.pk, "name": t.name} for t in teams.order_by("name", "id").only("id", "name")],
            team_id=team_id,
        )
        return Response(SatisfactionStatsOut({"since": start, "until": stop, **result}).data)
