"""``generate_tickets`` and the SLA (issue 17): a business schedule, two policies, and per ticket
the clocks ``tickets.sla.refresh`` would have left after its story — checked by running the
refresh over the generated tickets and finding nothing to change."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from tickets.generate import sla as gen_sla
from tickets.models import Message, Status, Ticket
from tickets.sla.models import ClockState, Metric, Schedule, SlaClock, SlaPolicy
from tickets.sla.refresh import open_breach_at, sla_refresh

ANCHOR = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)  # a Wednesday, in New York's business hours
N = 1500
FIELDS = (
    "policy_id",
    "metric",
    "target_minutes",
    "business_hours",
    "state",
    "started_at",
    "resumed_at",
    "paused_at",
    "used_seconds",
    "breach_at",
    "fulfilled_at",
    "breached_at",
)


@pytest.fixture
def generated(db):
    out = io.StringIO()
    call_command("generate_tickets", tickets=N, seed=4, anchor=ANCHOR.isoformat(), no_progress=True, stdout=out)
    return out.getvalue()


def _clocks(tickets) -> dict[tuple[int, str], tuple]:
    rows = SlaClock.objects.filter(ticket__in=tickets).values_list("ticket_id", *FIELDS)
    return {(row[0], row[2]): row[1:] for row in rows}


def test_the_desk_gets_a_schedule_with_holidays_and_two_policies(generated):
    assert "sla_clocks=" in generated
    schedule = Schedule.objects.get(name=gen_sla.SCHEDULE)
    assert (schedule.time_zone, schedule.country, schedule.intervals.count()) == ("America/New_York", "US", 5)
    assert schedule.calendar().is_holiday(datetime(2026, 7, 3).date())  # Independence Day, observed
    security, standard = SlaPolicy.objects.order_by("position")
    assert (security.name, standard.name) == (gen_sla.SECURITY, gen_sla.STANDARD)
    assert security.targets.count() == standard.targets.count() == 12
    assert not security.targets.filter(business_hours=True).exists()
    assert not standard.targets.filter(business_hours=False).exists()


def test_clocks_only_since_the_policies_were_adopted(generated):
    since = ANCHOR - timedelta(days=gen_sla.ADOPTED_DAYS)
    with_clocks = Ticket.objects.filter(sla_clocks__isnull=False).distinct()
    assert with_clocks.exists()
    assert not with_clocks.filter(created_at__lt=since).exists()
    assert not Ticket.objects.filter(created_at__lt=since, sla_breach_at__isnull=False).exists()
    # Every ticket created since then has its first reply and resolution clocks.
    recent = Ticket.objects.filter(created_at__gte=since)
    assert recent.count() == SlaClock.objects.filter(metric=Metric.RESOLUTION_TIME).count()
    assert recent.count() == SlaClock.objects.filter(metric=Metric.FIRST_REPLY_TIME).count()
    security = SlaClock.objects.filter(policy__name=gen_sla.SECURITY)
    assert security.exists() and set(security.values_list("ticket__category", flat=True)) == {"security"}


def test_the_refresh_finds_nothing_to_change(generated):
    """The clocks are those the refresh keeps: run over every ticket with clocks at the anchor,
    it changes no clock and no next breach."""
    tickets = list(Ticket.objects.filter(sla_clocks__isnull=False).distinct().order_by("pk"))
    before = _clocks(tickets)
    breach = {t.pk: t.sla_breach_at for t in tickets}
    for ticket in tickets:
        sla_refresh(ticket, ANCHOR)
    assert _clocks(tickets) == before
    assert {t.pk: t.sla_breach_at for t in Ticket.objects.filter(pk__in=breach)} == breach


def test_clocks_follow_each_story(generated):
    clocks = list(SlaClock.objects.select_related("ticket"))
    for clock in clocks:
        ticket = clock.ticket
        if clock.metric == Metric.FIRST_REPLY_TIME:
            met = ticket.first_response_at or ticket.solved_at
        elif clock.metric == Metric.RESOLUTION_TIME:
            met = ticket.solved_at
        else:
            continue
        if clock.state == ClockState.RUNNING:
            assert met is None and clock.breach_at > ANCHOR and ticket.status not in (Status.SOLVED, Status.CLOSED)
        elif clock.state == ClockState.FULFILLED:
            assert clock.fulfilled_at == met and met <= clock.breach_at
        else:
            assert clock.breached_at == clock.breach_at and clock.breach_at <= (met or ANCHOR)
            assert clock.fulfilled_at == met
    # The next reply clock is the last cycle: the oldest customer message left unanswered, or
    # the last one answered.
    for clock in [c for c in clocks if c.metric == Metric.NEXT_REPLY_TIME]:
        message = Message.objects.get(ticket=clock.ticket, created_at=clock.started_at, internal=False)
        assert message.author_role == "customer"
    # Each ticket's next breach is its earliest open one.
    due: dict[int, list[datetime]] = {}
    for clock in clocks:
        at = open_breach_at(clock)
        if at is not None:
            due.setdefault(clock.ticket_id, []).append(at)
    flagged = dict(Ticket.objects.filter(sla_breach_at__isnull=False).values_list("pk", "sla_breach_at"))
    assert flagged == {pk: min(ats) for pk, ats in due.items()}


def test_most_targets_are_met_and_some_are_missed(generated):
    finished = Counter(
        SlaClock.objects.filter(ticket__status__in=[Status.SOLVED, Status.CLOSED]).values_list("state", flat=True)
    )
    assert finished[ClockState.FULFILLED] > 3 * finished[ClockState.BREACHED] > 0
    assert finished[ClockState.RUNNING] == 0
    unsolved = Ticket.objects.exclude(status__in=[Status.SOLVED, Status.CLOSED]).filter(sla_breach_at__isnull=False)
    assert unsolved.filter(sla_breach_at__gt=ANCHOR).exists() and unsolved.filter(sla_breach_at__lte=ANCHOR).exists()


def test_a_second_run_reuses_the_policies(generated):
    policies = list(SlaPolicy.objects.values_list("pk", flat=True))
    call_command(
        "generate_tickets", tickets=50, seed=5, anchor=ANCHOR.isoformat(), no_progress=True, stdout=io.StringIO()
    )
    assert list(SlaPolicy.objects.values_list("pk", flat=True)) == policies
    assert Schedule.objects.filter(name=gen_sla.SCHEDULE).count() == 1
