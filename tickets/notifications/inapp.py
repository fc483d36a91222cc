"""In-app notifications: the bell and the list (read by ``tickets.selectors``)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tickets.models import Notification, TicketEvent
from tickets.notifications.rules import recipients_for


def create_for_event(event_id: int) -> list[Notification]:
    """Create the event's notifications once (a second call finds them and creates nothing)."""
    event = (
        TicketEvent.objects.select_related("actor", "ticket__requester", "ticket__assignee", "ticket__team")
        .filter(pk=event_id)
        .first()
    )
    if event is None:  # the ticket was deleted meanwhile
        return []
    created = []
    for user, kind in recipients_for(event):
        try:
            with transaction.atomic():
                notification, _ = Notification.objects.get_or_create(
                    event=event,
                    recipient=user,
                    defaults={"ticket": event.ticket, "kind": kind, "created_at": event.created_at},
                )
        except IntegrityError:  # the same event handled twice at once: the other one made it
            continue
        created.append(notification)
    return created
