"""Ticket endpoints: ``tickets.json`` (cursor list, create), ``tickets/{id}.json`` (show, partial
update, delete), ``tickets/show_many.json``, ``tickets/{id}/comments.json``.

Reads: ``selectors.ticket_list_for_api`` (scoped by ``tickets.permissions``: a ticket the caller
may not see is ``RecordNotFound``) and ``selectors.messages_for`` (no internal notes for people
who may not read them). Writes: ``tickets.zendesk.writes`` → ``tickets.services``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from accounts.models import User
from helpdesk import keyset
from tickets import selectors, services
from tickets.models import Ticket, TicketEvent
from tickets.satisfaction import selectors as satisfaction_selectors
from tickets.zendesk import errors, writes
from tickets.zendesk.base import ZendeskView, cursor_answer, cursor_page, id_list, int_param
from tickets.zendesk.mapping import Shapes, change_events

#: Zendesk's cursor-paged ``sort`` values → the ticket list's sorts.
SORTS = {
    "id": "created_at",
    "-id": "-created_at",
    "created_at": "created_at",
    "-created_at": "-created_at",
    "updated_at": "updated_at",
    "-updated_at": "-updated_at",
}


def tickets_for(user: User) -> QuerySet[Ticket]:
    """What every ticket answer here is read from: the API's scoped tickets, with collaborators."""
    return satisfaction_selectors.with_latest(
        selectors.ticket_list_for_api(user).prefetch_related(
            Prefetch("collaborators", queryset=User.objects.only("pk"))
        )
    )


def ticket_or_404(user: User, pk: int) -> Ticket:
    ticket = tickets_for(user).filter(pk=pk).first()
    if ticket is None:
        raise errors.ZendeskError(404, "RecordNotFound", _("Not found"))
    return ticket


def _audit_id(ticket: Ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket).order_by("-pk").values_list("pk", flat=True).first() or 0


def ticket_answer(shapes: Shapes, ticket: Ticket, before: dict[str, Any] | None, message=None) -> dict[str, Any]:
    """``{"ticket", "audit"}`` after a create (``before`` None) or an update."""
    # As v1 answers a write: the result of what the caller just did, once, even where it moved the
    # ticket out of their sight (filed into a team they do not work).
    fresh = selectors.ticket_for_api(shapes.viewer, ticket.pk)
    prefetch_related_objects([fresh], Prefetch("collaborators", queryset=User.objects.only("pk")))
    after = shapes.ticket(fresh)
    events = []
    if message is not None:
        comment = selectors.messages_for(shapes.viewer, ticket).filter(pk=message.pk).first()
        if comment is not None:
            events.append(shapes.comment(comment))
    events += change_events(before, after)
    return {"ticket": after, "audit": shapes.audit(after, audit_id=_audit_id(ticket), events=events)}


class TicketList(ZendeskView):
    """GET tickets.json (cursor pages: ``page[size]``, ``page[after]``/``page[before]``, ``sort``);
    POST tickets.json (create → 201 ``{ticket, audit}``)."""

    def get(self, request):
        size = int_param(request, "page[size]", default=100, low=1, high=100)
        sort = request.query_params.get("sort") or "id"
        if sort not in SORTS:
            raise errors.ZendeskError(
                400, "InvalidPaginationParameter", _("sort must be one of %(values)s.") % {"values": ", ".join(SORTS)}
            )
        cursor = request.query_params.get("page[after]") or request.query_params.get("page[before]") or None
        ours = SORTS[sort]
        qs = selectors.ticket_list(request.user, sort=ours, tickets=tickets_for(request.user))
        try:
            page = selectors.ticket_page(qs, sort=ours, cursor=cursor, size=size, user=request.user)
        except keyset.BadCursor:
            raise errors.ZendeskError(400, "InvalidPaginationParameter", _("That page cursor is not valid.")) from None
        shapes = Shapes(request, request.user)
        items = [shapes.ticket(t) for t in page.items]
        params = {"page[size]": size, "sort": sort}
        return Response(cursor_answer(self, "tickets", items, page, reverse("api:zendesk-tickets"), params))

    def post(self, request):
        shapes = Shapes(request, request.user)
        ticket = writes.create_ticket(request.user, self.body_object("ticket"), shapes)
        message = ticket.messages.order_by("created_at", "pk").first()
        answer = ticket_answer(shapes, ticket, None, message)
        return Response(answer, status=status.HTTP_201_CREATED, headers={"Location": answer["ticket"]["url"]})


class TicketDetail(ZendeskView):
    """GET tickets/{id}.json; PUT tickets/{id}.json (a partial update, with an optional comment)."""

    def get(self, request, pk: int):
        return Response({"ticket": Shapes(request, request.user).ticket(ticket_or_404(request.user, pk))})

    def put(self, request, pk: int):
        shapes = Shapes(request, request.user)
        ticket = selectors.ticket_get_for_user(request.user, pk)  # 404 before reading the body
        before = shapes.ticket(ticket_or_404(request.user, pk))
        message = writes.update_ticket(request.user, ticket, self.body_object("ticket"), shapes)
        return Response(ticket_answer(shapes, ticket, before, message))

    def delete(self, request, pk: int):
        services.ticket_delete(actor=request.user, ticket=selectors.ticket_get_for_user(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShowMany(ZendeskView):
    """GET tickets/show_many.json?ids=1,2,3: those of them the caller may see (others left out)."""

    def get(self, request):
        ids = id_list(request.query_params.get("ids"))
        shapes = Shapes(request, request.user)
        found = {t.pk: t for t in tickets_for(request.user).filter(pk__in=ids)}
        return Response({"tickets": [shapes.ticket(found[pk]) for pk in ids if pk in found]})


class CommentList(ZendeskView):
    """GET tickets/{id}/comments.json: the conversation, oldest first (``sort_order=desc`` newest
    first), cursor pages. People who may not read internal notes never receive them."""

    def get(self, request, pk: int):
        ticket = selectors.ticket_get_for_user(request.user, pk)
        order = "-created_at" if request.query_params.get("sort_order") == "desc" else "created_at"
        keys = keyset.ordering_keys({"created_at": "created_at"}, order)
        page, size = cursor_page(self, selectors.messages_for(request.user, ticket), keys)
        shapes = Shapes(request, request.user)
        params: dict[str, Any] = {"page[size]": size, **({"sort_order": "desc"} if order.startswith("-") else {})}
        path = reverse("api:zendesk-ticket-comments", args=[ticket.pk])
        return Response(cursor_answer(self, "comments", [shapes.comment(m) for m in page.items], page, path, params))
