"""REST endpoints for people (API.md "People"): me, users, teams, invites, and the token endpoint.

Reads here are plain querysets of people (no ticket access is involved); every write goes
through ``accounts.services``. Agents may read the directory of users and teams; only admins
change it.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts import services
from accounts.addresses import normalize_email
from accounts.models import Invite, Organization, Role, Team, TicketScope, User
from accounts.permissions import DirectoryReadAdminsWrite, IsAdministrator, IsStaff
from helpdesk.api.fields import IdField, IdFilter, NamedOut, ObjectIdField, PersonOut
from helpdesk.api.throttles import TokenEndpointThrottle

# --- fields (shared with tickets' API) --------------------------------------------------------------


class TeamField(ObjectIdField):
    missing = _("No such team.")

    def get_queryset(self):
        return Team.objects.all()


class UserField(ObjectIdField):
    missing = _("No such user.")

    def get_queryset(self):
        return User.objects.all()


# --- serializers -----------------------------------------------------------------------------------


class EmailAddressField(serializers.EmailField):
    """An email that is put in the desk's normal form (``accounts.addresses``) before it is validated."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            data = normalize_email(data)
        return super().run_validation(data)


def _team_groups():
    return Prefetch(
        "groups", queryset=Group.objects.filter(team__isnull=False).select_related("team"), to_attr="team_groups"
    )


class UserOut(serializers.ModelSerializer):
    organization = NamedOut(read_only=True, allow_null=True)
    teams = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "teams", "organization"]

    @extend_schema_field(NamedOut(many=True))
    def get_teams(self, obj: User) -> list[dict]:
        groups = getattr(obj, "team_groups", None)
        teams = [g.team for g in groups] if groups is not None else list(obj.teams)
        return [{"id": team.pk, "name": team.name} for team in sorted(teams, key=lambda t: t.name)]


class MeOut(UserOut):
    class Meta(UserOut.Meta):
        fields = [*UserOut.Meta.fields, "language", "time_zone"]


class MePatchIn(serializers.Serializer):
    language = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="A code of the desk's languages; blank: the browser's.",
    )
    time_zone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="An IANA zone name; blank: the desk's."
    )


class UserCreateIn(serializers.Serializer):
    email = EmailAddressField()
    name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.CUSTOMER)
    password = serializers.CharField(
        required=False, write_only=True, help_text="Leave out to make an account that signs in after a reset."
    )
    organization = IdField(required=False, allow_null=True)
    ticket_scope = serializers.ChoiceField(choices=TicketScope.choices, default=TicketScope.ALL)
    teams = serializers.ListField(child=TeamField(), required=False)

    def validate_organization(self, value):
        if value is None:
            return None
        organization = Organization.objects.filter(pk=value).first()
        if organization is None:
            raise serializers.ValidationError(_("No such organization."))
        return organization


class TeamOut(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "description", "members"]

    @extend_schema_field(PersonOut(many=True))
    def get_members(self, obj: Team) -> list[dict]:
        return [{"id": u.pk, "name": u.name, "email": u.email} for u in obj.group.user_set.all()]


class TeamIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    members = serializers.ListField(child=UserField(), required=False, help_text="User ids: the whole membership.")


class TeamPatchIn(TeamIn):
    name = serializers.CharField(max_length=100, required=False)


class InviteOut(serializers.ModelSerializer):
    team = NamedOut(read_only=True, allow_null=True)
    accept_url = serializers.SerializerMethodField()

    class Meta:
        model = Invite
        fields = ["id", "email", "role", "team", "created_at", "expires_at", "accepted_at", "accept_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_accept_url(self, obj: Invite) -> str:
        request = self.context.get("request")
        url = reverse("accounts:invite_accept", args=[obj.token])
        return request.build_absolute_uri(url) if request is not None else url


class InviteIn(serializers.Serializer):
    email = EmailAddressField()
    role = serializers.ChoiceField(choices=[(Role.AGENT, "Agent"), (Role.ADMIN, "Admin")])
    team = TeamField(required=False, allow_null=True)


class TokenIn(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    team = IdFilter(method="filter_team", help_text="Members of this team.")
    q = django_filters.CharFilter(method="filter_q", max_length=200, help_text="Text in the name or email.")

    class Meta:
        model = User
        fields: list[str] = []

    def filter_team(self, queryset, name, value):
        return queryset.filter(groups__team__id=value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value)) if value else queryset


# --- views -----------------------------------------------------------------------------------------


class Me(generics.GenericAPIView):
    serializer_class = MeOut

    def _me(self, request):
        return User.objects.select_related("organization").prefetch_related(_team_groups()).get(pk=request.user.pk)

    @extend_schema(summary="Who you are")
    def get(self, request):
        return Response(MeOut(self._me(request)).data)

    @extend_schema(summary="Your language and time zone", request=MePatchIn, responses={200: MeOut})
    def patch(self, request):
        given = MePatchIn(data=request.data)
        given.is_valid(raise_exception=True)
        user = request.user
        services.user_set_locale(
            user=user,
            language=given.validated_data.get("language", user.language),
            time_zone=given.validated_data.get("time_zone", user.time_zone),
        )
        return Response(MeOut(self._me(request)).data)


class UserList(generics.GenericAPIView):
    serializer_class = UserOut
    filterset_class = UserFilter
    ordering_fields = {"name": "name", "email": "email"}
    default_ordering = "name"

    def get_permissions(self):
        return [IsAuthenticated(), IsAdministrator() if self.request.method == "POST" else IsStaff()]

    def get_queryset(self):
        return User.objects.select_related("organization").prefetch_related(_team_groups())

    @extend_schema(summary="Users (agents)")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(UserOut(page, many=True).data)

    @extend_schema(
        summary="Create a user (admins)",
        request=UserCreateIn,
        responses={201: UserOut},
        examples=[
            OpenApiExample(
                "An agent of one team",
                request_only=True,
                value={
                    "email": "sam@example.com",
                    "name": "Sam",
                    "role": "agent",
                    "ticket_scope": "teams",
                    "teams": [1],
                },
            )
        ],
    )
    def post(self, request):
        given = UserCreateIn(data=request.data)
        given.is_valid(raise_exception=True)
        user = services.user_create(**given.validated_data)
        return Response(UserOut(self.get_queryset().get(pk=user.pk)).data, status=status.HTTP_201_CREATED)


TEAM_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The team id.")


def _teams():
    return Team.objects.select_related("group").prefetch_related(
        Prefetch("group__user_set", queryset=User.objects.order_by("name", "id"))
    )


class TeamList(generics.GenericAPIView):
    serializer_class = TeamOut
    permission_classes = [IsAuthenticated, DirectoryReadAdminsWrite]
    ordering_fields = {"name": "name"}
    default_ordering = "name"

    def get_queryset(self):
        return _teams()

    @extend_schema(summary="Teams and their members (agents)")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TeamOut(page, many=True).data)

    @extend_schema(summary="Create a team (admins)", request=TeamIn, responses={201: TeamOut})
    def post(self, request):
        given = TeamIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        team = services.team_create(name=data["name"], description=data.get("description", ""))
        if "members" in data:
            services.team_update(team=team, members=data["members"])
        return Response(TeamOut(_teams().get(pk=team.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[TEAM_ID])
class TeamDetail(generics.GenericAPIView):
    serializer_class = TeamOut
    permission_classes = [IsAuthenticated, DirectoryReadAdminsWrite]

    def get_object(self):
        return generics.get_object_or_404(_teams(), pk=self.kwargs["pk"])

    @extend_schema(summary="A team")
    def get(self, request, pk):
        return Response(TeamOut(self.get_object()).data)

    @extend_schema(summary="Change a team (admins)", request=TeamPatchIn, responses={200: TeamOut})
    def patch(self, request, pk):
        team = self.get_object()
        given = TeamPatchIn(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        services.team_update(team=team, **given.validated_data)
        return Response(TeamOut(_teams().get(pk=team.pk)).data)

    @extend_schema(summary="Delete a team without tickets (admins)", responses={204: None})
    def delete(self, request, pk):
        services.team_delete(team=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class InviteList(generics.GenericAPIView):
    serializer_class = InviteOut
    permission_classes = [IsAuthenticated, IsAdministrator]
    ordering_fields = {"created_at": "created_at"}
    default_ordering = "-created_at"

    def get_queryset(self):
        return Invite.objects.select_related("team")

    @extend_schema(summary="Invites (admins)")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InviteOut(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Invite an agent or admin (admins)",
        request=InviteIn,
        responses={201: InviteOut},
        examples=[OpenApiExample("Agent", request_only=True, value={"email": "new@example.com", "role": "agent"})],
    )
    def post(self, request):
        given = InviteIn(data=request.data)
        given.is_valid(raise_exception=True)
        invite = services.invite_create(actor=request.user, **given.validated_data)
        return Response(InviteOut(invite, context={"request": request}).data, status=status.HTTP_201_CREATED)


BAD_CREDENTIALS = _("Unable to sign in with this email and password.")


class ObtainToken(generics.GenericAPIView):
    """Email and password in, the API token out. The same 400 whether the email exists or not."""

    serializer_class = TokenIn
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenEndpointThrottle]

    @extend_schema(
        summary="Get your API token",
        request=TokenIn,
        responses={200: TokenOut},
        auth=[],
        examples=[
            OpenApiExample("Sign in", request_only=True, value={"email": "ada@example.com", "password": "..."}),
            OpenApiExample("Token", response_only=True, value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}),
        ],
    )
    def post(self, request):
        given = TokenIn(data=request.data)
        given.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: the sign-in throttle (django-axes) flags it, and its
        # middleware then answers 429 with Retry-After while the email+address pair cools off.
        user = authenticate(
            request._request, username=given.validated_data["email"], password=given.validated_data["password"]
        )
        if user is None:
            return Response({"detail": BAD_CREDENTIALS}, status=status.HTTP_400_BAD_REQUEST)
        token = services.api_token_get_or_create(user=user)
        return Response({"token": token.key})


urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="auth-token"),
    path("me/", Me.as_view(), name="me"),
    path("users/", UserList.as_view(), name="user-list"),
    path("teams/", TeamList.as_view(), name="team-list"),
    path("teams/<id:pk>/", TeamDetail.as_view(), name="team-detail"),
    path("invites/", InviteList.as_view(), name="invite-list"),
]
