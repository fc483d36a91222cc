"""Live updates over server-sent events, and agents' presence on a ticket.

Why server-sent events and not WebSockets (Channels): updates flow one way, server to browser;
SSE is plain HTTP (no upgrade through proxies, no second protocol stack, no channel layer), the
browser's EventSource reconnects by itself and resumes with Last-Event-ID, and the few messages a
browser sends (presence, typing) are ordinary POSTs. Under ASGI (``make run`` serves with uvicorn
workers) a stream is an async generator that holds no thread while it waits; under WSGI (the
development server, the test server) it is a plain generator that ends after a while and lets
EventSource reconnect. Neither holds a database connection while it waits (``tickets.live``).
"""

from __future__ import annotations

import weakref

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from helpdesk.ids import parse_id
from tickets import live, permissions
from tickets.live import bus, stream
from tickets.live.hub import StreamLimit, hub
from tickets.permissions import Action

WSGI_STREAM_SECONDS = 25.0
ASGI_STREAM_SECONDS = 300.0


def _start_after(request: AuthenticatedHttpRequest, ticket_id: int | None) -> int:
    for value in (request.headers.get("Last-Event-ID"), request.GET.get("after")):
        after = parse_id(value) if value else None
        if after is not None:
            return after
    return live.latest_event_id() if ticket_id is None else live.ticket_latest_event_id(ticket_id)


@require_GET
def events(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """``text/event-stream`` of changes to tickets the signed-in user may see (``?ticket=``: to
    that one ticket only; 404 if they cannot see it). 429 with ``Retry-After`` past the limits on
    open streams (``tickets.live.hub``)."""
    ticket_id = None
    if "ticket" in request.GET:  # a ticket page listens to its own ticket only
        ticket_id = permissions.get_ticket_or_404(request.user, request.GET["ticket"]).pk
    after = _start_after(request, ticket_id)
    session_key = request.session.session_key
    try:
        subscription = hub.subscribe(
            request.user.pk, bus.session_digest(session_key) if session_key else None, ticket_id
        )
    except StreamLimit as limit:
        refused = HttpResponse(f"{limit}\n", status=429, content_type="text/plain; charset=utf-8")
        refused["Retry-After"] = str(limit.retry_after)
        return refused
    if isinstance(request, ASGIRequest):
        lifetime = ASGI_STREAM_SECONDS
        runner = stream.run_async
    else:
        configured = getattr(settings, "HELPDESK_LIVE_WSGI_STREAM_SECONDS", WSGI_STREAM_SECONDS)
        lifetime = min(configured, WSGI_STREAM_SECONDS)
        runner = stream.run_sync  # type: ignore[assignment]
    steps = stream.conversation(subscription, request.user, session_key, after, lifetime)
    frames = runner(steps, subscription)
    response = StreamingHttpResponse(frames, content_type="text/event-stream")
    # However the response ends, the stream's place is freed: when it is sent to the end or the
    # client goes (the runner), when the server closes the response (WSGI, ASGI), or when the
    # response is dropped without ever being started (a middleware replaced it).
    response._resource_closers.append(subscription.close)  # type: ignore[attr-defined]
    weakref.finalize(frames, subscription.close)
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
