"""What every endpoint of the REST API shares: the error handler, cursor pagination, throttles.

The API is a front end over ``tickets.selectors``, ``tickets.services`` and
``tickets.permissions``; nothing here decides access or holds a business rule. This module turns
the errors those layers raise into the responses API.md documents:

    django ValidationError        400 {"field": ["message", ...]} or {"detail": "..."}
    BulkUpdateFailed              400 {"ids": [...], "failures": [{"id", "reason"}]}
    AttachmentTooLarge            413 {"file": [...]}
    UnsupportedFileType           415 {"file": [...]}
    PermissionDenied              403 {"detail": "..."}
    Http404                       404 {"detail": "Not found."}  (never says whether it exists)
    tickets.exceptions.Conflict   409 {"detail": "..."}
    tickets.exceptions.StaleVersion   412 {"detail": "..."} (If-Match no longer matches)
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk import keyset
from tickets.exceptions import AttachmentTooLarge, BulkUpdateFailed, Conflict, StaleVersion, UnsupportedFileType

NOT_FOUND = "Not found."


# --- errors ------------------------------------------------------------------------------------


def _validation_data(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        data: dict[str, Any] = {}
        for field, messages in exc.message_dict.items():
            data["detail" if field == "__all__" else field] = messages
        if isinstance(data.get("detail"), list):
            data["detail"] = " ".join(data["detail"])
        return data
    return {"detail": " ".join(exc.messages)}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """The one place that maps domain and Django errors to API responses (DESIGN §11)."""
    if isinstance(exc, BulkUpdateFailed):
        failures = [{"id": pk, "reason": reason} for pk, reason in sorted(exc.failures.items())]
        data = {
            "detail": "Nothing was changed: some tickets cannot take this change.",
            "ids": [item["id"] for item in failures],
            "failures": failures,
        }
        return _response(data, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, AttachmentTooLarge):
        return _response(_validation_data(exc), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, UnsupportedFileType):
        return _response(_validation_data(exc), status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
    if isinstance(exc, DjangoValidationError):
        return _response(_validation_data(exc), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleVersion):
        return _response({"detail": exc.message}, status.HTTP_412_PRECONDITION_FAILED)
    if isinstance(exc, Conflict):
        return _response({"detail": exc.message}, status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404 | exceptions.NotFound):
        # Whatever the reason (missing, or not visible to the caller), the answer is the same.
        return _response({"detail": NOT_FOUND}, status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


def _response(data: dict, code: int) -> Response:
    from rest_framework.views import set_rollback

    set_rollback()
    return Response(data, status=code)


# --- pagination --------------------------------------------------------------------------------


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

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self._page_size(request)
        keys = self._ordering(request, view)
        try:
            page = keyset.page(
                queryset, keys, cursor=request.query_params.get(self.cursor_query_param), size=self.page_size
            )
        except keyset.BadCursor:
            raise exceptions.ValidationError({self.cursor_query_param: ["This cursor is not valid."]}) from None
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
                {self.page_size_query_param: [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def _ordering(self, request, view) -> list[keyset.Key]:
        fields: dict[str, str] = getattr(view, "ordering_fields", None) or {"id": "id"}
        wanted = request.query_params.get(self.ordering_query_param) or getattr(view, "default_ordering", "id")
        try:
            return keyset.ordering_keys(fields, wanted)
        except keyset.BadOrdering as exc:
            raise exceptions.ValidationError({self.ordering_query_param: [str(exc)]}) from None

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, cursor)


# --- throttles ---------------------------------------------------------------------------------


class _RateFromSettings(SimpleRateThrottle):
    """Reads its rate when used, not at import, so settings (and tests) can change it."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserThrottle(_RateFromSettings):
    """Per signed-in user (anonymous requests are left to ``AnonymousThrottle``)."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousThrottle(_RateFromSettings):
    """Per client IP address, for requests without credentials."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenEndpointThrottle(_RateFromSettings):
    """The password endpoint, per client IP whoever asks: a much lower rate against guessing."""

    scope = "token"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
