"""Errors in Zendesk's shape, from the same exceptions the v1 API answers.

    {"error": "RecordNotFound", "description": "Not found"}                          404
    {"error": "RecordInvalid", "description": _("Record validation errors"),
     "details": {"subject": [{"description": "...", "error": "InvalidValue"}]}}     422 (413, 415 keep theirs)
    {"error": "Forbidden", "description": "..."}                                     403
    {"error": "Couldn't authenticate you", "description": "..."}                     401
    {"error": "TooManyRequests", "description": "..."} + integer Retry-After         429

Nothing here decides access: ``helpdesk.api.errors.exception_handler`` maps the domain and Django
errors to their status, and this module only reshapes the body.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from helpdesk.api.errors import exception_handler as v1_exception_handler
from helpdesk.api.errors import validation_data
from helpdesk.exceptions import HttpError

NAMES = {
    400: "InvalidRequest",
    401: "Couldn't authenticate you",
    403: "Forbidden",
    404: "RecordNotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "RecordInvalid",
    415: "RecordInvalid",
    422: "RecordInvalid",
    429: "TooManyRequests",
}


class ZendeskError(Exception):
    """An error this layer raises itself, with Zendesk's name for it."""

    def __init__(self, status_code: int, error: str, description: str, details: dict | None = None):
        super().__init__(description)
        self.status_code = status_code
        self.error = error
        self.description = description
        self.details = details


def invalid(field: str, message: str) -> ZendeskError:
    """A 422 ``RecordInvalid`` about one field."""
    return ZendeskError(422, "RecordInvalid", _("Record validation errors"), _details({field: [message]}))


def _details(fields: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for name, messages in fields.items():
        if not isinstance(messages, list | tuple):
            messages = [messages]
        key = "base" if name in ("detail", "__all__", "non_field_errors") else name
        out.setdefault(key, []).extend({"description": _text(m), "error": "InvalidValue"} for m in messages)
    return out


def _text(message: Any) -> str:
    if isinstance(message, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in message.items())
    if isinstance(message, list | tuple):
        return " ".join(_text(m) for m in message)
    return str(message)


def body(code: int, error: str, description: str, details: dict | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"error": error, "description": description}
    if details:
        data["details"] = details
    return data


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """The v2 error handler: the v1 handler's status, Zendesk's body."""
    from rest_framework.views import set_rollback

    if isinstance(exc, ZendeskError):
        set_rollback()
        return Response(body(exc.status_code, exc.error, exc.description, exc.details), status=exc.status_code)
    record_invalid = isinstance(exc, DjangoValidationError | exceptions.ValidationError)
    if isinstance(exc, DjangoValidationError) and not isinstance(exc, HttpError):
        fields = validation_data(exc)
        set_rollback()
        return Response(body(422, "RecordInvalid", _("Record validation errors"), _details(fields)), status=422)
    response = v1_exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    data = response.data
    if record_invalid and isinstance(data, dict | list):
        fields = data if isinstance(data, dict) else {"base": data}
        code = 422 if code == status.HTTP_400_BAD_REQUEST else code
        response.data = body(code, "RecordInvalid", _("Record validation errors"), _details(fields))
        response.status_code = code
        return response
    description = _text(data.get("detail", data)) if isinstance(data, dict) else _text(data)
    if code == 404:
        description = _("Not found")
    response.data = body(code, NAMES.get(code, "Error"), description)
    if isinstance(exc, exceptions.Throttled):
        # Zendesk's clients sleep for Retry-After whole seconds: never 0, never a fraction.
        response["Retry-After"] = str(max(1, math.ceil(getattr(exc, "wait", None) or 1)))
    return response
