"""REST endpoints for tickets, their conversation, attachments and history (API.md).

Each view is: selector (scoped read, 404 for what the caller may not see) → permission class
(``tickets.permissions`` decides; 403 for visible-but-forbidden) → input serializer (shape) →
service (every rule and every write) → output serializer. Errors become responses in
``helpdesk.api.errors.exception_handler``.
"""

from __future__ import annotations

import hashlib
import json

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import signed_in
from accounts.permissions import IsStaff
from helpdesk import keyset
from helpdesk.api.pagination import CursorPagination
from helpdesk.api.parsers import JSONParser, MultiPartParser
from tickets import permissions, selectors, services
from tickets.api import serializers as s
from tickets.api.filters import ticket_list_parameters
from tickets.exceptions import StaleVersion
from tickets.models import Attachment, Channel, Message, Ticket, TicketEvent
from tickets.permissions import Action

# --- permission classes: every decision is tickets.permissions' --------------------------------


class TicketAction(BasePermission):
    """Asks ``permissions.authorize`` for the action the view names for this method.

    ``authorize`` raises ``Http404`` when the caller may not see the ticket and
    ``PermissionDenied`` when they may see it but not do this, which the error handler turns
    into 404 and 403. Views name their actions in ``ticket_actions`` (method → Action).
    """

    def has_object_permission(self, request, view, obj) -> bool:
        action = view.ticket_actions.get(request.method, Action.VIEW)
        permissions.authorize(request.user, action, obj)
        return True


class TicketScoped(APIView):
    """For endpoints under /tickets/{id}/: the ticket, fetched once through the selector."""

    permission_classes = [IsAuthenticated, TicketAction]
    ticket_actions: dict[str, Action] = {"GET": Action.VIEW}

    def get_ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            ticket = selectors.ticket_get_for_user(signed_in(self.request.user), self.kwargs["pk"])
            self.check_object_permissions(self.request, ticket)
            self._ticket = ticket
        return self._ticket


def _ticket_out(view, user, pk: int) -> dict:
    ticket = selectors.ticket_for_api(user, pk)
    return s.TicketOut(ticket, context=view.get_serializer_context()).data


def _uploads(request, field: str) -> list:
    return request.FILES.getlist(field) if hasattr(request, "FILES") else []


TICKET_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The ticket id.")

TICKET_EXAMPLE = OpenApiExample(
    "A ticket",
    response_only=True,
    value={
        "id": 42,
        "url": "http://127.0.0.1:8000/api/v1/tickets/42/",
        "subject": "Cannot download invoice",
        "description": "When I click the download link nothing happens.",
        "status": "open",
        "priority": "normal",
        "category": None,
        "channel": "api",
        "tags": ["invoice"],
        "requester": {"id": 7, "name": "Ada Customer", "email": "ada@example.com"},
        "assignee": None,
        "team": None,
        "organization": {"id": 2, "name": "Acme Corp"},
        "created_at": "2026-11-25T10:00:00Z",
        "updated_at": "2026-11-25T10:00:00Z",
        "first_response_at": None,
        "solved_at": None,
        "closed_at": None,
        "message_count": 1,
    },
)


# --- tickets -------------------------------------------------------------------------------------


class TicketList(generics.GenericAPIView):
    """Tickets the caller may see; create a ticket."""

    serializer_class = s.TicketOut
    parser_classes = [JSONParser, MultiPartParser]

    @property
    def ordering_fields(self) -> dict[str, str | tuple[str, ...]]:
        # The one ticket list's sorts (tickets.selectors.listing), ``updated_at`` being the activity
        # the caller may know of (public activity only, for customers).
        request = getattr(self, "request", None)
        user = getattr(request, "user", None)
        return selectors.sorts_for(user if user is not None and user.is_authenticated else None)

    ordering_description = (
        "One of created_at, updated_at, priority (urgent first), status (lifecycle order), sla (next SLA breach "
        "first, tickets with none last; agents only), urgency (overdue SLA targets first, then the next breach, then "
        "tickets with none by priority and age; agents only), relevance (best match first; only with `q`); `-` reverses. "
        "Default `-updated_at`, or `relevance` with `q`."
    )

    def _searching(self) -> bool:
        request = getattr(self, "request", None)
        return request is not None and bool((request.query_params.get("q") or "").strip())

    @property
    def default_ordering(self) -> str:
        # A search lists the best matches first unless the client asks for another order.
        return "relevance" if self._searching() else "-updated_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no ticket
            return Ticket.objects.none()
        return selectors.ticket_list_for_api(signed_in(self.request.user))

    @extend_schema(summary="List tickets", examples=[TICKET_EXAMPLE], parameters=ticket_list_parameters())
    def get(self, request):
        ordering = request.query_params.get("ordering") or self.default_ordering
        if ordering.removeprefix("-") == selectors.SEARCH_SORT and not self._searching():
            raise ValidationError({"ordering": [_("Sort by relevance only together with a search (`q`).")]})
        refused = permissions.refused_list_filters(
            request.user, [name for name, value in request.query_params.items() if value]
        )
        if refused:
            raise ValidationError({name: [_("Only people who work tickets can filter by this.")] for name in refused})
        form = selectors.TicketFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
        try:
            queryset = selectors.ticket_list(
                signed_in(request.user), form.filters(), sort=ordering, tickets=self.get_queryset()
            )
        except keyset.BadOrdering as exc:
            raise ValidationError({"ordering": [str(exc)]}) from None
        # A customer's list: a page's worth of each part of what they see (``permissions.visible_parts``),
        # not every ticket they ever filed, sorted; a search ranks its own matches.
        heads = [
            selectors.ticket_list(
                signed_in(request.user), form.filters(), sort=ordering, tickets=Ticket.objects.filter(part)
            )
            for part in (() if self._searching() else permissions.visible_parts(request.user))
        ]
        # The ``sla`` blocks and the ``satisfaction_rating``s: one query each (TicketListOut).
        paginator = self.paginator
        assert isinstance(paginator, CursorPagination)
        page = paginator.paginate_queryset(queryset, request, view=self, heads=heads)
        return self.get_paginated_response(s.TicketOut(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Create a ticket",
        request=s.TicketCreateIn,
        responses={
            201: s.TicketOut,
            200: OpenApiResponse(s.TicketOut, "Replayed: the ticket this Idempotency-Key made."),
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Repeat a create safely: the same key from the same user within 24 hours "
                "returns the ticket it made (200) instead of making another.",
            )
        ],
        examples=[
            OpenApiExample(
                "A customer's ticket",
                request_only=True,
                value={
                    "subject": "Cannot download invoice",
                    "description": "When I click the download link nothing happens.",
                    "priority": "high",
                    "tags": ["invoice"],
                },
            ),
            OpenApiExample(
                "An agent files for a customer",
                request_only=True,
                value={
                    "subject": "Phone call: printer offline",
                    "description": "Customer called: the office printer has been offline since this morning.",
                    "requester": {"email": "carol@example.com", "name": "Carol"},
                    "channel": "agent",
                    "team": 1,
                },
            ),
            TICKET_EXAMPLE,
        ],
    )
    def post(self, request):
        given = s.TicketCreateIn(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        data["attachments"] = data.pop("attachments", None) or _uploads(request, "attachments")
        data["via"] = Channel.API  # the door it came through; staff may name another channel
        key = request.headers.get("Idempotency-Key", "").strip()
        if key:
            if len(key) > 255:
                return Response({"Idempotency-Key": [_("Use at most 255 characters.")]}, status=400)
            ticket, created = services.ticket_create_idempotent(actor=request.user, key=key, **data)
        else:
            ticket, created = services.ticket_create(actor=request.user, **data), True
        shown = selectors.ticket_as_opened(request.user, ticket) or selectors.ticket_for_api(request.user, ticket.pk)
        return Response(
            s.TicketOut(shown, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _etag(data: dict) -> str:
    """A strong validator for one ticket as this caller sees it."""
    return '"' + hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32] + '"'


@extend_schema(parameters=[TICKET_ID])
class TicketDetail(TicketScoped, generics.GenericAPIView):
    """One ticket: read, change, delete."""

    serializer_class = s.TicketOut
    ticket_actions = {"GET": Action.VIEW, "PATCH": Action.VIEW, "DELETE": Action.DELETE}

    @extend_schema(
        summary="Get a ticket",
        responses={200: s.TicketOut, 304: OpenApiResponse(description="Not modified (If-None-Match).")},
        parameters=[OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        examples=[TICKET_EXAMPLE],
    )
    def get(self, request, pk):
        ticket = self.get_ticket()
        data = _ticket_out(self, request.user, ticket.pk)
        etag = _etag(data)
        wanted = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
        if etag in wanted or "*" in wanted:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    @extend_schema(
        summary="Change a ticket",
        description="Agents change any field. A requester may only set `status` to `solved`, or back to "
        "`open` once solved; anything else is 403. Transitions the lifecycle does not allow are 400.",
        request=s.TicketUpdateIn,
        responses={
            200: s.TicketOut,
            412: OpenApiResponse(description="If-Match no longer matches: the ticket changed since it was read."),
        },
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        examples=[OpenApiExample("Solve", request_only=True, value={"status": "solved"})],
    )
    def patch(self, request, pk):
        ticket = self.get_ticket()
        data = request.data if isinstance(request.data, dict) else {}
        if any(name in data for name in s.TicketUpdateIn.AGENT_FIELDS):
            # Before looking at the values: a customer's field change is 403, whatever they sent.
            permissions.authorize(request.user, Action.CHANGE, ticket)
        given = s.TicketUpdateIn(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        expected = None
        if_match = request.headers.get("If-Match")
        if if_match:
            # Optimistic locking: the change applies only to the version the caller read (the
            # ETag of GET). The service re-checks that version under the row lock.
            current = _etag(_ticket_out(self, request.user, ticket.pk))
            wanted = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
            if current not in wanted and "*" not in wanted:
                raise StaleVersion(
                    gettext("The ticket changed since you read it. Read it again, then repeat your change.")
                )
            # The version as the caller knows it: a customer's change is not refused for internal
            # work done since they read (and a 412 would tell them of it).
            expected = permissions.activity_at(request.user, ticket)
        if given.validated_data:
            services.ticket_update(
                actor=request.user, ticket=ticket, expected_updated_at=expected, **given.validated_data
            )
        data = _ticket_out(self, request.user, ticket.pk)
        return Response(data, headers={"ETag": _etag(data)})

    @extend_schema(summary="Delete a ticket (admins)", responses={204: None})
    def delete(self, request, pk):
        services.ticket_delete(actor=request.user, ticket=self.get_ticket())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[TICKET_ID])
class TicketClaim(TicketScoped, generics.GenericAPIView):
    serializer_class = s.ClaimIn
    ticket_actions = {"POST": Action.CLAIM}

    @extend_schema(
        summary="Claim a ticket",
        description="Assign the ticket to yourself; an open ticket becomes in progress. 409 when another "
        'agent holds it, unless an admin sends `{"force": true}`.',
        request=s.ClaimIn,
        responses={200: s.TicketOut},
    )
    def post(self, request, pk):
        ticket = self.get_ticket()
        given = s.ClaimIn(data=request.data)
        given.is_valid(raise_exception=True)
        services.ticket_claim(actor=request.user, ticket=ticket, force=given.validated_data["force"])
        return Response(_ticket_out(self, request.user, ticket.pk))


class TicketBulk(generics.GenericAPIView):
    serializer_class = s.BulkIn
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(
        summary="Change many tickets at once",
        description="All or nothing: when any ticket refuses the change, nothing changes and the 400 lists "
        "each failing id with the reason (`failures`).",
        request=s.BulkIn,
        responses={200: s.BulkResultOut},
        examples=[
            OpenApiExample(
                "Escalate",
                request_only=True,
                value={"ids": [12, 15], "changes": {"priority": "urgent", "add_tags": ["outage"]}},
            )
        ],
    )
    def post(self, request):
        given = s.BulkIn(data=request.data)
        given.is_valid(raise_exception=True)
        updated = services.ticket_bulk_update(
            actor=request.user, ticket_ids=given.validated_data["ids"], changes=dict(given.validated_data["changes"])
        )
        tickets = selectors.ticket_list_for_api(request.user).filter(pk__in=[t.pk for t in updated]).order_by("pk")
        return Response({"results": s.TicketOut(tickets, many=True, context=self.get_serializer_context()).data})


# --- conversation, files, history ----------------------------------------------------------------


@extend_schema(parameters=[TICKET_ID])
class MessageList(TicketScoped, generics.GenericAPIView):
    serializer_class = s.MessageOut
    parser_classes = [JSONParser, MultiPartParser]
    # Any post needs the right to reply; whether an internal note is allowed is the service's call.
    ticket_actions = {"GET": Action.VIEW, "POST": Action.REPLY}
    ordering_fields = {"created_at": "created_at"}
    default_ordering = "created_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return selectors.messages_for(signed_in(self.request.user), self.get_ticket())

    @extend_schema(summary="The conversation, oldest first")
    def get(self, request, pk):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.MessageOut(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Reply, or add an internal note",
        request=s.MessageIn,
        responses={201: s.MessageOut},
        examples=[
            OpenApiExample("Reply", request_only=True, value={"body": "Thanks, that fixed it."}),
            OpenApiExample(
                "Note and wait",
                request_only=True,
                value={"body": "Asked finance.", "internal": True, "status": "on_hold"},
            ),
        ],
    )
    def post(self, request, pk):
        ticket = self.get_ticket()
        given = s.MessageIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        data["attachments"] = data.pop("attachments", None) or _uploads(request, "attachments")
        message = services.message_add(actor=request.user, ticket=ticket, **data)
        fresh = selectors.messages_for(request.user, ticket).get(pk=message.pk)
        return Response(s.MessageOut(fresh, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[TICKET_ID])
class AttachmentList(TicketScoped, generics.GenericAPIView):
    serializer_class = s.AttachmentOut
    parser_classes = [MultiPartParser]
    # Any upload needs the right to reply; files on internal notes: the service decides.
    ticket_actions = {"GET": Action.VIEW, "POST": Action.REPLY}
    ordering_fields = {"created_at": "created_at"}
    default_ordering = "created_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attachment.objects.none()
        return selectors.attachments_for(signed_in(self.request.user), self.get_ticket())

    @extend_schema(summary="Attachments you may see")
    def get(self, request, pk):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.AttachmentOut(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(summary="Upload a file", request=s.AttachmentIn, responses={201: s.AttachmentOut})
    def post(self, request, pk):
        ticket = self.get_ticket()
        if len(_uploads(request, "file")) > 1:
            # One file per request here (the answer is that file); several go with a message.
            return Response(
                {"file": ["Send one file per request, or several as `attachments` of a message."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        given = s.AttachmentIn(data=request.data)
        given.is_valid(raise_exception=True)
        message = None
        message_id = given.validated_data.get("message")
        if message_id is not None:
            message = selectors.messages_for(request.user, ticket).filter(pk=message_id).first()
            if message is None:
                return Response({"message": [_("No such message on this ticket.")]}, status=status.HTTP_400_BAD_REQUEST)
        attachment = services.attachment_add(
            actor=request.user, ticket=ticket, file=given.validated_data["file"], message=message
        )
        return Response(
            s.AttachmentOut(attachment, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


@extend_schema(parameters=[TICKET_ID])
class EventList(TicketScoped, generics.GenericAPIView):
    serializer_class = s.EventOut
    ordering_fields = {"created_at": "created_at"}
    default_ordering = "created_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TicketEvent.objects.none()
        return selectors.events_for(signed_in(self.request.user), self.get_ticket())

    @extend_schema(summary="The history, oldest first")
    def get(self, request, pk):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.EventOut(page, many=True, context=self.get_serializer_context()).data)
