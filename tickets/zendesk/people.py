"""People endpoints: users (me, show, list, search), organizations (list, create, show) and groups
(our teams). Who may read the directory is ``accounts.permissions``' call: agents and admins read
everyone; a customer reads themselves and their own organization; only admins create."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from accounts import services as account_services
from accounts.models import Organization, Team, User
from accounts.permissions import may_manage_people, may_read_directory
from helpdesk import keyset
from tickets.zendesk import errors
from tickets.zendesk.base import ZendeskView, cursor_answer, cursor_page, int_param
from tickets.zendesk.mapping import ROLE_IN, Shapes

BY_ID = keyset.ordering_keys({"id": "id"}, "id")


def _not_found() -> errors.ZendeskError:
    return errors.ZendeskError(404, "RecordNotFound", _("Not found"))


def _staff_only(user) -> None:
    if not may_read_directory(user):
        raise errors.ZendeskError(403, "Forbidden", _("Only agents can read other people's records."))


class Me(ZendeskView):
    def get(self, request):
        return Response({"user": Shapes(request, request.user).user(request.user)})


class UserDetail(ZendeskView):
    def get(self, request, pk: int):
        if pk != request.user.pk:
            _staff_only(request.user)
        user = User.objects.filter(pk=pk).first()
        if user is None:
            raise _not_found()
        return Response({"user": Shapes(request, request.user).user(user)})


class UserList(ZendeskView):
    """GET users.json (agents): cursor pages by id; ``role`` / ``role[]`` filters."""

    def get(self, request):
        _staff_only(request.user)
        qs = User.objects.all()
        roles = request.query_params.getlist("role") + request.query_params.getlist("role[]")
        if roles:
            unknown = [r for r in roles if r not in ROLE_IN]
            if unknown:
                raise errors.invalid("role", _("role is one of %(values)s.") % {"values": ", ".join(ROLE_IN)})
            qs = qs.filter(role__in=[ROLE_IN[r] for r in roles])
        page, size = cursor_page(self, qs, BY_ID)
        shapes = Shapes(request, request.user)
        params = {"page[size]": size, **({"role[]": roles[0]} if len(roles) == 1 else {})}
        path = reverse("api:zendesk-users")
        return Response(cursor_answer(self, "users", [shapes.user(u) for u in page.items], page, path, params))


class UserSearch(ZendeskView):
    """GET users/search.json?query= (agents): an exact email, or part of a name or email."""

    def get(self, request):
        _staff_only(request.user)
        query = (request.query_params.get("query") or request.query_params.get("email") or "").strip()
        if not query or len(query) > 254:
            raise errors.ZendeskError(400, "InvalidRequest", _("Give query= (an email, or part of a name or email)."))
        query = query.removeprefix("email:").strip('"')
        per_page = int_param(request, "per_page", default=100, low=1, high=100)
        page = int_param(request, "page", default=1, low=1, high=10)
        qs = User.objects.filter(Q(email__iexact=query) | Q(name__icontains=query) | Q(email__icontains=query))
        rows = list(qs.order_by("pk")[(page - 1) * per_page : page * per_page + 1])
        shapes = Shapes(request, request.user)
        more = len(rows) > per_page
        path = reverse("api:zendesk-user-search")
        return Response(
            {
                "users": [shapes.user(u) for u in rows[:per_page]],
                "next_page": self.absolute(path, {"query": query, "page": page + 1, "per_page": per_page})
                if more and page < 10
                else None,
                "previous_page": self.absolute(path, {"query": query, "page": page - 1, "per_page": per_page})
                if page > 1
                else None,
                "count": qs.count() if more or page > 1 else len(rows),
            }
        )


def _organizations_for(user):
    if may_read_directory(user):
        return Organization.objects.all()
    return Organization.objects.filter(pk=user.organization_id) if user.organization_id else Organization.objects.none()


class OrganizationList(ZendeskView):
    """GET organizations.json (agents: all; customers: their own); POST (admins) creates one."""

    def get(self, request):
        page, size = cursor_page(self, _organizations_for(request.user), BY_ID)
        shapes = Shapes(request, request.user)
        items = [shapes.organization(o) for o in page.items]
        path = reverse("api:zendesk-organizations")
        return Response(cursor_answer(self, "organizations", items, page, path, {"page[size]": size}))

    def post(self, request):
        if not may_manage_people(request.user):
            raise errors.ZendeskError(403, "Forbidden", _("Only admins can create organizations."))
        data = self.body_object("organization")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise errors.invalid("name", _("An organization needs a name of 1–200 characters."))
        shared = data.get("shared_tickets", False)
        if not isinstance(shared, bool):
            raise errors.invalid("shared_tickets", _("shared_tickets is true or false."))
        organization = account_services.organization_create(name=name.strip(), share_tickets=shared)
        return Response(
            {"organization": Shapes(request, request.user).organization(organization)}, status=status.HTTP_201_CREATED
        )


class OrganizationDetail(ZendeskView):
    def get(self, request, pk: int):
        organization = _organizations_for(request.user).filter(pk=pk).first()
        if organization is None:
            raise _not_found()
        return Response({"organization": Shapes(request, request.user).organization(organization)})


class GroupList(ZendeskView):
    """GET groups.json (agents): our teams."""

    def get(self, request):
        _staff_only(request.user)
        page, size = cursor_page(self, Team.objects.all(), BY_ID)
        shapes = Shapes(request, request.user)
        path = reverse("api:zendesk-groups")
        return Response(
            cursor_answer(self, "groups", [shapes.group(t) for t in page.items], page, path, {"page[size]": size})
        )


class GroupDetail(ZendeskView):
    def get(self, request, pk: int):
        _staff_only(request.user)
        team = Team.objects.filter(pk=pk).first()
        if team is None:
            raise _not_found()
        return Response({"group": Shapes(request, request.user).group(team)})


class GroupMemberships(ZendeskView):
    """GET group_memberships.json (agents): who is in which team, for importers."""

    def get(self, request):
        _staff_only(request.user)
        rows = User.groups.through.objects.filter(group__team__isnull=False).select_related("group__team")
        page, size = cursor_page(self, rows, BY_ID)
        items = [
            {
                "id": row.pk,
                "user_id": row.user_id,
                "group_id": row.group.team.pk,
                "default": False,
                "created_at": None,
                "updated_at": None,
            }
            for row in page.items
        ]
        path = reverse("api:zendesk-group-memberships")
        return Response(cursor_answer(self, "group_memberships", items, page, path, {"page[size]": size}))
