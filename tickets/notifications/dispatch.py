"""When notifications happen: after the change that caused them commits, never inside it.

``services`` call ``announce_after_commit`` for each history event they write (through
``TicketChange.after_commit(notify=True, …)``); the job ``tasks.notify_event`` then applies the rules,
stores the in-app notifications and sends the mail — on a Celery worker with a broker, in
process otherwise — so a failing mail server never breaks or undoes the user's action.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from functools import partial

from django.db import transaction

from tickets.notifications import tasks

log = logging.getLogger("tickets.notifications")

_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("helpdesk_notifications_muted", default=False)


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """No notifications for changes committed inside this block (demo data, imports)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    """Whether changes made now notify nobody (inside ``muted()``): for code that stores its
    notifications itself (``tickets.sla.escalation``)."""
    return _muted.get()


def announce_after_commit(event_id: int) -> None:
    """Notify about history event ``event_id`` once the transaction commits (robustly: a failure
    to queue never reaches the user), unless inside ``muted()``."""
    if _muted.get():
        return
    transaction.on_commit(partial(event_committed, event_id), robust=True)


def event_committed(event_id: int) -> None:
    """Queue the notifications of a committed event (runs in process when no broker is set)."""
    try:
        tasks.notify_event.delay(event_id)
    except Exception:  # a broker outage must not turn a saved change into an error page
        log.exception("Could not queue notifications for event %s", event_id)
