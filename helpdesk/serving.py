"""How the web server runs the app: one ASGI application, two Django handlers behind it.

Live-update streams (``/live/events/``) must wait without holding a thread, so they go through
Django's ASGI handler, where the stream is an async generator. Every other request — pages, the
API, uploads, downloads — goes through Django's WSGI handler, run whole on one thread of a pool
(a2wsgi's ``WSGIMiddleware``).

Why not everything through the ASGI handler: our middlewares are synchronous, and under the ASGI
handler Django runs each run of them (and the view) behind its own loop-to-thread hop
(``sync_to_async``), three per request with this middleware list. Measured on one uvicorn worker
(BENCHMARKS.md): those hops cost 5-7 ms of CPU per request, more than the whole sign-in page.
Here a request crosses from the event loop to a thread once, and the sync middleware chain,
the view and the template run there as they do under a WSGI server.

The pool has as many threads as the database pool has connections (``DATABASE_POOL_MAX_SIZE``,
``helpdesk.db.config``), so a thread never waits for a connection another thread of the same
process holds; without a psycopg pool (SQLite, PgBouncer) it has ``DEFAULT_THREADS``.
"""

from __future__ import annotations

from typing import Any

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

#: URL names of the responses that stream asynchronously (server-sent events).
STREAMING_URL_NAMES = ("live:events",)
DEFAULT_THREADS = 10

Scope = dict[str, Any]


def page_threads(database: dict[str, Any]) -> int:
    """The pool's thread count for the ``default`` database's settings."""
    pool = database.get("OPTIONS", {}).get("pool")
    if isinstance(pool, dict) and pool.get("max_size"):
        return int(pool["max_size"])
    return DEFAULT_THREADS


def streaming_paths() -> frozenset[str]:
    """The paths (after the script prefix) that go to the ASGI handler."""
    from django.urls import reverse, set_script_prefix

    set_script_prefix("/")
    return frozenset(reverse(name) for name in STREAMING_URL_NAMES)


def build_application() -> Any:
    """The ASGI application ``helpdesk.asgi`` serves (and the ASGI test server runs)."""
    from django.conf import settings

    streams = get_asgi_application()  # sets Django up
    # Django's WSGIHandler returns its response (an iterable of bytes); its stubs say otherwise.
    wsgi: Any = get_wsgi_application()
    pages: Any = WSGIMiddleware(wsgi, workers=page_threads(settings.DATABASES["default"]))
    stream_paths = streaming_paths()

    async def application(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path not in stream_paths:
                await pages(scope, receive, send)
                return
        await streams(scope, receive, send)

    return application
