"""What one live stream says, written once for both servers.

``conversation`` is the stream's logic as a generator of steps — frames to send, a short
database call to make, a wait — and the two runners carry the steps out: ``run_async`` under ASGI
(a wait holds no thread; a call runs on a worker thread and gives its pooled connection back at
once) and ``run_sync`` under WSGI (the development and test servers, where a request owns its
thread anyway). No step holds a database connection while the stream waits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.db import connections
from django.utils.crypto import constant_time_compare

from tickets.live.hub import Subscription

logger = logging.getLogger("helpdesk.live")

KEEPALIVE_SECONDS = 15.0
#: A stream asks the database at most this often, however many changes arrive meanwhile.
MIN_QUERY_INTERVAL_SECONDS = 0.5
END = "event: end\ndata: {}\n\n"


@dataclass
class Send:
    frames: list[str]


@dataclass
class Call:
    function: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass
class Wait:
    seconds: float  # woken early by the hub; the step's answer is whether it was


@dataclass
class Sleep:
    seconds: float  # not woken early


Step = Send | Call | Wait | Sleep


def frame(change: dict[str, Any]) -> str:
    return f"id: {change['id']}\nevent: ticket\ndata: {json.dumps(change)}\n\n"


def still_allowed(user_id: int, session_key: str | None, ticket_id: int | None) -> Any:
    """The person behind a stream, re-read — or None when the stream must end: the account is
    gone or inactive, the session was signed out or invalidated (a password change), or a
    ticket stream's ticket is no longer visible to them."""
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    from accounts.models import User
    from tickets import permissions

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    if session_key is not None:
        from django.conf import settings

        store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
        data = store.load()
        if str(data.get(SESSION_KEY)) != str(user_id) or not constant_time_compare(
            data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
        ):
            return None
    if ticket_id is not None and not permissions.visible_tickets(user).filter(pk=ticket_id).exists():
        return None
    return user


def changes_for(user: Any, after: int, ticket_id: int | None) -> list[dict[str, Any]] | None:
    """What the stream sends next (see ``tickets.live.changes_since``); None when a ticket
    stream's ticket is no longer visible."""
    from tickets import live, permissions

    changes = live.changes_since(user, after, ticket_id=ticket_id)
    if not changes and ticket_id is not None and not permissions.visible_tickets(user).filter(pk=ticket_id).exists():
        return None
    return changes


def conversation(
    subscription: Subscription, user: Any, session_key: str | None, after: int, lifetime: float
) -> Generator[Step, Any, None]:
    """The stream's logic: catch up, then wait for the hub; on each wake, re-check access if the
    hub says so and send what changed since the last event sent. Ends on its lifetime (the
    browser reconnects and resumes from the last id), on sign-out, deactivation or lost access."""
    yield Send(["retry: 1000\n\n"])
    started = last_sent = time.monotonic()
    last_query = float("-inf")
    ticket_id = subscription.ticket_id
    while True:
        now = time.monotonic()
        left = started + lifetime - now
        if left <= 0:
            return
        if subscription.pending and now - last_query < MIN_QUERY_INTERVAL_SECONDS:
            yield Sleep(MIN_QUERY_INTERVAL_SECONDS - (now - last_query))  # let changes gather
        pending, recheck, ended = subscription.take()
        if ended:
            yield Send([END])
            return
        if recheck:
            user = yield Call(still_allowed, (user.pk, session_key, ticket_id))
            if user is None:
                yield Send([END])
                return
        if pending:
            changes = yield Call(changes_for, (user, after, ticket_id))
            last_query = time.monotonic()
            if changes is None:
                yield Send([END])
                return
            if changes:
                from tickets.live import MAX_EVENTS_PER_POLL

                after = changes[-1]["id"]
                if len(changes) >= MAX_EVENTS_PER_POLL:
                    subscription.mark_pending()  # more to send
                yield Send([frame(change) for change in changes])
                last_sent = time.monotonic()
            continue
        woken = yield Wait(max(0.0, min(KEEPALIVE_SECONDS - (now - last_sent), left)))
        if not woken and time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
            yield Send([": keep-alive\n\n"])
            last_sent = time.monotonic()


def _call_and_let_go(function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """Run one short database call and give its connection back (to the pool under ASGI), unless
    the thread is inside a transaction it does not own (a test's)."""
    connection = connections["default"]
    try:
        return function(*args)
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _let_go() -> None:
    """Give back the connection the request's own thread took for the view (it would otherwise be
    held until the response ends — for a stream, minutes)."""
    connection = connections["default"]
    if not connection.in_atomic_block:
        connection.close()


def run_sync(steps: Generator[Step, Any, None], subscription: Subscription) -> Iterator[str]:
    try:
        _let_go()
        answer: Any = None
        while True:
            step = steps.send(answer)
            answer = None
            if isinstance(step, Send):
                yield from step.frames
            elif isinstance(step, Call):
                answer = _call_and_let_go(step.function, step.args)
            elif isinstance(step, Wait):
                answer = subscription.wait_sync(step.seconds)
            else:
                time.sleep(step.seconds)
    except StopIteration:
        return
    except Exception:  # noqa: BLE001 - a stream ends quietly; the browser reconnects and resumes
        logger.warning("live: a stream failed", exc_info=True)
        yield END
    finally:
        subscription.close()


async def run_async(steps: Generator[Step, Any, None], subscription: Subscription) -> AsyncIterator[str]:
    call = sync_to_async(_call_and_let_go, thread_sensitive=False)
    try:
        await sync_to_async(_let_go, thread_sensitive=True)()  # the thread the view ran on
        answer: Any = None
        while True:
            step = steps.send(answer)
            answer = None
            if isinstance(step, Send):
                for line in step.frames:
                    yield line
            elif isinstance(step, Call):
                answer = await call(step.function, step.args)
            elif isinstance(step, Wait):
                answer = await subscription.wait_async(step.seconds)
            else:
                await asyncio.sleep(step.seconds)
    except StopIteration:
        return
    except Exception:  # noqa: BLE001
        logger.warning("live: a stream failed", exc_info=True)
        yield END
    finally:
        subscription.close()
