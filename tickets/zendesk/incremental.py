"""GET incremental/tickets/cursor.json?start_time=UNIX | ?cursor=C: every ticket changed since a
moment, oldest change first, for exports and importers (agents and admins; as Zendesk, not for
end users).

Pages follow ``(last change, id)`` with the ticket list's keyset cursors. ``per_page`` is 1–1000
(default 1000). Every page has ``after_cursor``/``after_url`` — on the last one too, so a client
can come back later for what changed since — and ``end_of_stream`` (true when no more follow now).
"Last change" is the one the caller may know of (``permissions.activity_column``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.response import Response

from helpdesk import keyset
from tickets import permissions, selectors
from tickets.zendesk import errors
from tickets.zendesk.base import ZendeskView, int_param
from tickets.zendesk.mapping import Shapes
from tickets.zendesk.tickets import tickets_for

MAX_START = 253402300799  # 9999-12-31T23:59:59Z


class TicketExport(ZendeskView):
    def get(self, request):
        if not permissions.works_tickets(request.user):
            raise errors.ZendeskError(403, "Forbidden", _("Only agents and admins can export tickets."))
        per_page = int_param(request, "per_page", default=1000, low=1, high=1000)
        cursor = request.query_params.get("cursor") or None
        start = request.query_params.get("start_time")
        if (cursor is None) == (start is None):
            raise errors.ZendeskError(
                400, "InvalidPaginationParameter", _("Give either start_time (a Unix time) or cursor.")
            )
        keys = selectors.sort_keys("updated_at", request.user)  # (activity column, id) ascending
        qs = tickets_for(request.user)
        if start is not None:
            if not start.isascii() or not start.isdigit() or len(start) > 12 or int(start) > MAX_START:
                raise errors.ZendeskError(400, "InvalidValue", _("start_time is a Unix time in seconds."))
            since = datetime.fromtimestamp(int(start), tz=UTC)
            qs = qs.filter(**{f"{permissions.activity_column(request.user)}__gte": since})
        try:
            page = keyset.page(qs, keys, cursor=cursor, size=per_page)
        except keyset.BadCursor:
            raise errors.ZendeskError(400, "InvalidPaginationParameter", _("That cursor is not valid.")) from None
        after = page.next_cursor or (keyset.encode(keyset.NEXT, keys, page.items[-1]) if page.items else cursor)
        shapes = Shapes(request, request.user)
        path = reverse("api:zendesk-incremental-tickets")
        return Response(
            {
                "tickets": [shapes.ticket(t) for t in page.items],
                "after_cursor": after,
                "after_url": self.absolute(path, {"cursor": after, "per_page": per_page}) if after else None,
                "before_cursor": page.previous_cursor,
                "before_url": self.absolute(path, {"cursor": page.previous_cursor, "per_page": per_page})
                if page.previous_cursor
                else None,
                "end_of_stream": page.next_cursor is None,
            }
        )
