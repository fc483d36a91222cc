"""Live updates (issues 8 and 13): what changed since a given event, and who is looking at a ticket.

The browser keeps one server-sent-events stream open (``views/live.py``). A stream costs nothing
while nothing happens: it holds no database connection and runs no query. A change is *pushed*:
the service that wrote history publishes one short message after commit (``bus``); each web
process has one listener that hears it and wakes the streams it concerns (``hub``); each woken
stream then asks ``changes_since`` — which asks ``permissions.visible_tickets`` afresh — for what
it may send (``stream``). Sign-out, deactivation and lost access end a stream at once. Presence —
who has a ticket open and who is typing a reply — lives in the cache (Redis in production; a file
cache on one machine).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import connections, router
from django.db.models import Max, Q

from tickets import permissions
from tickets.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import User

PRESENCE_TTL_SECONDS = 15
#: A stream sends at most this many events per query (then asks again at once).
MAX_EVENTS_PER_POLL = 100


def latest_event_id() -> int:
    """The id a new stream starts after when the page did not say (so it replays nothing)."""
    # Hand-written (the table and column from the model): every signed-in page asks it, and the
    # ORM's aggregate cost more to build than the index to answer.
    alias = router.db_for_read(TicketEvent)
    connection = connections[alias]
    with connection.cursor() as cursor:
        table, column = connection.ops.quote_name(TicketEvent._meta.db_table), connection.ops.quote_name("id")
        cursor.execute(f"SELECT MAX({column}) FROM {table}")  # noqa: S608 - identifiers from the model
        (last,) = cursor.fetchone()
    return last or 0


def changes_since(user: User, after: int, *, ticket_id: int | None = None) -> list[dict]:
    """Events after ``after`` on tickets ``user`` may see (only ticket ``ticket_id``'s when
    given: a ticket page listens to its own ticket), oldest first, as small dicts.

    Internal events only on tickets whose internal history ``user`` may read
    (``permissions.readable_notes``): never for customers, nor for an agent on their own ticket in
    another team. Bodies are never sent: the page re-reads what it shows.
    """
    qs = TicketEvent.objects.filter(id__gt=after, ticket__in=permissions.visible_tickets(user).values("pk"))
    if ticket_id is not None:
        qs = qs.filter(ticket_id=ticket_id)
    notes = permissions.readable_notes(user)
    if notes is None:
        qs = qs.filter(public=True)
    elif notes:  # internal events only where they work the ticket
        qs = qs.filter(Q(public=True) | Q(ticket__in=Ticket.objects.filter(notes).values("pk")))
    rows = qs.order_by("id").values("id", "ticket_id", "kind", "actor_id", "actor_name")[:MAX_EVENTS_PER_POLL]
    return [
        {
            "id": r["id"],
            "ticket": r["ticket_id"],
            "kind": r["kind"],
            "actor": r["actor_id"],
            "actor_name": r["actor_name"],
        }
        for r in rows
    ]


def _presence_key(ticket_id: int) -> str:
    return f"helpdesk:presence:{ticket_id}"


def presence_touch(user: User, ticket_id: int, *, typing: bool) -> list[dict]:
    """Record that ``user`` has ticket ``ticket_id`` open (and whether they are typing); return
    the other people present, each ``{"id", "name", "typing"}``."""
    now = time.time()
    key = _presence_key(ticket_id)
    present = {
        uid: entry
        for uid, entry in (cache.get(key) or {}).items()
        if now - entry["seen"] < PRESENCE_TTL_SECONDS and uid != user.pk
    }
    others = [{"id": uid, "name": e["name"], "typing": e["typing"]} for uid, e in sorted(present.items())]
    present[user.pk] = {"name": user.name, "typing": typing, "seen": now}
    cache.set(key, present, PRESENCE_TTL_SECONDS * 2)
    return others


def presence_leave(user: User, ticket_id: int) -> None:
    key = _presence_key(ticket_id)
    present = cache.get(key) or {}
    if present.pop(user.pk, None) is not None:
        cache.set(key, present, PRESENCE_TTL_SECONDS * 2)


def ticket_latest_event_id(ticket_id: int, *, internal: bool = True) -> int:
    """The newest history entry of one ticket: what a page "has seen" when it is rendered
    (``internal=False``: the newest public one, for someone who may not read internal history,
    whose page must not give away that a note was written since)."""
    events = TicketEvent.objects.filter(ticket_id=ticket_id)
    if not internal:
        events = events.filter(public=True)
    return events.aggregate(last=Max("id"))["last"] or 0


_STALE_KINDS = ("message_added", "note_added", "status_changed", "assigned")


def changed_since_seen(user: User, ticket: Ticket, seen_event_id: int) -> list[str]:
    """What others did to ``ticket`` after the page ``user`` writes in was rendered, in words:
    new replies (and notes, for those who may read them), status and assignee changes. Empty when
    nothing happened."""
    from tickets.history import sentence

    events = TicketEvent.objects.filter(ticket=ticket, id__gt=seen_event_id, kind__in=_STALE_KINDS).exclude(
        actor_id=user.pk
    )
    if not permissions.internal_visible(user, ticket):
        events = events.filter(public=True)
    return [f"{sentence(event)}." for event in events.order_by("id")[:10]]


# --- What the streams hear (tickets.live.bus) -------------------------------------------------
def ticket_changed(ticket_id: int) -> None:
    """History was written on ``ticket_id``: the streams that may show it catch up (sent at
    commit; nothing if the change rolls back). Called by ``TicketChange.after_commit``."""
    from tickets.live import bus

    bus.publish(bus.ticket_changed(ticket_id))


def person_changed(
    sender: object = None, *, instance: User | None = None, created: bool = False, update_fields=None, **kwargs
) -> None:
    """Receiver of ``post_save`` on users: whatever changed (active flag, role, password, name),
    that person's streams re-check sign-in and access. A new account has no stream yet, and a
    sign-in's ``last_login`` is not news."""
    from tickets.live import bus

    if instance is None or created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    bus.publish(bus.person_changed(instance.pk))


def access_changed(sender: object = None, *, users: tuple[User, ...] = (), new: bool = False, **kwargs) -> None:
    """Receiver of ``accounts.signals.access_changed``: the named people's streams re-check
    (everyone's when a team or organization changed, which names no one)."""
    from tickets.live import bus

    if new:
        return
    for user in users or (None,):
        bus.publish(bus.person_changed(user.pk if user is not None else None))


def signed_out(sender: object = None, *, request=None, **kwargs) -> None:
    """Receiver of ``user_logged_out``: the streams of that session end at once."""
    from tickets.live import bus

    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        bus.publish(bus.session_ended(session_key))
