"""The API's one error handler (DESIGN §11): domain and Django errors to the responses API.md documents.

The API is a front end over the apps' selectors, services and permissions; nothing here decides
access or holds a business rule, and nothing here imports an app. Domain errors say their own
status by inheriting ``helpdesk.exceptions.HttpError``:

    django ValidationError        400 {"field": ["message", ...]} or {"detail": "..."}
    an HttpError                  its status_code; its response_data(), else as below:
      … that is a ValidationError   {"field": [...]} (e.g. 413 file too large, 415 file type)
      … any other                   {"detail": "..."} (e.g. 409 Conflict, 412 stale If-Match)
    PermissionDenied              403 {"detail": "..."}
    Http404                       404 {"detail": "Not found."}  (never says whether it exists)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.exceptions import HttpError

NOT_FOUND = _("Not found.")


def validation_data(exc: DjangoValidationError) -> dict[str, Any]:
    """A Django ``ValidationError`` as the API's 400 body: messages by field, or one ``detail``."""
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
    if isinstance(exc, HttpError):
        data = exc.response_data()
        if data is None:
            data = validation_data(exc) if isinstance(exc, DjangoValidationError) else {"detail": str(exc)}
        return _response(data, exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return _response(validation_data(exc), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404 | exceptions.NotFound):
        # Whatever the reason (missing, or not visible to the caller), the answer is the same.
        return _response({"detail": str(NOT_FOUND)}, status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


def _response(data: dict, code: int) -> Response:
    from rest_framework.views import set_rollback

    set_rollback()
    return Response(data, status=code)
