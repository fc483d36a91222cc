"""Notification email: one message per notification, threaded per ticket, sent once."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.languages import speaking_to
from tickets import history, permissions
from tickets.models import Message, Notification, NotificationKind, Status, Ticket, TicketEvent
from tickets.notifications import mailthread
from tickets.satisfaction import selectors as satisfaction_selectors


def send_email(notification: Notification) -> bool:
    """Send one notification's mail unless it went out already. True when sent now."""
    if notification.emailed_at is not None:
        return False
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        return False
    if recipient.email_bouncing_since is not None:  # until mail from the address arrives again
        return False
    ticket = notification.ticket
    # In the recipient's language and time zone, whoever made the change (and whatever the
    # request or worker had active): each recipient's mail is written on its own.
    with speaking_to(recipient):
        context = _context(notification)
        subject = " ".join(
            render_to_string(f"emails/{notification.kind}_subject.txt", context).split()
        )  # one line, whatever the ticket subject held
        text = render_to_string(f"emails/{notification.kind}.txt", context)
        html = render_to_string(f"emails/{notification.kind}.html", context)
    # Threading (tickets.notifications.mailthread): a random Message-ID kept with the ticket, the
    # thread's newest message answered, replies to the ticket's signed address.
    message_id = mailthread.new_message_id(ticket.pk)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[recipient.email],
        reply_to=[mailthread.reply_address(ticket.pk)],
        headers={
            "Message-ID": f"<{message_id}>",
            **mailthread.thread_headers(ticket.pk),
            "X-Helpdesk-Ticket": str(ticket.pk),
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(html, "text/html")
    mail.send()
    mailthread.remember(ticket.pk, message_id, outbound=True)
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
    path = permissions.ticket_path_for(recipient, ticket.pk)
    context = {
        "ticket": ticket,
        "subject": " ".join(ticket.subject.split()),
        "event": event,
        "recipient": recipient,
        "message": message,
        "ticket_url": f"{site}{path}",
        "status_label": Status(ticket.status).label,
        "actor_name": history.actor_name(event),
        # The mail about a solve asks the requester to rate it (tickets.satisfaction): two links.
        "survey": satisfaction_selectors.survey_for_notification(notification)
        if notification.kind in (NotificationKind.STATUS_CHANGED, NotificationKind.AGENT_REPLIED)
        else None,
    }
    if notification.kind in (NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACHED):
        context["sla"] = _sla(event)
    return context


def _sla(event: TicketEvent) -> dict[str, Any]:
    """What an SLA warning or breach mail says: the target (its label, in the language being
    written), the policy, when it falls or fell due, and how far ahead the warning comes. Read
    off the event the sweeper recorded, so the mail says what happened then."""
    from tickets.sla.models import Metric

    data = event.data or {}
    metric = data.get("metric")
    due = event.created_at
    if data.get("due"):
        with contextlib.suppress(ValueError, TypeError):
            due = datetime.fromisoformat(data["due"])
    return {
        "metric": str(Metric(metric).label).lower() if metric in Metric.values else _("SLA"),
        "policy": ((data.get("policy") or {}).get("name") or "") if isinstance(data.get("policy"), dict) else "",
        "due": due,
        "minutes": data.get("warning_minutes") or 30,
    }
