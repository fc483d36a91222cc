"""What the agent's ticket page shows of the SLA (issue 17): each target's clock in words.

One query (the ticket's clocks with their policy), and none for a ticket without clocks (the
page's ticket query says so: ``has_sla_clocks``, ``selectors.ticket_get_for_user``). Agents
only: the clocks are internal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import permissions
from tickets.models import Status
from tickets.sla import display
from tickets.sla.models import ClockState, Metric, SlaClock

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

#: The order metrics are listed in (the order a ticket meets them).
ORDER = [m.value for m in Metric]


#: What ``_row`` and the card read of a clock.
CARD_FIELDS = ("ticket_id", "policy_id", "metric", "state", "breach_at", "fulfilled_at", "breached_at")


@dataclass(frozen=True)
class Row:
    metric: str  # its label
    state: str  # "running", "paused", "fulfilled", "breached"
    state_label: str
    detail: str  # time left / overdue / why paused / when met
    due: display.Due | None
    breach_at: datetime | None
    fulfilled_at: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class Card:
    policy: str
    rows: list[Row]


def _row(clock: SlaClock, ticket: Ticket, now: datetime) -> Row:
    state = clock.state
    due = None
    if state == ClockState.RUNNING:
        due = display.due(clock.breach_at, now)
        detail = due.text if due else ""
    elif state == ClockState.PAUSED:
        detail = _("paused while pending") if ticket.status == Status.PENDING else _("paused")
    elif state == ClockState.FULFILLED:
        detail = _("met")
    elif clock.fulfilled_at is None:  # breached, still not met
        due = display.due(clock.breach_at, now)
        detail = due.text if due else ""
    else:
        detail = _("met late")
    return Row(
        metric=str(Metric(clock.metric).label) if clock.metric in Metric.values else clock.metric,
        state=state,
        state_label=str(ClockState(state).label),
        detail=detail,
        due=due,
        breach_at=clock.breach_at,
        fulfilled_at=clock.fulfilled_at,
        breached_at=clock.breached_at,
    )


def ticket_sla(user: User, ticket: Ticket, now: datetime | None = None) -> Card | None:
    """The SLA card of ``ticket`` for ``user``; None when there is nothing to show (or they may
    not read the ticket's internal side)."""
    if not permissions.internal_visible(user, ticket):
        return None
    if not getattr(ticket, "has_sla_clocks", True):  # known from the ticket's own query
        return None
    # The card prints the policy's name only: its conditions, recipients and actions (JSON) stay unread.
    shown = SlaClock.objects.filter(ticket=ticket).select_related("policy").only(*CARD_FIELDS, "policy__name")
    clocks = sorted(shown, key=lambda c: ORDER.index(c.metric))
    if not clocks:
        return None
    now = now or timezone.now()
    names = [c.policy.name for c in clocks if c.policy is not None]
    return Card(policy=names[0] if names else "", rows=[_row(c, ticket, now) for c in clocks])
