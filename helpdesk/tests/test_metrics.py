"""/metrics (issue 19 §3): what it counts, who may read it, and several worker processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpdesk import metrics
from helpdesk.tests.local_redis import redis_url
from tickets.mail import intake

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


@pytest.mark.django_db
def test_requests_are_counted_by_view_and_status_with_their_queries(client, customer):
    before = client.get("/metrics").content.decode()
    client.force_login(customer)
    client.get("/portal/")
    client.get("/portal/tickets/999999999/")
    after = client.get("/metrics").content.decode()

    def delta(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    by = "django_http_responses_total_by_status_view_method_total"
    assert delta(by, status="200", view="portal:my_tickets", method="GET") == 1
    assert delta(by, status="404", view="portal:ticket", method="GET") == 1
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert delta(latency, view="portal:my_tickets", method="GET") == 1
    # The portal's queries were counted into the histogram (and the 404 and /metrics itself too).
    assert delta("helpdesk_sql_queries_per_request_count") == 3
    assert delta("helpdesk_sql_queries_per_request_sum") >= 3


@pytest.mark.django_db
def test_the_desk_gauges_read_the_intake_backlog_and_live_streams(client):
    raw = (
        b"From: Ada <ada@example.com>\r\nTo: support@localhost\r\nSubject: Printer\r\n"
        b"Message-ID: <metrics-1@example.com>\r\n\r\nIt is on fire.\r\n"
    )
    text = client.get("/metrics").content.decode()
    assert value(text, "helpdesk_email_intake_backlog", state="received") == 0
    intake.receive(raw, door="stdin")  # stored; processing waits for a commit that never comes here
    text = client.get("/metrics").content.decode()
    assert value(text, "helpdesk_email_intake_backlog", state="received") == 1
    assert value(text, "helpdesk_email_intake_backlog", state="quarantined") == 0
    assert value(text, "helpdesk_email_intake_oldest_seconds") >= 0
    assert value(text, "helpdesk_sla_tickets_due", due="breached") == 0
    assert value(text, "helpdesk_live_streams") == 0
    assert value(text, "helpdesk_metrics_source_up", source="desk") == 1


@pytest.mark.django_db
def test_the_celery_queue_length_is_read_from_redis(client, settings):
    import redis

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_DEFAULT_QUEUE = queue = f"helpdesk-metrics-test-{uuid.uuid4().hex[:8]}"
    server = redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
    try:
        server.rpush(queue, "job-1", "job-2", "job-3")
        server.rpush(f"{queue}\x06\x163", "urgent-job")  # kombu's list for priority 3
        text = client.get("/metrics").content.decode()
    finally:
        server.delete(queue, f"{queue}\x06\x163")
    assert value(text, "helpdesk_celery_queue_length", queue=queue) == 4
    assert value(text, "helpdesk_metrics_source_up", source="celery") == 1

    # A broker that does not answer: reported as a source down; the rest is still served.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    text = client.get("/metrics").content.decode()
    assert value(text, "helpdesk_metrics_source_up", source="celery") == 0
    assert value(text, "helpdesk_metrics_source_up", source="desk") == 1


@pytest.mark.django_db
def test_metrics_are_never_public(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    settings.HELPDESK_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.4.5.6").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403

    settings.HELPDESK_METRICS_TOKEN = "a-long-scrape-token"
    answer = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer a-long-scrape-token")
    assert answer.status_code == 200 and b"helpdesk_sql_queries_per_request" in answer.content
    for wrong in ("Bearer a-long-scrape-toke", "Bearer ", "a-long-scrape-token", "Token a-long-scrape-token"):
        assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=wrong).status_code == 403


def test_a_misspelt_allowed_address_stops_start_up():
    env = {**os.environ, "HELPDESK_METRICS_ALLOWED_IPS": "127.0.0.1,localhost", "DJANGO_SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "-c", "import helpdesk.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "HELPDESK_METRICS_ALLOWED_IPS: 'localhost' is not an IP address or network" in result.stderr


WORKER = """
import django, sys
django.setup()
from helpdesk import metrics
metrics.SQL_QUERIES.observe(int(sys.argv[1]))
gauge, _ = metrics.process_gauges()["helpdesk_live_streams"]
gauge.set(int(sys.argv[2]))
"""
SCRAPE = """
import django, sys
django.setup()
from prometheus_client import multiprocess
for pid in sys.argv[1:]:
    multiprocess.mark_process_dead(int(pid))
from helpdesk import metrics
sys.stdout.write(metrics.exposition().decode())
"""


def test_several_worker_processes_are_added_up(tmp_path):
    """Under gunicorn with several workers (helpdesk.gunicorn sets PROMETHEUS_MULTIPROC_DIR), each
    worker writes its own counters and any worker's /metrics adds them all up; a worker that died
    no longer counts in the live-stream gauge."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
    }

    def run(script: str, *arguments: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-c", script, *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result

    first = subprocess.Popen([sys.executable, "-c", WORKER, "7", "2"], cwd=ROOT, env=env)
    second = subprocess.Popen([sys.executable, "-c", WORKER, "40", "3"], cwd=ROOT, env=env)
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    text = run(SCRAPE).stdout
    assert value(text, "helpdesk_sql_queries_per_request_count") == 2
    assert value(text, "helpdesk_sql_queries_per_request_sum") == 47
    assert value(text, "helpdesk_sql_queries_per_request_bucket", le="8.0") == 1
    assert value(text, "helpdesk_live_streams") == 5
    text = run(SCRAPE, str(first.pid)).stdout
    assert value(text, "helpdesk_live_streams") == 3
    assert value(text, "helpdesk_sql_queries_per_request_count") == 2  # counters outlive their worker


def test_gunicorn_config_gives_the_workers_a_metrics_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    script = "import os, helpdesk.gunicorn as g; print(os.environ['PROMETHEUS_MULTIPROC_DIR']); g.on_exit(None)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    made = Path(result.stdout.strip())
    assert re.search(r"helpdesk-metrics-", made.name) and not made.exists()  # made, then removed at exit

    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"stale")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(given)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert given.exists() and not (given / "counter_123.db").exists()  # kept, but emptied of stale counts


def test_the_multiprocess_flag_follows_the_environment(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert metrics.multiprocess_mode() is False
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/x")
    assert metrics.multiprocess_mode() is True
