"""The one period parser (``tickets.periods``) behind the statistics page and the statistics API:
the same input gives the same period, or the same message on the same parameter, on both."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tickets import periods
from tickets.tests.api.support import token_client

pytestmark = pytest.mark.django_db


def test_bounds_are_dates_or_date_times():
    assert periods.parse_bound("2026-11-01") == date(2026, 11, 1)
    assert periods.parse_bound("2026-11-01T09:00:00Z") == datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert periods.parse_bound("") is None and periods.parse_bound(None) is None
    for bad in ("soon", "2026-02-30", "2026-11-01T25:00"):
        with pytest.raises(ValidationError) as caught:
            periods.parse_bound(bad)
        assert caught.value.messages == [periods.INVALID]


def test_a_date_range_includes_its_last_day_and_defaults_to_the_last_30_days():
    start, end = periods.period(date(2026, 11, 1), date(2026, 11, 1))
    assert (timezone.localtime(start).date(), timezone.localtime(end).date()) == (date(2026, 11, 1), date(2026, 11, 2))
    start, end = periods.period()
    today = timezone.localdate()
    assert timezone.localtime(start).date() == today - timedelta(days=periods.DEFAULT_DAYS - 1)
    assert timezone.localtime(end).date() == today + timedelta(days=1)


@pytest.mark.parametrize(
    ("since", "until", "max_days", "field", "message"),
    [
        (date(2026, 2, 1), date(2026, 1, 31), None, "since", periods.REVERSED),
        (date(2026, 2, 1), date(2026, 1, 1), None, "since", periods.REVERSED),
        (None, date(9999, 12, 31), None, "until", periods.OUT_OF_RANGE),
        (date(2000, 1, 1), date(2020, 1, 1), periods.TEN_YEARS, "until", periods.TOO_LONG),
    ],
)
def test_bad_periods_name_the_parameter(since, until, max_days, field, message):
    with pytest.raises(ValidationError) as caught:
        periods.period(since, until, max_days=max_days)
    assert caught.value.message_dict == {field: [message]}


def test_ten_years_is_the_longest_with_a_limit_and_none_without():
    since = date(2010, 1, 1)
    periods.period(since, since + timedelta(days=periods.TEN_YEARS), max_days=periods.TEN_YEARS)
    periods.period(since, since + timedelta(days=20 * 365))


@pytest.mark.parametrize(
    ("since", "until", "field", "message"),
    [
        ("soon", "2026-01-31", "since", periods.INVALID),
        ("2026-01-01", "2026-02-30", "until", periods.INVALID),
        ("2026-02-01", "2026-01-01", "since", periods.REVERSED),
        ("2026-01-01", "9999-12-31", "until", periods.OUT_OF_RANGE),
    ],
)
def test_page_and_api_give_the_same_message_on_the_same_parameter(client, agent, since, until, field, message):
    client.force_login(agent)
    page = client.get(reverse("agent:stats"), {"period": "custom", "since": since, "until": until})
    assert page.status_code == 200
    assert page.context["form"].errors[field] == [message]
    api = token_client(agent).get("/api/v1/stats/agents/", {"since": since, "until": until})
    assert api.status_code == 400
    assert api.json()[field] == [message]


def test_page_and_api_read_a_good_period_alike(client, agent):
    client.force_login(agent)
    page = client.get(reverse("agent:stats"), {"period": "custom", "since": "2026-01-01", "until": "2026-01-31"})
    api = token_client(agent).get("/api/v1/stats/agents/", {"since": "2026-01-01", "until": "2026-01-31"}).json()
    start, end = periods.period(date(2026, 1, 1), date(2026, 1, 31))
    assert (page.context["since"], page.context["until"]) == (date(2026, 1, 1), date(2026, 1, 31))
    assert (datetime.fromisoformat(api["since"]), datetime.fromisoformat(api["until"])) == (start, end)
