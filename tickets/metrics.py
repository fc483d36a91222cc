"""The desk's own gauges for ``/metrics`` (``helpdesk.metrics`` reads them through the settings
HELPDESK_METRICS_PROCESS_GAUGES and HELPDESK_METRICS_DESK_GAUGES, as plumbing never imports tickets).

Each query is answered from an index: the email intake's partial index on waiting and quarantined
messages (``inbound_pending_idx``) and the queue's index on the next SLA breach
(``ticket_sla_breach_idx``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone

from tickets.live.hub import hub
from tickets.mail.models import InboundMessage, InboundState
from tickets.models import Ticket

Sample = tuple[str, str, dict[str, str], float]

#: "Due soon" for SLA clocks: the same 30 minutes as the sweeper's warnings.
SLA_SOON = timedelta(minutes=30)


def open_streams() -> int:
    """Live-update streams this web process is serving."""
    return hub.open_streams()


def desk_gauges() -> Iterator[Sample]:
    now = timezone.now()
    waiting = {
        row["state"]: row
        for row in InboundMessage.objects.filter(state__in=[InboundState.RECEIVED, InboundState.QUARANTINED])
        .order_by()
        .values("state")
        .annotate(count=Count("id"), oldest=Min("received_at"))
    }
    for state in (InboundState.RECEIVED, InboundState.QUARANTINED):
        yield (
            "helpdesk_email_intake_backlog",
            "Inbound email stored but not yet turned into tickets (received) or set aside (quarantined).",
            {"state": str(state)},
            waiting[state]["count"] if state in waiting else 0,
        )
    oldest = waiting[InboundState.RECEIVED]["oldest"] if InboundState.RECEIVED in waiting else None
    yield (
        "helpdesk_email_intake_oldest_seconds",
        "Age of the oldest inbound email still waiting to be processed (0 when none waits).",
        {},
        max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
    )
    breached = Ticket.objects.filter(sla_breach_at__lte=now).count()
    soon = Ticket.objects.filter(sla_breach_at__gt=now, sla_breach_at__lte=now + SLA_SOON).count()
    documentation = "Tickets whose next SLA target has passed (breached) or passes within 30 minutes (soon)."
    yield ("helpdesk_sla_tickets_due", documentation, {"due": "breached"}, breached)
    yield ("helpdesk_sla_tickets_due", documentation, {"due": "soon"}, soon)
