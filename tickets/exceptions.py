"""Domain errors raised by services, mapped to HTTP responses by the pages and the API.

Each carries its HTTP status (``helpdesk.exceptions.HttpError``), so the API's error handler maps
them without importing this module.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from helpdesk.exceptions import Conflict, HttpError

__all__ = ["AttachmentTooLarge", "BulkUpdateFailed", "Conflict", "StaleVersion", "UnsupportedFileType"]


class StaleVersion(Conflict):
    """The ticket changed since the caller read it (HTTP 412 on the API's ``If-Match``)."""

    status_code = 412


class AttachmentTooLarge(HttpError, ValidationError):
    """A file is over the size limit (HTTP 413)."""

    status_code = 413


class UnsupportedFileType(HttpError, ValidationError):
    """A file's content is not of an allowed type (HTTP 415)."""

    status_code = 415


class BulkUpdateFailed(HttpError, ValidationError):
    """Some tickets of a bulk update could not take the change; nothing was changed (HTTP 400).

    ``failures`` maps each failing ticket id to the reason.
    """

    status_code = 400

    def __init__(self, failures: dict[int, str]):
        self.failures = failures
        super().__init__({"ids": [f"#{pk}: {reason}" for pk, reason in sorted(failures.items())]})

    def response_data(self) -> dict[str, Any]:
        failures = [{"id": pk, "reason": reason} for pk, reason in sorted(self.failures.items())]
        return {
            "detail": str(_("Nothing was changed: some tickets cannot take this change.")),
            "ids": [item["id"] for item in failures],
            "failures": failures,
        }
