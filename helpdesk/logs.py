"""Logs an operator can follow one request through: a request id on every line, and one access line
per request (issue 19 §3).

``RequestContextMiddleware`` (outermost) takes the caller's ``X-Request-ID`` when it is well formed
(a load balancer's or another service's id), makes one otherwise, answers with it in the response
header and keeps it, with the method, path and start time, in context variables for the length of
the request: ``RequestContextFilter`` copies them onto every log record, so a line logged anywhere
during the request (a slow-request warning, a failed job hand-off) carries them, under WSGI and under
ASGI alike. At the end it logs the access line (logger ``helpdesk.access``) with the status and the
duration. The user id is the signed-in person's, once something in the request has asked who that
is (the log never triggers the session lookup itself).

``HELPDESK_LOG_FORMAT=json`` switches the console to ``JsonFormatter``: one JSON object a line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

access_log = logging.getLogger("helpdesk.access")

#: What we accept as a caller's request id: 1–128 letters, digits and ``-_.:@/+=`` (UUIDs, W3C trace
#: ids, AWS's ``Root=1-…``). Anything else (spaces, quotes, newlines, a megabyte) gets a new id, so a
#: request id can never forge or break a log line.
REQUEST_ID = re.compile(r"[A-Za-z0-9\-_.:@/+=]{1,128}")


@dataclass
class RequestContext:
    request_id: str
    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    request: HttpRequest | None = None
    status: int | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("helpdesk_request", default=None)


def current() -> RequestContext | None:
    """The request being served in this context, or None (a job, a command, start-up)."""
    return _current.get()


def _user_id(request: HttpRequest | None) -> int | None:
    """The signed-in person's id if the request already knows who they are, else None. Never
    evaluates ``request.user`` itself: that could query the session store from inside a log call."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)  # AuthenticationMiddleware's SimpleLazyObject
    if wrapped is empty:
        return None
    return getattr(wrapped, "pk", None)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        context = RequestContext(request_id, request.method or "", request.path[:500], request=request)
        token = _current.set(context)
        try:
            response = self.get_response(request)
            context.status = response.status_code
            response["X-Request-ID"] = request_id
            if settings.HELPDESK_ACCESS_LOG:
                access_log.info("%s %s %s %.1f ms", context.method, context.path, context.status, _elapsed_ms(context))
            return response
        finally:
            _current.reset(token)


def _elapsed_ms(context: RequestContext) -> float:
    return round((time.perf_counter() - context.started) * 1000, 1)


class RequestContextFilter(logging.Filter):
    """Puts ``request_id``, ``user_id``, ``method``, ``path``, ``status`` and ``duration_ms`` on every
    record (None outside a request; ``status`` is known only once the response is, ``duration_ms``
    is the time so far). Attached to the handlers, so records of every logger get them."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        if context is None:
            record.request_id = record.user_id = record.method = record.path = None
            record.status = record.duration_ms = None
        else:
            record.request_id = context.request_id
            record.user_id = _user_id(context.request)
            record.method = context.method
            record.path = context.path
            record.status = context.status
            record.duration_ms = _elapsed_ms(context)
        return True


_CONTEXT_FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")


class PlainFormatter(logging.Formatter):
    """The default console format, with ``[request <id> user <id>]`` on lines logged in a request."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            return line
        head, newline, rest = line.partition("\n")  # after the message, before any traceback
        return f"{head} [request {request_id} user {getattr(record, 'user_id', None) or '-'}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request context
    fields, and the traceback as ``exc_info`` text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _CONTEXT_FIELDS:
            entry[name] = getattr(record, name, None)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """A console handler that writes to ``sys.stderr`` as it is when the line is written, not
    as it was when logging was configured: a test runner swaps and closes stderr per test, and a
    thread that outlives a test (the live server's) then still has somewhere to write."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configuration(log_format: str, *, level: str) -> dict:
    """Django's ``LOGGING``: every line through the request filter (request id, user), in
    ``log_format`` ("plain" or "json"), at ``level``; the SQL and sign-in throttle loggers quieter,
    and aiosmtpd's (``mail.log``: a line per SMTP connection and command; the mail door logs what
    it took in itself)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "helpdesk.logs.RequestContextFilter"}},
        "formatters": {
            "plain": {"()": "helpdesk.logs.PlainFormatter"},
            "json": {"()": "helpdesk.logs.JsonFormatter"},
        },
        "handlers": {"console": {"()": "helpdesk.logs.StderrHandler", "formatter": log_format, "filters": ["request"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
            "mail.log": {"level": "WARNING"},
        },
    }
