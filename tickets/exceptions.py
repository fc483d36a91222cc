"""Domain errors raised by services, mapped to HTTP responses by the pages and the API."""

from django.core.exceptions import ValidationError


class Conflict(Exception):
    """The request is valid but clashes with the ticket's current state (HTTP 409).

    For example: claiming a ticket another agent holds, replying to a closed ticket.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleVersion(Conflict):
    """The ticket changed since the caller read it (HTTP 412 on the API's ``If-Match``)."""


class AttachmentTooLarge(ValidationError):
    """A file is over the size limit (HTTP 413)."""


class UnsupportedFileType(ValidationError):
    """A file's content is not of an allowed type (HTTP 415)."""


class BulkUpdateFailed(ValidationError):
    """Some tickets of a bulk update could not take the change; nothing was changed.

    ``failures`` maps each failing ticket id to the reason.
    """

    def __init__(self, failures: dict[int, str]):
        self.failures = failures
        super().__init__({"ids": [f"#{pk}: {reason}" for pk, reason in sorted(failures.items())]})
