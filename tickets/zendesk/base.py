"""The view every v2 endpoint builds on: our authentication, Zendesk's error shape, our throttles.

v2 views are left out of the OpenAPI document (``schema = None``): that document is v1's contract
(API.md); v2's contract is Zendesk's, and the zenpy end-to-end test holds us to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from rest_framework import renderers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from helpdesk.api.parsers import JSONParser
from helpdesk.ids import parse_id
from tickets.zendesk import errors
from tickets.zendesk.auth import ZendeskAuthentication


class ZendeskView(APIView):
    authentication_classes = [ZendeskAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [renderers.JSONRenderer]
    parser_classes = [JSONParser]
    schema = None  # not part of v1's OpenAPI document

    def get_exception_handler(self):
        return errors.exception_handler

    def absolute(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = self.request.build_absolute_uri(path)
        return f"{url}?{urlencode(params)}" if params else url

    def body_object(self, key: str) -> dict[str, Any]:
        """``request.data[key]`` as a dict (Zendesk wraps every object in its name)."""
        data = self.request.data
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, dict):
            raise errors.ZendeskError(400, "InvalidRequest", _('Send a JSON object {"%(key)s": {...}}.') % {"key": key})
        return value


def int_param(request: Request, name: str, *, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high]; a 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    number = parse_id(raw) if raw != "0" else 0
    if number is None or not low <= number <= high:
        raise errors.ZendeskError(
            400,
            "InvalidPaginationParameter",
            _("%(name)s must be a number from %(low)d to %(high)d.") % {"name": name, "low": low, "high": high},
        )
    return number


def id_list(raw: str | None, *, limit: int = 100) -> list[int]:
    """``ids=1,2,3`` as ids (at most ``limit``); a 400 for anything else."""
    ids = []
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        number = parse_id(part)
        if number is None:
            raise errors.ZendeskError(400, "InvalidRequest", _("ids must be a comma-separated list of numeric ids."))
        ids.append(number)
    if not ids:
        raise errors.ZendeskError(400, "InvalidRequest", _("Give ids=1,2,3."))
    if len(ids) > limit:
        raise errors.ZendeskError(400, "TooManyValues", _("At most %(count)d ids at once.") % {"count": limit})
    return list(dict.fromkeys(ids))


def cursor_answer(view: ZendeskView, key: str, items: list, page, path: str, params: dict[str, Any]) -> dict[str, Any]:
    """Zendesk's cursor-paged answer: ``{key: items, "meta": {...}, "links": {...}}``."""
    return {
        key: items,
        "meta": {
            "has_more": page.next_cursor is not None,
            "after_cursor": page.next_cursor,
            "before_cursor": page.previous_cursor,
        },
        "links": {
            "next": view.absolute(path, {**params, "page[after]": page.next_cursor}) if page.next_cursor else None,
            "prev": view.absolute(path, {**params, "page[before]": page.previous_cursor})
            if page.previous_cursor
            else None,
        },
    }


def cursor_page(view: ZendeskView, qs, keys):
    """The keyset page of ``qs`` the request's ``page[size]`` and ``page[after|before]`` ask for."""
    from helpdesk import keyset

    request = view.request
    size = int_param(request, "page[size]", default=100, low=1, high=100)
    cursor = request.query_params.get("page[after]") or request.query_params.get("page[before]") or None
    try:
        return keyset.page(qs, keys, cursor=cursor, size=size), size
    except keyset.BadCursor:
        raise errors.ZendeskError(400, "InvalidPaginationParameter", _("That page cursor is not valid.")) from None
