"""GET search.json?query=: Zendesk's ticket search (``search_query``), with its offset pages.

``per_page`` (1–100, default 100) and ``page``; the answer has ``results`` (each with
``result_type: "ticket"``), ``count``, ``next_page`` and ``previous_page``. Like Zendesk, a search
reaches at most 1,000 results: ``count`` still says how many matched, ``next_page`` is offered up
to there, and a page past the 1,000th result is a 422 ``{"error": "invalid", "description":
"Invalid search: Requested response size was greater than Search Response Limits"}`` (zenpy
treats that answer as the end of the results). A query the desk cannot run is a 400 naming why.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.response import Response

from tickets.zendesk import errors
from tickets.zendesk.base import ZendeskView, int_param
from tickets.zendesk.mapping import Shapes
from tickets.zendesk.search_query import QueryError, ticket_search

RESULT_LIMIT = 1000
LIMIT_MESSAGE = "Invalid search: Requested response size was greater than Search Response Limits"


class Search(ZendeskView):
    def get(self, request):
        query = request.query_params.get("query")
        if query is None or not query.strip():
            raise errors.ZendeskError(400, "InvalidSearchQuery", _("Give query=, e.g. query=type:ticket status:open"))
        per_page = int_param(request, "per_page", default=100, low=1, high=100)
        page = int_param(request, "page", default=1, low=1, high=10**6)
        if (page - 1) * per_page >= RESULT_LIMIT:
            raise errors.ZendeskError(422, "invalid", LIMIT_MESSAGE)
        try:
            found = ticket_search(request.user, query, dict(request.query_params.items()))
        except QueryError as exc:
            raise errors.ZendeskError(400, "InvalidSearchQuery", str(exc)) from None
        start = (page - 1) * per_page
        end = min(page * per_page, RESULT_LIMIT)
        rows = list(found.tickets[start:end])
        count = found.tickets.count() if len(rows) == per_page or page > 1 else len(rows)
        shapes = Shapes(request, request.user)
        results = [{**shapes.ticket(t), "result_type": "ticket"} for t in rows]
        path = reverse("api:zendesk-search")
        params = {"query": query, "per_page": per_page}
        for name in ("sort_by", "sort_order"):
            if request.query_params.get(name):
                params[name] = request.query_params[name]
        return Response(
            {
                "results": results,
                "facets": None,
                "count": count,
                "next_page": self.absolute(path, {**params, "page": page + 1}) if count > page * per_page else None,
                "previous_page": self.absolute(path, {**params, "page": page - 1}) if page > 1 else None,
            }
        )
