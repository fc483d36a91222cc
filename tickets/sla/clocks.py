"""What each SLA metric's clock does, decided from a ticket's facts alone (a pure function).

=====================  ==========================  =====================  ===========================  ============================
metric                 a cycle starts              pauses while           stops (fulfilled)            notes
=====================  ==========================  =====================  ===========================  ============================
first_reply_time       at creation                 never                  first public support reply   solved/closed without a
                                                                          (``first_response_at``)      reply also stops it
next_reply_time        at the oldest public        never                  the next public support      only after the first reply
                       customer message after the                         reply; solved/closed         (before it, first reply time
                       last public support reply                                                       is the one running); a new
                                                                                                       cycle per unanswered message
periodic_update        at each public support      pending                the next public support      starts after the first reply;
                       reply                                              reply; solved/closed         a new cycle per update
requester_wait_time    at creation                 pending                solved/closed                reopening resumes it with the
                                                                                                       time already used
resolution_time        at creation                 never (pending and     solved/closed                reopening resumes it with the
                                                   on hold count)                                      time already used
=====================  ==========================  =====================  ===========================  ============================

As Zendesk does, requester wait time pauses only while the ticket waits on the requester
(pending), and full resolution time never pauses; "on hold" (waiting on a third party) still
keeps the requester waiting, so it pauses neither. A clock breaches when its ``breach_at``
passes while it runs (``tickets.sla.refresh`` and the sweeper mark it); a breached clock stays
breached, and still records when it was fulfilled.

"Support reply" means a public message by an agent or admin; "customer message" a public message
by the requester's side. Pauses and resumptions take effect at the refresh that sees the new
status (the services refresh after every committed change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from tickets.models import Status
from tickets.sla.models import Metric

PhaseKind = Literal["none", "running", "paused", "done"]
NONE: Final = "none"
RUNNING: Final = "running"
PAUSED: Final = "paused"
DONE: Final = "done"

FINISHED = (Status.SOLVED, Status.CLOSED)
#: Per metric, the statuses that pause its clock.
PAUSES: dict[str, tuple[str, ...]] = {
    Metric.FIRST_REPLY_TIME: (),
    Metric.NEXT_REPLY_TIME: (),
    Metric.PERIODIC_UPDATE: (Status.PENDING,),
    Metric.REQUESTER_WAIT_TIME: (Status.PENDING,),
    Metric.RESOLUTION_TIME: (),
}
#: Metrics measured again for each exchange: one clock per ticket, reset at each new cycle.
CYCLIC = (Metric.NEXT_REPLY_TIME, Metric.PERIODIC_UPDATE)


@dataclass(frozen=True)
class Facts:
    status: str
    created_at: datetime
    first_response_at: datetime | None
    # The last public reply by an agent or admin.
    last_support_reply_at: datetime | None
    # The oldest public customer message after the last support reply (None: all answered).
    unanswered_since: datetime | None
    # When the ticket was solved or closed (None while unsolved).
    finished_at: datetime | None


@dataclass(frozen=True)
class Phase:
    kind: PhaseKind
    # When the current cycle began (None for "none", and for a cyclic metric with no open cycle).
    cycle_start: datetime | None = None
    # For "done": when the target was met.
    done_at: datetime | None = None


def decide(metric: str, facts: Facts) -> Phase:
    """Where ``metric``'s clock should stand for a ticket with these facts."""
    finished = facts.status in FINISHED
    paused = facts.status in PAUSES[metric]
    if metric == Metric.FIRST_REPLY_TIME:
        if facts.first_response_at is not None:
            return Phase(DONE, facts.created_at, facts.first_response_at)
        if finished:
            return Phase(DONE, facts.created_at, facts.finished_at)
        return Phase(RUNNING, facts.created_at)
    if metric == Metric.NEXT_REPLY_TIME:
        if facts.first_response_at is None:
            return Phase(NONE)
        if facts.unanswered_since is None:
            # Every customer message is answered: a cycle in progress ended with the last reply.
            return Phase(DONE, None, facts.last_support_reply_at)
        if finished:
            return Phase(DONE, facts.unanswered_since, facts.finished_at)
        return Phase(RUNNING, facts.unanswered_since)
    if metric == Metric.PERIODIC_UPDATE:
        if facts.first_response_at is None or facts.last_support_reply_at is None:
            return Phase(NONE)
        if finished:
            return Phase(DONE, facts.last_support_reply_at, facts.finished_at)
        return Phase(PAUSED if paused else RUNNING, facts.last_support_reply_at)
    if metric in (Metric.REQUESTER_WAIT_TIME, Metric.RESOLUTION_TIME):
        if finished:
            return Phase(DONE, facts.created_at, facts.finished_at)
        return Phase(PAUSED if paused else RUNNING, facts.created_at)
    raise ValueError(f"Unknown metric {metric!r}")


def previous_cycle_end(metric: str, facts: Facts) -> datetime | None:
    """For a cyclic metric starting a new cycle: when the previous one was met (the support reply
    that answered it)."""
    return facts.last_support_reply_at if metric in CYCLIC else None
