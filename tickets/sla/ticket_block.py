"""A ticket's SLA block as the API shows it (``TicketOut.sla``): its policy and each metric's clock.

Read as rows, not model instances: a page of tickets reads its clocks in one query
(``attach_sla``, called by the API's list serializer), a single ticket in one of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from helpdesk.api.fields import NamedOut
from tickets.sla.models import ClockState, Metric, SlaClock

if TYPE_CHECKING:
    from tickets.models import Ticket


class SlaMetricOut(serializers.Serializer):
    metric = serializers.ChoiceField(choices=Metric.choices)
    target_minutes = serializers.IntegerField()
    business_hours = serializers.BooleanField()
    breach_at = serializers.DateTimeField(allow_null=True, help_text="Set while the clock runs, and once breached.")
    state = serializers.ChoiceField(choices=ClockState.choices)


class SlaOut(serializers.Serializer):
    policy = NamedOut(allow_null=True)
    metrics = SlaMetricOut(many=True)


#: Where ``attach_sla`` leaves each ticket's clocks.
SLA_PREFETCHED = "sla_block_clock_list"

#: What ``sla_block`` prints of a clock and its policy, read as rows: a policy row also holds its
#: conditions, recipients and actions as JSON, and model instances of a page's clocks cost more
#: than the rows' values.
SLA_BLOCK_FIELDS = (
    "ticket_id",
    "metric",
    "target_minutes",
    "business_hours",
    "breach_at",
    "state",
    "policy_id",
    "policy__name",
)


def sla_block_clocks() -> Any:
    """Clocks as ``sla_block`` reads them: rows of their own figures and their policy's id and name."""
    return SlaClock.objects.values(*SLA_BLOCK_FIELDS)


def attach_sla(tickets: list[Ticket]) -> None:
    """Each ticket's clocks for ``TicketOut``'s ``sla`` block, in one query for a page: only for
    tickets whose reader may see the internal side (nobody else is shown the block)."""
    wanted = {
        ticket.pk: ticket
        for ticket in tickets
        if getattr(ticket, "reads_internal", False) and not hasattr(ticket, SLA_PREFETCHED)
    }
    if not wanted:
        return
    for ticket in wanted.values():
        setattr(ticket, SLA_PREFETCHED, [])
    for row in sla_block_clocks().filter(ticket_id__in=list(wanted)).order_by():
        getattr(wanted[row["ticket_id"]], SLA_PREFETCHED).append(row)


#: The metrics in the order the block lists them (an enum's iteration, done once, not per ticket).
_METRIC_ORDER = {metric.value: position for position, metric in enumerate(Metric)}


def sla_block(clocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A ticket's ``sla`` block: its policy and each metric's clock (None: no clock)."""
    if not clocks:
        return None
    clocks = sorted(clocks, key=lambda c: _METRIC_ORDER.get(c["metric"], len(_METRIC_ORDER)))
    policy = next((c for c in clocks if c["policy_id"] is not None), None)
    return {
        "policy": {"id": policy["policy_id"], "name": policy["policy__name"]} if policy is not None else None,
        "metrics": [
            {
                "metric": c["metric"],
                "target_minutes": c["target_minutes"],
                "business_hours": c["business_hours"],
                "breach_at": c["breach_at"],
                "state": c["state"],
            }
            for c in clocks
        ],
    }
