"""Live updates over server-sent events, and agents' presence on a ticket.

Why server-sent events and not WebSockets (Channels): updates flow one way, server to browser;
SSE is plain HTTP (no upgrade through proxies, no second protocol stack, no channel layer), the
browser's EventSource reconnects by itself and resumes with Last-Event-ID, and the few messages a
browser sends (presence, typing) are ordinary POSTs. Under ASGI (``make run`` serves with uvicorn
workers) a stream is an async generator that holds no thread while it waits; under WSGI (the
development server, the test server) it is a plain generator that ends after a while and lets
EventSource reconnect, so nothing is held for long either way.
"""

from __future__ import annotations

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from tickets import live, permissions
from tickets.permissions import Action

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
WSGI_STREAM_SECONDS = 25.0
ASGI_STREAM_SECONDS = 300.0


def _start_after(request: AuthenticatedHttpRequest, ticket_id: int | None) -> int:
    for value in (request.headers.get("Last-Event-ID"), request.GET.get("after")):
        if value and value.isdigit():
            return int(value)
    return live.latest_event_id() if ticket_id is None else live.ticket_latest_event_id(ticket_id)


def _ticket_id(request: AuthenticatedHttpRequest) -> int | None:
    """The one ticket a ticket page listens to (``?ticket=``), or None for every visible ticket."""
    value = request.GET.get("ticket", "")
    return int(value) if value.isdigit() and len(value) <= 18 else None


def _poll(user_id: int, after: int, ticket_id: int | None) -> tuple[list[dict], bool]:
    """One poll with a freshly loaded user, so revoked access ends the stream at once.

    Any failure (the database going away, the server shutting down) ends the stream too; the
    browser reconnects and the new stream resumes from the last event it received.
    """
    from accounts.models import User

    try:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            return [], False
        return live.changes_since(user, after, ticket_id=ticket_id), True
    except Exception:  # noqa: BLE001 - a stream must end quietly, never spill a traceback
        return [], False


def _frame(change: dict) -> str:
    return f"id: {change['id']}\nevent: ticket\ndata: {json.dumps(change)}\n\n"


class _Stream:
    """Where a stream is (the last event sent) and what to send after each poll."""

    def __init__(self, user_id: int, after: int):
        self.user_id = user_id
        self.after = after
        self.last_sent = time.monotonic()

    def frames(self, changes: list[dict], allowed: bool) -> tuple[list[str], bool]:
        """The frames to send for one poll, and whether the stream goes on."""
        if not allowed:
            return ["event: end\ndata: {}\n\n"], False
        out = []
        for change in changes:
            self.after = change["id"]
            out.append(_frame(change))
        now = time.monotonic()
        if out:
            self.last_sent = now
        elif now - self.last_sent > KEEPALIVE_SECONDS:
            out.append(": keep-alive\n\n")
            self.last_sent = now
        return out, True


def _sync_stream(user_id: int, after: int, ticket_id: int | None):
    yield "retry: 1000\n\n"
    stream, started = _Stream(user_id, after), time.monotonic()
    lifetime = min(getattr(settings, "HELPDESK_LIVE_WSGI_STREAM_SECONDS", WSGI_STREAM_SECONDS), WSGI_STREAM_SECONDS)
    while time.monotonic() - started < lifetime:
        frames, going = stream.frames(*_poll(user_id, stream.after, ticket_id))
        yield from frames
        if not going:
            return
        time.sleep(POLL_SECONDS)


async def _async_stream(user_id: int, after: int, ticket_id: int | None):
    yield "retry: 1000\n\n"
    poll = sync_to_async(_poll, thread_sensitive=False)
    stream, started = _Stream(user_id, after), time.monotonic()
    while time.monotonic() - started < ASGI_STREAM_SECONDS:
        frames, going = stream.frames(*await poll(user_id, stream.after, ticket_id))
        for frame in frames:
            yield frame
        if not going:
            return
        await asyncio.sleep(POLL_SECONDS)


@require_GET
def events(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """``text/event-stream`` of changes to tickets the signed-in user may see (``?ticket=``: to
    that one ticket only)."""
    ticket_id = _ticket_id(request)
    after = _start_after(request, ticket_id)
    stream = _async_stream if isinstance(request, ASGIRequest) else _sync_stream
    response = StreamingHttpResponse(stream(request.user.pk, after, ticket_id), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # let a fronting nginx pass events through at once
    return response


@require_POST
def presence(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """An agent's heartbeat on a ticket page: records them (typing or not), returns the others.

    404 for a ticket the user cannot see; 403 for customers (presence is for agents).
    """
    ticket = permissions.get_ticket_or_404(request.user, pk)
    permissions.authorize(request.user, Action.VIEW_INTERNAL, ticket)
    if request.POST.get("leave") == "1":
        live.presence_leave(request.user, ticket.pk)
        return JsonResponse({"others": []})
    others = live.presence_touch(request.user, ticket.pk, typing=request.POST.get("typing") == "1")
    return JsonResponse({"others": others})
