"""What the hook adds to a write: printed (``-s``) for the report; asserted only on queries.

The first write after the policies change compiles them (a few queries, once per version and
process); every later write pays the refresh alone: at most 8 queries under a policy (the
savepoint and its release, the ticket's lock, its clocks, one aggregate over its messages, the
clocks that changed and the events they record, the ticket's next breach), none without one.
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import Priority
from tickets.sla.models import Metric
from tickets.tests.sla.support import policy, weekday_schedule

TARGETS = [
    (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 120, True),
    (Priority.NORMAL, Metric.NEXT_REPLY_TIME, 120, True),
    (Priority.NORMAL, Metric.REQUESTER_WAIT_TIME, 600, True),
    (Priority.NORMAL, Metric.RESOLUTION_TIME, 1200, False),
]


def _writes(ticket, customer, agent, capture, rounds=15):
    timings, queries = [], []
    for index in range(rounds):
        with CaptureQueriesContext(connection) as seen:
            start = time.perf_counter()
            with capture(execute=True):
                services.message_add(actor=customer if index % 2 else agent, ticket=ticket, body=f"Reply {index}")
            timings.append(time.perf_counter() - start)
        queries.append(len(seen))
    # Steady state: the rounds after the first (which may fill per-version caches).
    return min(timings), statistics.median(timings), max(queries[1:])


@pytest.mark.django_db
def test_time_added_per_write(customer, agent, django_capture_on_commit_callbacks):
    ticket = services.ticket_create(actor=customer, subject="Measured ticket", description="x" * 20)
    bare = _writes(ticket, customer, agent, django_capture_on_commit_callbacks)
    weekday_schedule()
    urgent_only = {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]}
    policy("Urgent", position=0, conditions=urgent_only, targets=[(Priority.URGENT, Metric.FIRST_REPLY_TIME, 30, True)])
    policy("VIP", position=1, conditions={"all": [{"field": "channel", "operator": "is", "value": "email"}]})
    policy("Everyone", position=2, targets=TARGETS)
    with_policies = _writes(ticket, customer, agent, django_capture_on_commit_callbacks)
    print(
        f"\nper write, no policy: fastest {bare[0] * 1000:.1f} ms, median {bare[1] * 1000:.1f} ms, {bare[2]} queries at most"
        f"\nper write, 3 policies: fastest {with_policies[0] * 1000:.1f} ms, median {with_policies[1] * 1000:.1f} ms,"
        f" {with_policies[2]} queries at most (+{with_policies[2] - bare[2]})"
    )
    assert with_policies[2] > bare[2]  # the refresh ran
    assert with_policies[2] - bare[2] <= 8  # a regression in the refresh's queries fails here
