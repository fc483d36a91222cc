"""Query monitoring middleware (issue 6)."""

import logging
import re

import pytest


@pytest.mark.django_db
def test_agents_get_server_timing(client, agent, ticket):
    client.force_login(agent)
    response = client.get(f"/agent/tickets/{ticket.pk}/")
    timing = response["Server-Timing"]
    match = re.fullmatch(r'db;dur=[\d.]+;desc="(\d+) queries", app;dur=[\d.]+, cpu;dur=([\d.]+)', timing)
    assert match and int(match.group(1)) > 3
    assert float(match.group(2)) > 0  # rendering a ticket page costs this thread some CPU


@pytest.mark.django_db
def test_customers_and_visitors_get_no_timing(client, customer):
    assert "Server-Timing" not in client.get("/accounts/login/")
    client.force_login(customer)
    assert "Server-Timing" not in client.get("/notifications/")


@pytest.mark.django_db
def test_benchmarks_can_time_everyone(client, customer, settings):
    settings.HELPDESK_SERVER_TIMING = "everyone"
    client.force_login(customer)
    assert re.match(r'db;dur=[\d.]+;desc="\d+ queries"', client.get("/notifications/")["Server-Timing"])


def test_a_misspelt_timing_setting_stops_start_up(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from helpdesk import env

    monkeypatch.setenv("HELPDESK_SERVER_TIMING", "everybody")
    with pytest.raises(ImproperlyConfigured, match="must be one of: agents, everyone"):
        env.choice("HELPDESK_SERVER_TIMING", ("agents", "everyone"), "agents")


@pytest.mark.django_db
def test_slow_requests_are_logged_with_their_slowest_queries(client, agent, settings, caplog):
    settings.HELPDESK_SLOW_REQUEST_QUERIES = 1
    client.force_login(agent)
    with caplog.at_level(logging.WARNING, logger="helpdesk.slow"):
        client.get("/agent/?view=all")
    (record,) = [r for r in caplog.records if r.name == "helpdesk.slow"]
    assert "slow request GET /agent/?view=all" in record.getMessage()
    assert "SELECT" in record.getMessage()


@pytest.mark.django_db
def test_fast_requests_are_not_logged(client, customer, caplog):
    client.force_login(customer)
    with caplog.at_level(logging.WARNING, logger="helpdesk.slow"):
        client.get("/notifications/")
    assert [r for r in caplog.records if r.name == "helpdesk.slow"] == []


def test_a_slow_request_without_queries_has_no_empty_slowest_part(rf, settings, caplog):
    """A request slow with no query at all (a worker's first request used to be) is logged without
    an empty "slowest:" tail."""
    import time

    from django.http import HttpResponse

    from helpdesk.middleware import QueryMonitorMiddleware

    settings.HELPDESK_SLOW_REQUEST_MS = 1

    def view(request):
        time.sleep(0.005)
        return HttpResponse("ok")

    request = rf.get("/favicon.ico")
    with caplog.at_level(logging.WARNING, logger="helpdesk.slow"):
        QueryMonitorMiddleware(view)(request)
    (record,) = [r for r in caplog.records if r.name == "helpdesk.slow"]
    assert record.getMessage().startswith("slow request GET /favicon.ico: ")
    assert record.getMessage().endswith("0 queries in 0 ms")


def test_the_asgi_application_loads_the_url_conf_at_start():
    """Workers import every view at start, not on their first request."""
    from django.urls import get_resolver

    import helpdesk.asgi  # noqa: F401

    assert "url_patterns" in get_resolver().__dict__
