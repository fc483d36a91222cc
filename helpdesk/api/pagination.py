"""Keyset (cursor) pagination for every list of the API: follows ``?ordering=``, never counts.

The keyset itself is ``helpdesk.keyset``'s, the same paginator the pages use; this class puts its
pages into API answers (``{"next", "previous", "results"}``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from helpdesk import keyset


class CursorPagination(BasePagination):
    """Keyset pagination that follows the request's ``?ordering=``; never counts the table.

    A view declares ``ordering_fields`` (public name → model field, e.g. ``"priority":
    "priority_rank"``) and ``default_ordering`` (a public name, ``-`` for descending). The primary
    key is always the last sort key, so every position is unique and a page is one indexed range
    query (``WHERE (updated_at, id) < (...)``), however deep the client pages. The cursor is an
    opaque base64 string holding the sort values of the row at the page edge. The keyset itself
    is ``helpdesk.keyset``'s, the same paginator the pages use.
    """

    page_size = 25
    max_page_size = 100
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"

    def paginate_queryset(self, queryset: QuerySet, request, view=None, heads: Sequence[QuerySet] = ()) -> list:
        """The page of ``queryset`` the request asks for; ``heads``: parts of it, each cheaper to
        read in order (``keyset.page``)."""
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self._page_size(request)
        keys = self._ordering(request, view)
        try:
            page = keyset.page(
                queryset,
                keys,
                cursor=request.query_params.get(self.cursor_query_param),
                size=self.page_size,
                heads=heads,
            )
        except keyset.BadCursor:
            raise exceptions.ValidationError({self.cursor_query_param: [_("This cursor is not valid.")]}) from None
        self.next_cursor, self.previous_cursor = page.next_cursor, page.previous_cursor
        return page.items

    def get_paginated_response(self, data) -> Response:
        return Response(
            OrderedDict(
                [
                    ("next", self._link(self.next_cursor)),
                    ("previous", self._link(self.previous_cursor)),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null.",
                    "example": "http://127.0.0.1:8000/api/v1/tickets/?cursor=eyJkIjoibmV4dCJ9",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page, or null.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        params = [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The opaque cursor from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1–{self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
        fields = getattr(view, "ordering_fields", None)
        if fields and len(fields) > 1:
            names = sorted(fields)
            params.append(
                {
                    "name": self.ordering_query_param,
                    "required": False,
                    "in": "query",
                    "description": getattr(view, "ordering_description", "")
                    or f"Sort by one field, `-` for descending. Default `{view.default_ordering}`.",
                    "schema": {"type": "string", "enum": [*names, *[f"-{n}" for n in names]]},
                }
            )
        return params

    # -- helpers

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def _ordering(self, request, view) -> list[keyset.Key]:
        fields: dict[str, str | tuple[str, ...]] = getattr(view, "ordering_fields", None) or {"id": "id"}
        wanted = request.query_params.get(self.ordering_query_param) or getattr(view, "default_ordering", "id")
        try:
            return keyset.ordering_keys(fields, wanted)
        except keyset.BadOrdering as exc:
            raise exceptions.ValidationError({self.ordering_query_param: [str(exc)]}) from None

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, cursor)
