"""Reads of a person's notifications: the bell's count and the notifications page."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.db import connections, router
from django.http import Http404

from helpdesk import memo
from helpdesk.ids import parse_id
from tickets import permissions
from tickets.models import Notification

if TYPE_CHECKING:
    from accounts.models import User

NOTIFICATIONS_PAGE_SIZE = 30


def unread_notification_count(user: User) -> int:
    """How many unread notifications the bell shows (one indexed count, capped at 100)."""
    if not user.is_authenticated:
        return 0
    return memo.remember(unread_count_key(user.pk), lambda: _count_unread(user))


UNREAD_CAP = 100


def unread_count_key(user_id: int) -> tuple[str, int]:
    """The request memo's key of the bell count (``services.notification_mark_read_for_ticket``
    corrects it after marking read, so the page does not count again)."""
    return ("unread-notifications", user_id)


def _count_unread(user: User) -> int:
    """The count, as a written statement: every page shows the bell, and building this query
    through the ORM cost more CPU than PostgreSQL took to answer it (the partial index on unread
    notifications answers it). No ORDER BY: which 100 are counted does not matter."""
    database = router.db_for_read(Notification)
    with connections[database].cursor() as cursor:
        cursor.execute(_unread_sql(database), [user.pk, UNREAD_CAP])
        return cursor.fetchone()[0]


@lru_cache(maxsize=8)
def _unread_sql(database: str) -> str:
    quote = connections[database].ops.quote_name
    meta = Notification._meta
    recipient, read_at = meta.get_field("recipient").column, meta.get_field("read_at").column
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote(meta.db_table)} WHERE {quote(recipient)} = %s"  # noqa: S608 - names from the model
        f" AND {quote(read_at)} IS NULL LIMIT %s) AS unread"
    )


def notifications_page(user: User, *, before: str | None = None) -> dict:
    """One page of ``user``'s notifications, newest first, keyset-paginated by id.

    Only notifications about tickets the user may still see are listed.
    """
    qs = Notification.objects.filter(recipient=user, ticket__in=permissions.visible_tickets(user).values("pk"))
    before_id = parse_id(before or "")
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.select_related("ticket", "event").order_by("-id")[: NOTIFICATIONS_PAGE_SIZE + 1])
    more = len(rows) > NOTIFICATIONS_PAGE_SIZE
    rows = rows[:NOTIFICATIONS_PAGE_SIZE]
    return {"items": rows, "next_before": rows[-1].pk if more and rows else None}


def notification_get_for_user(user: User, pk: object) -> Notification:
    """``user``'s own notification ``pk``, or Http404."""
    notification = Notification.objects.filter(pk=number, recipient=user).first() if (number := parse_id(pk)) else None
    if notification is None or not permissions.can(user, permissions.Action.VIEW, notification.ticket):
        raise Http404("No such notification.")
    return notification
