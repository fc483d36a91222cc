"""The base the domain's errors build on, so the front ends can map them without knowing them.

A domain exception (``tickets.exceptions``, ``accounts``…) that should reach a client as a
particular HTTP status inherits from ``HttpError`` and says which status, and optionally the JSON
body. The API's one error handler (``helpdesk.api.errors``) maps by this base class, so the
plumbing never imports the apps (dependencies point one way: apps → helpdesk).
"""

from __future__ import annotations

from typing import Any


class HttpError:
    """Mixin: an error with its own HTTP status (and, if it needs one, its own response body).

    Combine it with ``Exception`` or with Django's ``ValidationError``: the handler answers a
    ``ValidationError`` with the usual ``{"field": ["message"]}`` body and anything else with
    ``{"detail": str(exc)}``, unless ``response_data`` returns a body of its own.
    """

    status_code: int = 400

    def response_data(self) -> dict[str, Any] | None:
        """The JSON body of the response; ``None`` for the default shape."""
        return None


class Conflict(HttpError, Exception):
    """The request is valid but clashes with the current state of the thing it changes (HTTP 409).

    For example: claiming a ticket another agent holds, replying to a closed ticket, deleting a
    team that still has tickets.
    """

    status_code = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
