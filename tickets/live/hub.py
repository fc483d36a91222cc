"""Each web process's switchboard: the open streams, their limits, and the one listener thread
that hears the bus (``tickets.live.bus``) and wakes the streams a message concerns.

A stream holds no database connection while it waits. The hub only marks it: *pending* (history
was written on a ticket it may be showing: catch up with one short query), *recheck* (its
person's access changed or the hub lost messages: sign-in and visibility are checked again),
or *ended* (its session ended, or the process is shutting down). The stream does the queries
itself, on a pooled connection it gives back at once.

The listener starts with the first stream and stops a few seconds after the last one ends, so a
process with no open stream holds no listening connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets.live import bus

logger = logging.getLogger("helpdesk.live")

#: A process serves at most this many streams, and one person at most this many of them. Past
#: either, a new stream is refused with 429 and a Retry-After (the page retries later by itself).
MAX_STREAMS_PER_PROCESS = 1000
MAX_STREAMS_PER_PERSON = 8
#: How long the listener lingers after the last stream ends (a page reload reconnects at once).
LISTENER_LINGER_SECONDS = 10.0
#: Messages arriving this close together are dispatched together (one audience query).
BATCH_SECONDS = 0.02


class StreamLimit(Exception):
    """A new stream would pass a limit; ``retry_after`` is the advice in seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Subscription:
    """One open stream as the hub sees it: who, which session, which ticket (or every ticket), and
    what the stream has to do when it next wakes."""

    def __init__(self, hub: Hub, user_id: int, session: str | None, ticket_id: int | None):
        self.hub = hub
        self.user_id = user_id
        self.session = session  # digest of the session key, see bus.session_digest
        self.ticket_id = ticket_id
        self.pending = True  # the first step catches up with what happened since ``after``
        self.recheck = False
        self.ended = False
        self.closed = False
        self._thread_event = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_event: asyncio.Event | None = None

    # --- called by the hub (any thread) ----------------------------------------------------
    def _wake(self) -> None:
        self._thread_event.set()
        loop, event = self._loop, self._async_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: the stream is gone
                loop.call_soon_threadsafe(event.set)

    # --- called by the stream --------------------------------------------------------------
    def take(self) -> tuple[bool, bool, bool]:
        """(pending, recheck, ended), clearing the first two."""
        with self.hub._lock:
            state = (self.pending, self.recheck, self.ended)
            self.pending = self.recheck = False
            self._thread_event.clear()
            if self._async_event is not None:
                self._async_event.clear()
            return state

    def mark_pending(self) -> None:
        with self.hub._lock:
            self.pending = True

    def wait_sync(self, timeout: float) -> bool:
        """Block (a WSGI thread) until woken or ``timeout``; True when woken."""
        return self._thread_event.wait(timeout)

    async def wait_async(self, timeout: float) -> bool:
        """Wait (an ASGI stream: no thread held) until woken or ``timeout``; True when woken."""
        if self._async_event is None:
            self._loop = asyncio.get_running_loop()
            self._async_event = asyncio.Event()
            if self._thread_event.is_set():
                return True
        try:
            await asyncio.wait_for(self._async_event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: set[Subscription] = set()
        self._per_person: Counter[int] = Counter()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self._idle_since: float | None = None
        self._inbox: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.listening = False  # the listener holds its connection (tests read it)
        self.messages = 0  # messages heard, for the figures in SECURITY.md

    # --- streams ---------------------------------------------------------------------------
    def subscribe(self, user_id: int, session: str | None, ticket_id: int | None) -> Subscription:
        per_process = getattr(settings, "HELPDESK_LIVE_MAX_STREAMS", MAX_STREAMS_PER_PROCESS)
        per_person = getattr(settings, "HELPDESK_LIVE_MAX_STREAMS_PER_PERSON", MAX_STREAMS_PER_PERSON)
        with self._lock:
            if len(self._streams) >= per_process:
                # Raised while the request is served: the messages speak the reader's language.
                raise StreamLimit(_("This server has too many live streams open; try again shortly."), 30)
            if self._per_person[user_id] >= per_person:
                raise StreamLimit(
                    ngettext(
                        "You have %(count)s live page open already; close it or try again later.",
                        "You have %(count)s live pages open already; close some tabs or try again later.",
                        per_person,
                    )
                    % {"count": per_person},
                    60,
                )
            subscription = Subscription(self, user_id, session, ticket_id)
            self._streams.add(subscription)
            self._per_person[user_id] += 1
            self._idle_since = None
            self._ensure_listener()
            return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription.closed:
                return
            subscription.closed = True
            self._streams.discard(subscription)
            self._per_person[subscription.user_id] -= 1
            if self._per_person[subscription.user_id] <= 0:
                del self._per_person[subscription.user_id]
            if not self._streams:
                self._idle_since = _now()

    def open_streams(self, user_id: int | None = None) -> int:
        with self._lock:
            return len(self._streams) if user_id is None else self._per_person[user_id]

    # --- messages --------------------------------------------------------------------------
    def deliver(self, message: str) -> None:
        """Hand ``message`` (see ``tickets.live.bus``) to the dispatcher; called by the listener."""
        self._inbox.put(message)

    def _dispatch_loop(self, stopper: _Stopper) -> None:
        """Take messages in small batches (a burst of changes — a bulk edit — costs one query),
        work out which streams they concern, wake those."""
        while not stopper.is_set():
            try:
                first = self._inbox.get(timeout=1.0)
            except queue.Empty:
                continue
            time.sleep(BATCH_SECONDS)
            batch = [first]
            with contextlib.suppress(queue.Empty):
                while len(batch) < 1000:
                    batch.append(self._inbox.get_nowait())
            self.dispatch(batch)

    def dispatch(self, batch: list[str]) -> None:
        """Mark and wake the streams ``batch`` concerns. A ticket change wakes that ticket's
        streams (each re-checks that its person still sees it) and the general streams of the
        people who may see it (``permissions.audience``: one query for the batch)."""
        changed: set[int] = set()
        everything = False
        with self._lock:
            self.messages += len(batch)
        for message in batch:
            if not message:
                continue  # the wake-up ``shutdown`` posts
            kind, _, value = message.partition(":")
            if kind == "t" and value.isdigit():
                changed.add(int(value))
            elif kind == "t":
                everything = True  # some ticket, unknown which (the embedded bus)
            else:
                self._control(kind, value, message)
        if not changed and not everything:
            return
        with self._lock:
            people = {stream.user_id for stream in self._streams if stream.ticket_id is None}
        concerned = None if everything else self._audience(changed, people)
        woken: list[Subscription] = []
        with self._lock:
            for stream in self._streams:
                if stream.ticket_id is None:
                    hit = concerned is None or stream.user_id in concerned
                else:
                    hit = everything or stream.ticket_id in changed
                if hit:
                    stream.pending = True
                    woken.append(stream)
        for stream in woken:
            stream._wake()

    @staticmethod
    def _audience(tickets: set[int], people: set[int]) -> set[int] | None:
        """Who among ``people`` may see one of ``tickets``; None (wake everyone, who then asks
        for themselves) if the database cannot say."""
        if not people:
            return set()
        from tickets import permissions

        try:
            return permissions.audience(tickets, people)
        except Exception:  # noqa: BLE001
            logger.warning("live: could not work out who sees tickets %s", sorted(tickets)[:10], exc_info=True)
            return None
        finally:
            connection = connections["default"]
            if not connection.in_atomic_block:
                connection.close()

    def _control(self, kind: str, value: str, message: str) -> None:
        woken: list[Subscription] = []
        with self._lock:
            for stream in self._streams:
                if kind == "u":
                    if value == bus.EVERYONE or value == str(stream.user_id):
                        stream.recheck = stream.pending = True
                        woken.append(stream)
                elif kind == "s":
                    if stream.session is not None and value == stream.session:
                        stream.ended = True
                        woken.append(stream)
                elif message == bus.EVERYONE:
                    stream.recheck = stream.pending = True
                    woken.append(stream)
        for stream in woken:
            stream._wake()

    # --- the listener ----------------------------------------------------------------------
    def _ensure_listener(self) -> None:
        """Start the listener thread if it is not running (called with the lock held)."""
        if self._listener is not None and self._listener.is_alive() and not self._stop.is_set():
            return
        the_bus = bus.current()
        if isinstance(the_bus, bus.LocalBus):
            the_bus.deliver_here = self.deliver
        self._stop = threading.Event()
        self._listener = threading.Thread(
            target=self._listen, args=(the_bus, self._stop), name="helpdesk-live-listener", daemon=True
        )
        self._listener.start()

    def _listen(self, the_bus: bus.Bus, stop: threading.Event) -> None:
        attempt = 0
        stopper = _Stopper(stop, lambda: self._linger_over(stop))
        dispatcher = threading.Thread(
            target=self._dispatch_loop, args=(stopper,), name="helpdesk-live-dispatcher", daemon=True
        )
        dispatcher.start()
        deliver = self._deliver_while_open(stop)
        while not stopper.is_set():
            try:
                self.listening = True
                the_bus.listen(deliver, stopper)
                attempt = 0
            except Exception:  # noqa: BLE001 - reconnect with backoff; streams catch up then
                attempt += 1
                logger.warning("live: the %s listener lost its connection", the_bus.name, exc_info=True)
            finally:
                self.listening = False
            stop.wait(min(30.0, 0.5 * 2**attempt) if attempt else 0.05)

    def _deliver_while_open(self, stop: threading.Event):  # noqa: ANN202
        """The listener's hand-off to the dispatcher. A bus says ``*`` each time it connects: the
        streams catch up and re-check access, since whatever happened before it listened (a
        sign-out a moment after a stream opened) reached no one."""

        def deliver(message: str) -> None:
            if not stop.is_set():
                self.deliver(message)

        return deliver

    def _linger_over(self, stop: threading.Event) -> bool:
        """True when the listener owning ``stop`` should let go: stopped, or no stream has been
        open for the linger time (then ``stop`` is set, and a new stream starts a new listener)."""
        with self._lock:
            if stop.is_set():
                return True
            if self._streams or self._idle_since is None:
                return False
            linger = getattr(settings, "HELPDESK_LIVE_LISTENER_LINGER_SECONDS", LISTENER_LINGER_SECONDS)
            if _now() - self._idle_since < linger:
                return False
            stop.set()
            if self._stop is stop:
                self._listener = None
            return True

    def shutdown(self) -> None:
        """End every stream and stop the listener (process exit, tests)."""
        with self._lock:
            streams = list(self._streams)
            for stream in streams:
                stream.ended = True
            self._stop.set()
            listener, self._listener = self._listener, None
        for stream in streams:
            stream._wake()
        self._inbox.put("")  # wakes the dispatcher, which then sees it is stopped
        if listener is not None:
            listener.join(timeout=5)


class _Stopper(threading.Event):
    """The ``stop`` a bus listens with: set by shutdown, and also "set" once the hub has been idle
    for the linger time, so ``bus.listen`` returns and the connection is released."""

    def __init__(self, stop: threading.Event, done: Callable[[], bool]):
        super().__init__()
        self._stop = stop
        self._done = done

    def is_set(self) -> bool:
        return self._done()

    def wait(self, timeout: float | None = None) -> bool:
        return self._stop.wait(timeout) or self._done()


def _now() -> float:
    return time.monotonic()


hub = Hub()
