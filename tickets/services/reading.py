"""What a person has read: notifications marked read, and where they are in a conversation.
Reading is not a change of a ticket: no history, no ``updated_at``."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from helpdesk import memo
from tickets import permissions, selectors
from tickets.models import Notification, Ticket, TicketReadMarker
from tickets.permissions import Action
from tickets.services.validation import require_signed_in


def notification_mark_read(*, actor: User, ids: list[int] | None) -> int:
    """Mark ``actor``'s notifications ``ids`` (None: all of them) read. Returns how many changed."""
    actor = require_signed_in(actor)
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    changed = qs.update(read_at=timezone.now())
    memo.forget(selectors.unread_count_key(actor.pk))
    return changed


def notification_mark_read_for_ticket(*, actor: User, ticket: Ticket) -> int:
    """Mark ``actor``'s unread notifications about ``ticket`` read, as when they open the ticket.
    Returns how many changed.

    It starts from the bell's count, which the page shows anyway (remembered for the request):
    with nothing unread it writes nothing, so opening a ticket costs no query more than before;
    otherwise one UPDATE, whatever the number of notifications, and the bell's count is corrected
    in the request memo instead of being counted again.
    """
    actor = require_signed_in(actor)
    unread = selectors.unread_notification_count(actor)
    if not unread:
        return 0
    changed = Notification.objects.filter(recipient=actor, ticket=ticket.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    key = selectors.unread_count_key(actor.pk)
    if changed and unread < selectors.UNREAD_CAP:
        memo.put(key, max(unread - changed, 0))
    elif changed:
        memo.forget(key)  # the capped count says nothing about what is left: count again
    return changed


def ticket_mark_seen(*, actor: User, ticket: Ticket) -> None:
    """Remember that ``actor`` has read ``ticket``'s conversation up to now.

    This drives the portal's "new reply" flag. ``Http404`` when ``actor`` may not see it.
    """
    actor = require_signed_in(actor)
    permissions.authorize(actor, Action.VIEW, ticket)
    now = timezone.now()
    # One UPDATE on every visit but the first; the unique constraint settles two first visits at once.
    markers = TicketReadMarker.objects.filter(user=actor, ticket=ticket)
    if markers.update(last_seen_at=now):
        return
    try:
        with transaction.atomic():
            TicketReadMarker.objects.create(user=actor, ticket=ticket, last_seen_at=now)
    except IntegrityError:
        markers.update(last_seen_at=now)
