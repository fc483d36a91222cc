"""The demo desk's service level agreement (``manage.py seed_demo``, issue 17): office hours, one
policy, and every ticket's clocks from its history — with the unsolved backlog recent and its
urgent and high tickets placed so that the SLA views show a believable mix at any hour."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tickets.models import Attachment, Message, Status, Ticket, TicketEvent

#: How many hours ago an unsolved demo ticket arrived (a range per status).
RECENT_HOURS: dict[str, tuple[float, float]] = {
    Status.OPEN: (0.5, 30),
    Status.IN_PROGRESS: (2, 60),
    Status.PENDING: (12, 120),
    Status.ON_HOLD: (24, 144),
}
#: The demo's SLA moments, for its unsolved urgent and high tickets (their clocks run around the
#: clock): two breach within the hour, four are overdue, the others are on track.
BREACHING_SOON = ((20, 35), (40, 55))  # minutes from now
OVERDUE = ((60, 180), (240, 480), (600, 900), (1000, 1400))  # minutes ago
ON_TRACK = (90, 230)  # minutes from now (within the shortest target, 4 h)


def arrived(ticket_id: int, when: datetime) -> None:
    """Move a ticket's whole history (order and gaps kept) so that it was opened at ``when``,
    or as close after as keeps its last step at least five minutes in the past."""
    ticket = Ticket.objects.get(pk=ticket_id)
    latest = timezone.now() - timedelta(minutes=5)
    by = min(when - ticket.created_at, latest - ticket.updated_at)
    messages = list(Message.objects.filter(ticket_id=ticket_id))
    events = list(TicketEvent.objects.filter(ticket_id=ticket_id))
    attachments = list(Attachment.objects.filter(ticket_id=ticket_id))
    for message in messages:
        message.created_at += by
    for event in events:
        event.created_at += by
    for attachment in attachments:
        attachment.created_at += by
    Message.objects.bulk_update(messages, ["created_at"])
    TicketEvent.objects.bulk_update(events, ["created_at"])
    Attachment.objects.bulk_update(attachments, ["created_at"])
    fields = ["created_at", "updated_at", "public_activity_at", "first_response_at", "solved_at", "closed_at"]
    for name in fields:
        moment = getattr(ticket, name)
        setattr(ticket, name, None if moment is None else moment + by)
    ticket.save(update_fields=fields)


def apply(recent: random.Random) -> None:
    """Office hours (Mon–Fri 09:00–17:00 in the desk's time zone) and one policy for every
    ticket with targets per priority (urgent and high around the clock, the others in office
    hours); then every ticket's clocks from its history, as if the policy had always applied:
    solved tickets met or missed their targets, the recent backlog is mostly on track. Last,
    the unsolved urgent and high tickets are placed (``BREACHING_SOON``, ``OVERDUE``,
    ``ON_TRACK``) so the SLA views have something to show at whatever hour the desk is seeded."""
    from datetime import time

    from tickets.sla import services as sla_services
    from tickets.sla.models import Metric
    from tickets.sla.refresh import sla_refresh

    office = [(day, time(9), time(17)) for day in range(5)]
    sla_services.schedule_save(name="Office hours", time_zone=settings.TIME_ZONE, is_default=True, intervals=office)
    # first reply, resolution (hours), office hours only (urgent and high: around the clock)
    hours = {"urgent": (4, 24, False), "high": (16, 48, False), "normal": (12, 60, True), "low": (24, 120, True)}
    targets = []
    for priority, (first, resolution, business) in hours.items():
        targets += [
            (priority, Metric.FIRST_REPLY_TIME, first * 60, business),
            (priority, Metric.NEXT_REPLY_TIME, first * 2 * 60, business),
            (priority, Metric.RESOLUTION_TIME, resolution * 60, business),
            # As long as resolution, but paused while the ticket waits on its requester (pending):
            # the ticket page shows it "paused while pending"; it never breaches before resolution.
            (priority, Metric.REQUESTER_WAIT_TIME, resolution * 60, business),
        ]
    sla_services.policy_save(name="Standard support", description="Every ticket.", targets=targets)
    now = timezone.now()
    for ticket in Ticket.objects.order_by("pk"):
        sla_refresh(ticket, now)
    # Unsolved urgent and high tickets run around the clock: squeezing or stretching a
    # history toward now moves its breach exactly, which places them at the moments above
    # (the others, in office hours, keep the breaches their histories give them).
    picked = list(
        Ticket.objects.filter(priority__in=["urgent", "high"], sla_breach_at__isnull=False)
        .exclude(status__in=[Status.SOLVED, Status.CLOSED])
        .order_by("pk")
    )
    moments = [+recent.uniform(*span) for span in BREACHING_SOON]
    moments += [-recent.uniform(*span) for span in OVERDUE]
    moments += [recent.uniform(*ON_TRACK) for _ in range(len(picked) - len(moments))]
    for ticket, minutes in zip(picked, moments, strict=False):
        _rescale(ticket, now, now + timedelta(minutes=minutes))
        sla_refresh(ticket, now)
    _policy_applied_at_creation()


def _policy_applied_at_creation() -> None:
    """The refreshes above recorded "SLA policy applied" now; as the policy always applied, each
    ticket's history shows it at the ticket's creation, before the targets it met or missed."""
    from django.db.models import OuterRef, Subquery

    from tickets.models import EventKind

    created = Ticket.objects.filter(pk=OuterRef("ticket_id")).values("created_at")[:1]
    TicketEvent.objects.filter(kind=EventKind.SLA_POLICY_APPLIED).update(created_at=Subquery(created))


def _rescale(ticket: Ticket, now: datetime, due: datetime) -> None:
    """Scale ``ticket``'s history toward ``now`` (every moment ``m`` becomes
    ``now - (now - m) * k``: order and proportions kept, nothing in the future) so that its
    next breach is ``due``; forget its clocks, for the refresh that follows. Its open clocks
    all count calendar hours (urgent and high), so each breaches at start + target."""
    from tickets.models import EventKind
    from tickets.sla.models import ClockState, SlaClock

    clocks = SlaClock.objects.filter(ticket=ticket)
    open_clocks = [
        (now - c.started_at, timedelta(minutes=c.target_minutes))
        for c in clocks
        if c.state == ClockState.RUNNING or (c.state == ClockState.BREACHED and c.fulfilled_at is None)
    ]
    if not open_clocks or any(c.business_hours for c in clocks):
        return  # office-hours clocks do not move with the history one to one

    def next_breach(k: float) -> datetime:
        return min(now - age * k + target for age, target in open_clocks)

    low, high = 0.0, 50.0  # next_breach falls as k grows: bisect for the k that gives ``due``
    if not next_breach(high) <= due <= next_breach(low):
        return
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if next_breach(middle) > due else (low, middle)
    k = (low + high) / 2

    def moved(moment: datetime | None) -> datetime | None:
        return None if moment is None else now - (now - moment) * k

    clocks.delete()
    sla_kinds = [
        EventKind.SLA_POLICY_APPLIED,
        EventKind.SLA_FULFILLED,
        EventKind.SLA_WARNING,
        EventKind.SLA_BREACHED,
    ]
    TicketEvent.objects.filter(ticket=ticket, kind__in=sla_kinds).delete()
    messages = list(Message.objects.filter(ticket=ticket))
    events = list(TicketEvent.objects.filter(ticket=ticket))
    attachments = list(Attachment.objects.filter(ticket=ticket))
    for message in messages:
        message.created_at = now - (now - message.created_at) * k
    for event in events:
        event.created_at = now - (now - event.created_at) * k
    for attachment in attachments:
        attachment.created_at = now - (now - attachment.created_at) * k
    Message.objects.bulk_update(messages, ["created_at"])
    TicketEvent.objects.bulk_update(events, ["created_at"])
    Attachment.objects.bulk_update(attachments, ["created_at"])
    fields = ["created_at", "updated_at", "public_activity_at", "first_response_at", "solved_at", "closed_at"]
    for name in fields:
        setattr(ticket, name, moved(getattr(ticket, name)))
    ticket.sla_breach_at = None
    ticket.save(update_fields=[*fields, "sla_breach_at"])
