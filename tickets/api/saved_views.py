"""Views under /api/v1/views/ (issue 16): the built-in views (read-only, named by key) and the
saved views the caller has in their queue; a view's tickets and its capped count.

Agents only (``IsStaff``). ``{ref}`` is a built-in's key (``unassigned``, ``mine``…) or a saved
view's id. A saved view the caller does not have is a 404; one they have but may not change a
403 (``tickets.permissions.may_manage_view``). A view's tickets are the caller's visible tickets
AND-ed with the view's conditions, listed with the ticket list's serializer and cursor pages.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.http import signed_in
from accounts.permissions import IsStaff, can_manage_desk
from helpdesk.api.parsers import JSONParser
from helpdesk.ids import parse_id
from tickets import permissions, queue, queue_views, selectors
from tickets.api import serializers as s
from tickets.models import SavedView, Ticket, ViewScope
from tickets.models.views import SORT_KEYS
from tickets.services import saved_views as services

REF = OpenApiParameter(
    "ref",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A built-in view's key (e.g. `mine`) or a saved view's id.",
)


class ViewOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The saved view's id; null for a built-in view.")
    key = serializers.CharField(help_text="How the queue's URL names the view (`?view=<key>`).")
    name = serializers.CharField()
    builtin = serializers.BooleanField()
    conditions = serializers.JSONField(
        allow_null=True, help_text='`{"all": [...], "any": [...]}`; null where the engine cannot say it ("My teams").'
    )
    columns = serializers.ListField(child=serializers.CharField())
    sort = serializers.CharField()
    scope = serializers.CharField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField(allow_null=True)
    editable = serializers.BooleanField(help_text="Whether the caller may change or delete it.")


class ViewIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    conditions = serializers.JSONField(required=False)
    columns = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=40)
    sort = serializers.ChoiceField(choices=SORT_KEYS, required=False)
    scope = serializers.ChoiceField(choices=ViewScope.choices, required=False, default=ViewScope.PERSONAL)
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    position = serializers.IntegerField(required=False, min_value=0, max_value=10_000)


class ViewPatchIn(ViewIn):
    name = serializers.CharField(max_length=100, required=False)
    scope = serializers.ChoiceField(choices=ViewScope.choices, required=False)
    active = serializers.BooleanField(required=False)


def _out(user, view: queue_views.ViewDefinition) -> dict[str, Any]:
    saved = view.saved
    return {
        "id": saved.pk if saved else None,
        "key": view.key,
        "name": str(view.label),
        "builtin": saved is None,
        "conditions": view.conditions,
        "columns": list(view.columns),
        "sort": view.sort,
        "scope": saved.scope if saved else None,
        "team": saved.team_id if saved else None,
        "position": saved.position if saved else None,
        "editable": bool(saved and permissions.may_manage_view(user, saved)),
    }


def _find(user, ref: str) -> queue_views.ViewDefinition:
    """The view ``ref`` in ``user``'s queue; for a desk manager also any shared view (they
    manage those). 404 otherwise."""
    number = parse_id(ref)
    found = queue_views.find(user, f"{queue_views.SAVED_PREFIX}{number}" if number is not None else ref)
    if found is None and number is not None and can_manage_desk(user):
        shared = SavedView.objects.exclude(scope=ViewScope.PERSONAL).filter(pk=number).first()
        found = queue_views.definition(shared) if shared is not None else None
    if found is None or (number is None and found.saved is not None):
        raise Http404("No such view.")
    return found


def _saved(user, ref: str) -> SavedView:
    view = _find(user, ref)
    if view.saved is None:
        raise PermissionDenied(_("Built-in views cannot be changed."))
    return view.saved


class ViewList(generics.GenericAPIView):
    """The built-in views and the caller's saved views; make a view."""

    permission_classes = [IsAuthenticated, IsStaff]
    parser_classes = [JSONParser]
    serializer_class = ViewOut
    pagination_class = None
    queryset = SavedView.objects.none()  # for the schema; answers are built from queue_views

    @extend_schema(summary="Views: built-in and saved", responses={200: ViewOut(many=True)})
    def get(self, request):
        user = signed_in(request.user)
        return Response([_out(user, v) for v in queue_views.definitions(user)])

    @extend_schema(summary="Make a view", request=ViewIn, responses={201: ViewOut})
    def post(self, request):
        given = ViewIn(data=request.data)
        given.is_valid(raise_exception=True)
        user = signed_in(request.user)
        view = services.saved_view_create(actor=user, **given.validated_data)
        return Response(_out(user, queue_views.definition(view)), status=status.HTTP_201_CREATED)


@extend_schema(parameters=[REF])
class ViewDetail(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaff]
    parser_classes = [JSONParser]
    serializer_class = ViewOut
    queryset = SavedView.objects.none()  # for the schema; answers are built from queue_views

    @extend_schema(summary="A view", responses={200: ViewOut})
    def get(self, request, ref):
        user = signed_in(request.user)
        return Response(_out(user, _find(user, ref)))

    @extend_schema(summary="Change a saved view", request=ViewPatchIn, responses={200: ViewOut})
    def patch(self, request, ref):
        user = signed_in(request.user)
        view = _saved(user, ref)
        given = ViewPatchIn(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        view = services.saved_view_update(actor=user, view=view, **given.validated_data)
        return Response(_out(user, queue_views.definition(view)))

    @extend_schema(summary="Delete a saved view", responses={204: None})
    def delete(self, request, ref):
        user = signed_in(request.user)
        services.saved_view_delete(actor=user, view=_saved(user, ref))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[REF])
class ViewTickets(generics.GenericAPIView):
    """A view's tickets: the caller's visible tickets that match it, in its order unless
    ``ordering`` says otherwise, with the ticket list's fields and cursor pages."""

    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class = s.TicketOut

    @property
    def ordering_fields(self) -> dict[str, str | tuple[str, ...]]:
        request = getattr(self, "request", None)
        user = getattr(request, "user", None)
        sorts = selectors.sorts_for(user if user is not None and user.is_authenticated else None)
        return {name: column for name, column in sorts.items() if name != selectors.SEARCH_SORT}

    default_ordering = "-updated_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        user = signed_in(self.request.user)
        view = _find(user, self.kwargs["ref"])
        self.default_ordering = queue.SORTS[view.sort][1]
        return selectors.ticket_list_for_api(user).filter(queue_views.view_q(view, user))

    @extend_schema(
        summary="A view's tickets",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The page after (or before) this one."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Tickets per page (at most 100)."),
            OpenApiParameter(
                "ordering", OpenApiTypes.STR, description="created_at, updated_at, priority or status; `-` reverses."
            ),
        ],
    )
    def get(self, request, ref):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.TicketOut(page, many=True, context=self.get_serializer_context()).data)


@extend_schema(parameters=[REF])
class ViewCount(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(
        summary="A view's count (capped, as in the queue)",
        responses={
            200: inline_serializer(
                "ViewCount",
                {
                    "count": serializers.IntegerField(help_text="Counted up to `cap`."),
                    "capped": serializers.BooleanField(help_text="True when there are `cap` or more."),
                    "cap": serializers.IntegerField(),
                },
            )
        },
    )
    def get(self, request, ref):
        user = signed_in(request.user)
        view = _find(user, ref)
        count = queue.view_counts(user).get(view.key, 0)
        return Response({"count": count, "capped": count >= queue.COUNT_CAP, "cap": queue.COUNT_CAP})
