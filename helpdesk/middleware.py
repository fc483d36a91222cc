"""Query monitoring: SQL count and time per request, a Server-Timing header for agents, and a
log line for slow requests with the slowest statements (issue 6).

Thresholds: HELPDESK_SLOW_REQUEST_MS (default 500) and HELPDESK_SLOW_REQUEST_QUERIES (default 30).
HELPDESK_SERVER_TIMING: "agents" (default) or "everyone" (benchmarks only).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

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
        started = time.perf_counter()
        with connection.execute_wrapper(recorder):
            response = self.get_response(request)
        total_ms = (time.perf_counter() - started) * 1000
        db_ms = recorder.seconds * 1000
        if settings.HELPDESK_SERVER_TIMING == "everyone" or _sees_timings(getattr(request, "user", None)):
            # Only staff see timings (they tell an outsider how much work a request caused), unless
            # HELPDESK_SERVER_TIMING=everyone, which `make bench` sets on its own loopback server.
            response["Server-Timing"] = (
                f'db;dur={db_ms:.1f};desc="{recorder.count} queries", app;dur={max(total_ms - db_ms, 0):.1f}'
            )
        if total_ms > settings.HELPDESK_SLOW_REQUEST_MS or recorder.count > settings.HELPDESK_SLOW_REQUEST_QUERIES:
            slowest = " | ".join(
                f"{took * 1000:.1f} ms: {sql[:300]}" for took, sql in sorted(recorder.slowest, reverse=True)
            )
            log.warning(
                "slow request %s %s: %.0f ms, %d queries in %.0f ms; slowest: %s",
                request.method,
                request.get_full_path()[:500],
                total_ms,
                recorder.count,
                db_ms,
                slowest,
            )
        return response


def _sees_timings(user) -> bool:
    return bool(import_string(settings.HELPDESK_SERVER_TIMING_FOR)(user))
