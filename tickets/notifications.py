"""Who hears about what happened on a ticket (issue 8): in-app notifications and email.

Everything starts from a committed ``TicketEvent``: ``services._event`` calls
``announce_after_commit``, which registers ``event_committed`` with ``transaction.on_commit``, so nothing is announced for a change that rolled
back, and a failing mail server never breaks or undoes the user's action. The rules:

- the requester (and collaborators) on an agent's public reply, on the ticket moving to pending
  or solved (unless that came with a public reply, which already says so), and on creation
  (an acknowledgement with the ticket link);
- the assignee on being assigned by someone else, and on a reply from the requester's side;
- the members of the ticket's team on a new, unassigned ticket routed to it (each agent may mute
  these with ``User.notify_team_tickets``).

Internal notes and internal events never produce a notification, so they never reach a customer.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tickets.models import EventKind, Message, Notification, NotificationKind, Status, Ticket, TicketEvent

log = logging.getLogger(__name__)


_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("helpdesk_notifications_muted", default=False)


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """No notifications for changes committed inside this block (demo data, imports)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def announce_after_commit(event_id: int) -> None:
    """Called by services for every history event: notify about it once the transaction commits
    (robustly: a failure to queue never reaches the user), unless inside ``muted()``."""
    if _muted.get():
        return
    transaction.on_commit(partial(event_committed, event_id), robust=True)


def event_committed(event_id: int) -> None:
    """Queue the notifications of a committed event (runs in process when no broker is set)."""
    from tickets import tasks

    try:
        tasks.notify_event.delay(event_id)
    except Exception:  # a broker outage must not turn a saved change into an error page
        log.exception("Could not queue notifications for event %s", event_id)


def recipients_for(event: TicketEvent) -> list[tuple[object, str]]:
    """(user, NotificationKind) pairs for ``event``; empty for internal events."""
    if not event.public and event.kind != EventKind.TEAM_CHANGED:
        return []
    ticket = event.ticket
    actor = event.actor
    actor_is_agent = actor is not None and actor.is_agent
    out: list[tuple[object, str]] = []

    def requester_side() -> list:
        people = [ticket.requester, *ticket.collaborators.all()]
        return [p for p in people if p.is_active and (actor is None or p.pk != actor.pk)]

    if event.kind == EventKind.CREATED:
        if ticket.requester.is_active:
            out.append((ticket.requester, NotificationKind.TICKET_CREATED))
    elif event.kind == EventKind.MESSAGE_ADDED:
        if actor_is_agent:
            out += [(p, NotificationKind.AGENT_REPLIED) for p in requester_side()]
        elif (
            ticket.assignee is not None
            and ticket.assignee.is_active
            and ticket.assignee_id != getattr(actor, "pk", None)
        ):
            out.append((ticket.assignee, NotificationKind.REQUESTER_REPLIED))
    elif event.kind == EventKind.STATUS_CHANGED and event.data.get("new") in (Status.PENDING, Status.SOLVED):
        came_with_reply = TicketEvent.objects.filter(
            ticket=ticket, kind=EventKind.MESSAGE_ADDED, created_at=event.created_at, actor=actor
        ).exists()
        if not came_with_reply:
            out += [(p, NotificationKind.STATUS_CHANGED) for p in requester_side()]
    elif event.kind == EventKind.ASSIGNED:
        new = (event.data or {}).get("new")
        still_theirs = new and ticket.assignee_id == new["id"] and ticket.assignee.is_active
        if still_theirs and (actor is None or new["id"] != actor.pk):
            out.append((ticket.assignee, NotificationKind.ASSIGNED))
    elif event.kind == EventKind.TEAM_CHANGED:
        new = (event.data or {}).get("new")
        if new and ticket.team_id == new["id"] and ticket.assignee_id is None and ticket.status == Status.OPEN:
            members = ticket.team.members.filter(is_active=True, notify_team_tickets=True)
            if actor is not None:
                members = members.exclude(pk=actor.pk)
            out += [(member, NotificationKind.TEAM_TICKET) for member in members]
    return out


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


def send_email(notification: Notification) -> bool:
    """Send one notification's mail unless it went out already. True when sent now."""
    if notification.emailed_at is not None:
        return False
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        return False
    ticket = notification.ticket
    context = _context(notification)
    subject = render_to_string(f"emails/{notification.kind}_subject.txt", context)
    subject = " ".join(subject.split())  # one line, whatever the ticket subject held
    text = render_to_string(f"emails/{notification.kind}.txt", context)
    html = render_to_string(f"emails/{notification.kind}.html", context)
    domain = _mail_domain()
    thread = f"<ticket-{ticket.pk}@{domain}>"
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[recipient.email],
        headers={
            "Message-ID": f"<ticket-{ticket.pk}.event-{notification.event_id}.user-{recipient.pk}@{domain}>",
            "In-Reply-To": thread,
            "References": thread,
            "X-Helpdesk-Ticket": str(ticket.pk),
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(html, "text/html")
    mail.send()
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def _context(notification: Notification) -> dict:
    ticket: Ticket = notification.ticket
    event = notification.event
    recipient = notification.recipient
    message = None
    message_id = (event.data or {}).get("message_id")
    if message_id and notification.kind in (
        NotificationKind.TICKET_CREATED,
        NotificationKind.AGENT_REPLIED,
        NotificationKind.REQUESTER_REPLIED,
    ):
        # Only public messages are ever quoted; a note could not be the cause of these kinds.
        message = Message.objects.filter(pk=message_id, internal=False).first()
    site = settings.HELPDESK_SITE_URL.rstrip("/")
    path = f"/agent/tickets/{ticket.pk}/" if recipient.is_agent else f"/portal/tickets/{ticket.pk}/"
    return {
        "ticket": ticket,
        "subject": " ".join(ticket.subject.split()),
        "event": event,
        "recipient": recipient,
        "message": message,
        "ticket_url": f"{site}{path}",
        "status_label": Status(ticket.status).label,
        "actor_name": event.actor_name,
    }


def _mail_domain() -> str:
    return urlsplit(settings.HELPDESK_SITE_URL).hostname or "helpdesk.local"
