"""Query monitoring: SQL count and time and the CPU time of each request, a Server-Timing header for agents, a log
line for slow requests with the slowest statements (issue 6), and the count into the metrics
(``helpdesk_sql_queries_per_request``, issue 19).

Thresholds: HELPDESK_SLOW_REQUEST_MS (default 500) and HELPDESK_SLOW_REQUEST_QUERIES (default 30).
HELPDESK_SERVER_TIMING: "agents" (default) or "everyone" (benchmarks only).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from helpdesk.metrics import SQL_QUERIES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger("helpdesk.slow")


class _QueryRecorder:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.slowest: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            self.count += 1
            self.seconds += took
            self.slowest.append((took, sql))
            if len(self.slowest) > 3:
                self.slowest.sort(key=lambda item: item[0], reverse=True)
                del self.slowest[3:]


class QueryMonitorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        recorder = _QueryRecorder()
        started, cpu_started = time.perf_counter(), time.thread_time()
        if len(settings.DATABASES) == 1:
            with connection.execute_wrapper(recorder):
                response = self.get_response(request)
        else:  # read replicas (helpdesk.db): their queries count too
            with ExitStack() as stack:
                for alias in settings.DATABASES:
                    stack.enter_context(connections[alias].execute_wrapper(recorder))
                response = self.get_response(request)
        total_ms = (time.perf_counter() - started) * 1000
        # CPU of this request's thread (the view, templates, serializers, the driver's side of SQL):
        # the cost that decides throughput, whatever else the machine is doing.
        cpu_ms = (time.thread_time() - cpu_started) * 1000
        db_ms = recorder.seconds * 1000
        SQL_QUERIES.observe(recorder.count)
        if settings.HELPDESK_SERVER_TIMING == "everyone" or _sees_timings(getattr(request, "user", None)):
            # Only staff see timings (they tell an outsider how much work a request caused), unless
            # HELPDESK_SERVER_TIMING=everyone, which `make bench` sets on its own loopback server.
            response["Server-Timing"] = (
                f'db;dur={db_ms:.1f};desc="{recorder.count} queries", app;dur={max(total_ms - db_ms, 0):.1f}, '
                f"cpu;dur={cpu_ms:.1f}"
            )
        if total_ms > settings.HELPDESK_SLOW_REQUEST_MS or recorder.count > settings.HELPDESK_SLOW_REQUEST_QUERIES:
            message = "slow request %s %s: %.0f ms, %d queries in %.0f ms"
            values: list[object] = [request.method, request.get_full_path()[:500], total_ms, recorder.count, db_ms]
            if recorder.slowest:  # a request slow without a query says so, with no empty "slowest:"
                message += "; slowest: %s"
                values.append(
                    " | ".join(
                        f"{took * 1000:.1f} ms: {sql[:300]}" for took, sql in sorted(recorder.slowest, reverse=True)
                    )
                )
            log.warning(message, *values)
        return response


def _sees_timings(user) -> bool:
    return bool(import_string(settings.HELPDESK_SERVER_TIMING_FOR)(user))


class HostileInputMiddleware:
    """Refuses, with a 400, a request whose path, query string or form fields hold a NUL byte
    (``helpdesk.text``): PostgreSQL cannot store one, so without this it is a 500 wherever it reaches
    a query, and SQLite would store it. API views get the API's JSON error; their bodies (JSON,
    multipart) are checked by their parsers (``helpdesk.api.parsers``), which answer the same way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        from rest_framework.views import APIView

        from helpdesk.text import NUL, unstorable

        is_api = isinstance(getattr(view_func, "cls", None), type) and issubclass(view_func.cls, APIView)
        problem: StrOrPromise | None = None
        if NUL in request.path_info:
            problem = _("The address cannot contain NUL (\\u0000) characters.")
        else:
            problem = unstorable(dict(request.GET.lists()))
            if problem is None and request.method == "POST" and not is_api and _is_form(request):
                if getattr(view_func, "reads_raw_body", False):
                    request.body  # noqa: B018  # kept, so the view can read it after the form (a webhook)
                problem = unstorable(dict(request.POST.lists()))
        if problem is None:
            return None
        if is_api:
            from django.http import JsonResponse

            return JsonResponse({"detail": problem}, status=400)
        from django.core.exceptions import BadRequest

        raise BadRequest(problem)


def _is_form(request: HttpRequest) -> bool:
    return request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
