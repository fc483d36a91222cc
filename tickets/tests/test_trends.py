"""Statistics over time (``tickets.trends``): every bucket checked against a brute-force replay of
each ticket's history, on hand-written and generated histories, in several time zones."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from helpdesk import memo
from tickets import caching, periods, permissions, services, trends
from tickets.models import UNSOLVED_STATUSES, EventKind, Status, Ticket, TicketEvent
from tickets.services.lifecycle import TRANSITIONS

# A Monday at noon UTC; the EU moves to summer time on Sunday 2026-03-29, the US on 2026-03-08.
T0 = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


class Clock:
    """Moves ``timezone.now`` (which the services stamp every row with) to chosen instants."""

    def __init__(self, monkeypatch):
        self.now = T0
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, hours: float) -> None:
        self.now = T0 + timedelta(hours=hours)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def desk(clock, customer, agent, admin, team_agent, billing_team, tech_team):
    return {
        "clock": clock,
        "customer": customer,
        "agent": agent,
        "admin": admin,
        "team_agent": team_agent,
        "teams": {"billing": billing_team, "tech": tech_team, None: None},
        "tickets": {},
    }


def play(desk, steps) -> None:
    """Run ``steps``: ``(hour, action, label, argument)``, through the services at those hours."""
    tickets = desk["tickets"]
    customer, agent, admin = desk["customer"], desk["agent"], desk["admin"]
    for hour, action, label, arg in steps:
        desk["clock"].at(hour)
        if action == "create":  # a customer files it; an admin routes it to team ``arg``
            ticket = services.ticket_create(
                actor=customer, subject=f"Ticket {label} needs help", description="Something is broken here."
            )
            if arg is not None:
                ticket = services.ticket_update(actor=admin, ticket=ticket, team=desk["teams"][arg])
            tickets[label] = ticket
        elif action == "create_solved":  # an agent logs a phone call already solved, in team ``arg``
            tickets[label] = services.ticket_create(
                actor=agent,
                requester=customer,
                subject=f"Phoned in {label}",
                description="Solved on the phone already.",
                team=desk["teams"][arg],
                status=Status.SOLVED,
            )
        elif action == "reply":  # an agent's public reply (the first one is the first response)
            services.message_add(actor=agent, ticket=tickets[label], body="Here is what to do.")
        elif action == "solve":
            services.ticket_change_status(
                actor=desk[arg] if arg else agent, ticket=tickets[label], status=Status.SOLVED
            )
        elif action == "pending":
            services.ticket_change_status(actor=agent, ticket=tickets[label], status=Status.PENDING)
        elif action == "reopen":  # the requester answers the solved ticket
            services.message_add(actor=customer, ticket=tickets[label], body="Still broken, sorry.")
        elif action == "close":
            services.ticket_change_status(actor=agent, ticket=tickets[label], status=Status.CLOSED)
        elif action == "move":
            services.ticket_update(actor=admin, ticket=tickets[label], team=desk["teams"][arg])
        else:  # pragma: no cover - a typo in a table
            raise AssertionError(action)


def brute_force(viewer, start, end, granularity, team=None) -> list[dict]:
    """Each bucket recomputed from scratch: every visible ticket's history replayed from its
    ``created`` event to each bucket's end (no flows, no rewinding, Python's own time zones)."""
    visible = permissions.visible_tickets(viewer)
    tickets = list(visible if team is None else visible.filter(team=team))
    events = {
        t.pk: list(
            TicketEvent.objects.filter(ticket=t, kind__in=[EventKind.CREATED, EventKind.STATUS_CHANGED]).order_by(
                "created_at", "id"
            )
        )
        for t in tickets
    }

    def status_at(ticket: Ticket, instant: datetime) -> str | None:
        status = None
        for event in events[ticket.pk]:
            if event.created_at >= instant:
                break
            status = event.data["status"] if event.kind == EventKind.CREATED else event.data["new"]
        return status

    def local(moment: datetime) -> date:
        return timezone.localtime(moment).date()

    out = []
    for bucket in trends.buckets(start, end, granularity):
        first_days = [local(bucket.start), local(bucket.end - timedelta(microseconds=1))]

        def inside(moment, bucket=bucket, first_days=first_days):
            return moment is not None and bucket.start <= moment < bucket.end and first_days[0] <= local(moment)

        solves = [
            (t, e) for t in tickets for e in events[t.pk] if e.kind == EventKind.STATUS_CHANGED and inside(e.created_at)
        ]
        last_solve = {}
        for t, e in solves:
            if e.data["new"] == Status.SOLVED:
                last_solve[t.pk] = (e.created_at - t.created_at).total_seconds()
        firsts = [
            (t.first_response_at - t.created_at).total_seconds()
            for t in tickets
            if t.first_response_at is not None and inside(t.first_response_at)
        ]
        out.append(
            {
                "start": bucket.start,
                "created": sum(1 for t in tickets if inside(t.created_at)),
                "solved": sum(1 for _, e in solves if e.data["new"] == Status.SOLVED),
                "reopened": sum(1 for _, e in solves if e.data == {"old": Status.SOLVED, "new": Status.OPEN}),
                "backlog": sum(1 for t in tickets if status_at(t, bucket.end) in UNSOLVED_STATUSES),
                "first_median": round(statistics.median(firsts)) if firsts else None,
                "resolution_median": round(statistics.median(last_solve.values())) if last_solve else None,
            }
        )
    return out


def computed(viewer, start, end, granularity, team=None) -> list[dict]:
    result = trends.trend(viewer=viewer, start=start, end=end, granularity=granularity, team=team)
    return [
        {
            "start": b["start"],
            "created": b["created"],
            "solved": b["solved"],
            "reopened": b["reopened"],
            "backlog": b["backlog"],
            "first_median": b["first_response_seconds"]["median"],
            "resolution_median": b["resolution_seconds"]["median"],
        }
        for b in result["buckets"]
    ]


def local_period(first: date, last: date) -> tuple[datetime, datetime]:
    return periods.as_datetime(first, end=False), periods.as_datetime(last, end=True)


# Hand-written histories, hours from T0 (Monday 2026-03-23 12:00 UTC). Each names what it tries.
HISTORIES = {
    "reopened and solved again": [
        (0, "create", "a", "billing"),
        (2, "reply", "a", None),
        (3, "solve", "a", None),
        (26, "reopen", "a", None),
        (50, "solve", "a", None),
    ],
    "created and solved in the same day": [
        (1, "create", "b", "billing"),
        (2, "solve", "b", None),
        (5, "create", "c", None),
        (6, "pending", "c", None),
    ],
    "closed after solved": [
        (-30, "create", "d", "billing"),
        (-29, "solve", "d", None),
        (40, "close", "d", None),
        (41, "create", "e", "tech"),
        (42, "solve", "e", None),
        (90, "close", "e", None),
    ],
    "created solved, solved by the requester": [
        (5, "create_solved", "f", "billing"),
        (6, "create", "g", "billing"),
        (30, "solve", "g", "customer"),
        (31, "reopen", "g", None),
    ],
    "tickets outside the team and moved between teams": [
        (-50, "create", "h", "tech"),
        (1, "create", "i", "billing"),
        (2, "move", "i", "tech"),
        (3, "create", "j", "tech"),
        (4, "move", "j", "billing"),
        (60, "solve", "j", None),
        (61, "solve", "h", None),
    ],
    "around midnight and the summer-time change": [
        (10.5, "create", "k", "billing"),  # 22:30 UTC Monday: Tuesday in Berlin and Auckland
        (11.5, "solve", "k", None),  # 23:30 UTC
        (12.2, "reopen", "k", None),  # 00:12 UTC Tuesday
        (133.5, "create", "l", "billing"),  # Sunday 29 March 01:30 UTC, just before the EU change
        (134.5, "solve", "l", None),  # 02:30 UTC: 04:30 Berlin summer time
        (155.9, "reopen", "l", None),
        (156.1, "solve", "l", None),
    ],
    "events after the period and before it": [
        (-200, "create", "m", "billing"),
        (-100, "solve", "m", None),
        (-99, "reopen", "m", None),
        (300, "solve", "m", None),  # after the period: winds the backlog back
        (301, "close", "m", None),
        (-120, "create", "n", None),
        (400, "reply", "n", None),
    ],
}

ZONES = ["UTC", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles"]


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("history", list(HISTORIES))
def test_hand_written_histories_match_a_replay(desk, history, zone):
    """Every history, every zone, both granularities, the whole desk and one team, for an admin
    and for a team agent (who sees only Billing's tickets)."""
    play(desk, HISTORIES[history])
    with timezone.override(zone):
        start, end = local_period(date(2026, 3, 21), date(2026, 3, 31))
        for viewer in (desk["admin"], desk["team_agent"]):
            for team in (None, desk["teams"]["billing"]):
                for granularity in trends.GRANULARITIES:
                    expected = brute_force(viewer, start, end, granularity, team)
                    assert computed(viewer, start, end, granularity, team) == expected, (viewer, team, granularity)


def random_history(seed: int) -> list[tuple]:
    """A few tickets with random lives (legal transitions only), spread over three weeks."""
    rng = random.Random(seed)
    steps: list[tuple] = []
    for n in range(10):
        label = f"r{n}"
        hour = rng.uniform(-120, 360)
        team = rng.choice(["billing", "tech", None])
        if rng.random() < 0.15:
            steps.append((hour, "create_solved", label, team or "billing"))
            state = "solved"
        else:
            steps.append((hour, "create", label, team))
            state = "open"
        for _ in range(rng.randint(0, 6)):
            hour += rng.choice([0.2, 1, 5, 11.9, 24, 40])
            if state in ("open", "pending"):
                action = rng.choice(["reply", "solve", "pending", "move"])
            elif state == "solved":
                action = rng.choice(["reopen", "close"])
            else:
                break
            if action == "move":
                steps.append((hour, "move", label, rng.choice(["billing", "tech"])))
            elif action == "pending" and state == "pending":
                steps.append((hour, "reply", label, None))
            else:
                steps.append((hour, action, label, None))
                state = {"solve": "solved", "reopen": "open", "close": "closed", "pending": "pending"}.get(
                    action, state
                )
    return sorted(steps, key=lambda step: step[0])


@pytest.mark.django_db
@pytest.mark.parametrize(("seed", "zone"), [(1, "Europe/Berlin"), (2, "Pacific/Auckland"), (3, "America/Los_Angeles")])
def test_generated_histories_match_a_replay(desk, seed, zone):
    play(desk, random_history(seed))
    with timezone.override(zone):
        start, end = local_period(date(2026, 3, 20), date(2026, 4, 2))
        for viewer in (desk["admin"], desk["team_agent"], desk["agent"]):
            for team in (None, desk["teams"]["billing"], desk["teams"]["tech"]):
                for granularity in trends.GRANULARITIES:
                    expected = brute_force(viewer, start, end, granularity, team)
                    assert computed(viewer, start, end, granularity, team) == expected, (viewer, team, granularity)
    # The generated lives did reach the cases the test is for.
    assert TicketEvent.objects.filter(data__old=Status.SOLVED, data__new=Status.OPEN).exists()
    assert TicketEvent.objects.filter(data__new=Status.CLOSED).exists()


def test_the_backlog_rule_matches_the_transition_table():
    """``trends`` reads only changes from or to ``solved``: that is every way in and out of the
    backlog only while the lifecycle allows no other (closed only from solved, and final)."""
    unsolved = set(UNSOLVED_STATUSES)
    crossings = {
        (old, new) for old, targets in TRANSITIONS.items() for new in targets if (old in unsolved) != (new in unsolved)
    }
    assert all(Status.SOLVED in pair for pair in crossings)
    assert TRANSITIONS[Status.CLOSED] == frozenset()


@pytest.mark.django_db
def test_a_period_mid_week_cuts_the_first_and_last_week(desk):
    play(desk, [(0, "create", "a", None), (30, "solve", "a", None)])
    start = datetime(2026, 3, 19, tzinfo=UTC)  # a Thursday
    end = datetime(2026, 4, 3, tzinfo=UTC)  # a Friday
    with timezone.override("UTC"):
        result = trends.trend(viewer=desk["admin"], start=start, end=end, granularity=trends.WEEK)
    spans = [(b["start"].date().isoformat(), b["end"].date().isoformat()) for b in result["buckets"]]
    assert spans == [("2026-03-19", "2026-03-23"), ("2026-03-23", "2026-03-30"), ("2026-03-30", "2026-04-03")]
    assert [b["created"] for b in result["buckets"]] == [0, 1, 0]
    assert [b["backlog"] for b in result["buckets"]] == [0, 0, 0]
    assert result["buckets"][1]["resolution_seconds"] == {"avg": 30 * 3600, "median": 30 * 3600}


@pytest.mark.django_db
def test_granularity_defaults_and_limits(desk):
    admin = desk["admin"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert trends.trend(viewer=admin, start=start, end=start + timedelta(days=31))["granularity"] == "day"
    assert trends.trend(viewer=admin, start=start, end=start + timedelta(days=32))["granularity"] == "week"
    assert len(trends.trend(viewer=admin, start=start, end=start + timedelta(days=366))["buckets"]) == 53
    with pytest.raises(ValidationError) as too_long:
        trends.trend(viewer=admin, start=start, end=start + timedelta(days=367))
    assert too_long.value.message_dict == {"until": [str(trends.TOO_LONG)]}
    with pytest.raises(ValidationError) as bad:
        trends.trend(viewer=admin, start=start, end=start + timedelta(days=3), granularity="hour")
    assert list(bad.value.message_dict) == ["granularity"]


@pytest.mark.django_db
def test_customers_get_nothing(desk, customer):
    play(desk, [(0, "create", "a", None)])
    result = trends.trend(viewer=customer, start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))
    assert result["buckets"] and all(b["created"] == b["backlog"] == 0 for b in result["buckets"])


@pytest.mark.django_db
def test_cached_until_the_desk_changes(desk, settings, django_assert_num_queries, django_capture_on_commit_callbacks):
    """A repeat reads the cache; with no window for the running bucket, any change — a customer's
    new ticket too — computes afresh once it commits (the cache forgets on commit, as in production)."""
    settings.HELPDESK_TREND_RUNNING_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, [(0, "create", "a", None)])
    admin = desk["admin"]
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=1)
    assert sum(b["created"] for b in trends.trend(viewer=admin, start=start, end=end)["buckets"]) == 1
    with django_assert_num_queries(0):
        trends.trend(viewer=admin, start=start, end=end)
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, [(1, "create", "b", None)])
    assert sum(b["created"] for b in trends.trend(viewer=admin, start=start, end=end)["buckets"]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["admin", "team_agent"])
@pytest.mark.parametrize("days", [7, 366])
@pytest.mark.parametrize("running", [True, False], ids=["a bucket still running", "period ended"])
def test_a_handful_of_queries_whatever_the_period_and_tickets(desk, viewer, days, running, django_assert_num_queries):
    """Three queries, whether the period has ended or a bucket is still running (then the one
    computation is kept in two parts: ``test_a_new_ticket_recomputes_only_the_running_bucket…``)."""
    steps = []
    for n in range(30):
        steps += [(n * 3, "create", f"q{n}", "billing"), (n * 3 + 1, "reply", f"q{n}", None)]
        steps += [(n * 3 + 2, "solve", f"q{n}", None)] if n % 2 else []
    play(desk, steps)
    person = desk[viewer]
    end = T0 + timedelta(days=4)
    if not running:
        desk["clock"].at(24 * 5)
    with memo.scope():  # as in a request: the viewer's access is read once (the pages' budgets count it)
        permissions.sees_every_ticket(person)
        with django_assert_num_queries(3):
            result = trends.trend(viewer=person, start=end - timedelta(days=days), end=end)
    assert sum(b["created"] for b in result["buckets"]) == 30


@pytest.mark.django_db
@pytest.mark.parametrize("granularity", [trends.DAY, trends.WEEK])
def test_a_new_ticket_recomputes_only_the_running_bucket_and_changes_nothing_else(
    desk, granularity, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The buckets that ended stay cached through changes statistics do not count (a new ticket);
    the running one (kept for no time here: ``HELPDESK_TREND_RUNNING_SECONDS`` 0) is computed
    again from their backlog (two queries), and the whole equals one computation of the period,
    uncached. A solve (a change statistics count) computes everything afresh (three)."""
    settings.HELPDESK_TREND_RUNNING_SECONDS = 0
    steps = []
    for n in range(12):
        steps += [(n * 20, "create", f"t{n}", "billing"), (n * 20 + 2, "reply", f"t{n}", None)]
        steps += [(n * 20 + 5, "solve", f"t{n}", None)] if n % 3 else []
    steps += [(230, "reopen", "t1", None)]
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, steps)
    admin = desk["admin"]
    start, end = T0 - timedelta(days=20), T0 + timedelta(days=15)
    whole = lambda: trends._compute(admin, start, end, granularity, None)  # noqa: E731
    assert trends.trend(viewer=admin, start=start, end=end, granularity=granularity)["buckets"] == whole()["buckets"]
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, [(231, "create", "late", None)])  # a customer's new ticket, not routed yet
    with memo.scope(), django_assert_num_queries(2):
        again = trends.trend(viewer=admin, start=start, end=end, granularity=granularity)
    assert again["buckets"] == whole()["buckets"]
    assert sum(b["created"] for b in again["buckets"]) == 13
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, [(232, "solve", "t1", None)])
    with memo.scope(), django_assert_num_queries(3):
        afresh = trends.trend(viewer=admin, start=start, end=end, granularity=granularity)
    assert afresh["buckets"] == whole()["buckets"]
    assert afresh["backlog_at_start"] == whole()["backlog_at_start"]


@pytest.mark.django_db
def test_the_running_bucket_is_counted_again_at_most_once_a_window(
    desk, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """With ``HELPDESK_TREND_RUNNING_SECONDS``, new tickets reach the running bucket when its window
    ends, not with each ticket (a busy desk files one every second); the ended buckets are exact
    throughout, and a change of who may see what drops the kept bucket at once."""
    import time as clock

    settings.HELPDESK_TREND_RUNNING_SECONDS = 1
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, [(0, "create", "a", None), (30, "create", "b", None)])
    admin = desk["admin"]
    start, end = T0 - timedelta(days=3), T0 + timedelta(days=3)
    counted = lambda: sum(b["created"] for b in trends.trend(viewer=admin, start=start, end=end)["buckets"])  # noqa: E731
    assert counted() == 2
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, [(31, "create", "c", None)])
    with memo.scope(), django_assert_num_queries(0):
        assert counted() == 2  # within the window: the bucket as it was
    with django_capture_on_commit_callbacks(execute=True):
        caching.access_changed()
    assert counted() == 3  # who may see what changed: counted again at once
    kept_since = clock.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        play(desk, [(32, "create", "d", None)])
    assert counted() == 3
    clock.sleep(max(0.0, 1.1 - (clock.monotonic() - kept_since)))  # the window ends
    with memo.scope(), django_assert_num_queries(2):  # the running bucket only; the history is kept
        assert counted() == 4
