"""Structured logs (issue 19 §3): a request id on every line logged while a request is served, the
signed-in person's id, the timing, one access line per request, and JSON lines on request."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk import logs

ROOT = Path(__file__).resolve().parents[2]


class JsonLines(logging.Handler):
    """The console's filter and JSON formatter, writing to a list: exactly what an operator reads."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(logs.RequestContextFilter())
        self.setFormatter(logs.JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_lines():
    handler = JsonLines()
    root = logging.getLogger()
    root.addHandler(handler)
    level, access_level = logging.getLogger("helpdesk").level, logging.getLogger("helpdesk.access").level
    logging.getLogger("helpdesk.access").setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        logging.getLogger("helpdesk").setLevel(level)
        logging.getLogger("helpdesk.access").setLevel(access_level)


@pytest.mark.django_db
def test_every_request_gets_an_id_in_its_response(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz")["X-Request-ID"] != generated
    given = "lb-7f3a2c1e-0001"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", ["two words", "x" * 129, 'quote"d', "new\nline", "", "ü"])
def test_a_malformed_request_id_is_replaced_not_logged(client, hostile, json_lines):
    answer = client.get("/healthz", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"]
    assert answer != hostile and re.fullmatch(r"[0-9a-f]{32}", answer)
    assert [line["request_id"] for line in json_lines if line["logger"] == "helpdesk.access"] == [answer]


@pytest.mark.django_db
def test_the_access_line_has_the_request_the_person_and_the_timing(client, customer, json_lines):
    client.force_login(customer)
    response = client.get("/portal/?status=open", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 200
    (access,) = [line for line in json_lines if line["logger"] == "helpdesk.access"]
    assert access["request_id"] == "req-42"
    assert access["user_id"] == customer.pk
    assert access["method"] == "GET" and access["path"] == "/portal/"  # never the query string
    assert access["status"] == 200
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    assert access["level"] == "INFO" and access["message"].startswith("GET /portal/ 200 ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", access["time"])


@pytest.mark.django_db
def test_lines_logged_during_the_request_carry_its_id(client, agent, settings, json_lines):
    settings.HELPDESK_SLOW_REQUEST_QUERIES = 0  # every request is "slow": the monitor logs a warning
    client.force_login(agent)
    response = client.get("/agent/")
    (slow,) = [line for line in json_lines if line["logger"] == "helpdesk.slow"]
    assert slow["request_id"] == response["X-Request-ID"]
    assert slow["user_id"] == agent.pk
    assert slow["status"] is None  # logged before the response was known
    assert slow["level"] == "WARNING"


@pytest.mark.django_db
def test_the_context_follows_the_request_under_asgi(async_client, json_lines):
    """Through Django's ASGI handler (the synchronous middleware run on a worker thread): the
    context variables reach the access line all the same."""
    from asgiref.sync import async_to_sync

    response = async_to_sync(async_client.get)("/accounts/login/", headers={"X-Request-ID": "asgi-1"})
    assert response["X-Request-ID"] == "asgi-1"
    (access,) = [line for line in json_lines if line["logger"] == "helpdesk.access"]
    assert access["request_id"] == "asgi-1" and access["status"] == 200 and access["user_id"] is None


def test_lines_outside_a_request_have_empty_context(json_lines):
    logging.getLogger("helpdesk.test").warning("a job says %s", "hello")
    (line,) = [line for line in json_lines if line["logger"] == "helpdesk.test"]
    assert line["message"] == "a job says hello"
    assert all(line[field] is None for field in ("request_id", "user_id", "method", "path", "status", "duration_ms"))


def test_a_traceback_stays_inside_its_json_line(json_lines):
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        logging.getLogger("helpdesk.test").exception("it failed")
    (line,) = [line for line in json_lines if line["logger"] == "helpdesk.test"]
    assert "ValueError: broken" in line["exc_info"] and line["level"] == "ERROR"


def test_the_plain_format_names_the_request():
    formatter = logs.PlainFormatter()
    record = logging.LogRecord("helpdesk.x", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id, record.user_id = "abc", 7
    assert formatter.format(record).endswith("INFO helpdesk.x hello [request abc user 7]")
    record = logging.LogRecord("helpdesk.x", logging.INFO, __file__, 1, "hello", None, None)
    assert formatter.format(record).endswith("INFO helpdesk.x hello")


@pytest.mark.django_db
def test_the_access_line_can_be_turned_off(client, settings, json_lines):
    settings.HELPDESK_ACCESS_LOG = False
    client.get("/healthz")
    assert [line for line in json_lines if line["logger"] == "helpdesk.access"] == []


def test_helpdesk_log_format_json_writes_json_lines_to_the_console():
    script = "import django, logging; django.setup(); logging.getLogger('helpdesk.check').warning('disk at %d%%', 91)"
    env = {**os.environ, "HELPDESK_LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stderr.splitlines() if '"helpdesk.check"' in text]
    assert line["message"] == "disk at 91%" and line["level"] == "WARNING" and line["request_id"] is None

    env["HELPDESK_LOG_FORMAT"] = "xml"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "HELPDESK_LOG_FORMAT='xml' must be one of: plain, json" in result.stderr


def test_the_console_writes_to_the_stderr_of_the_moment(monkeypatch):
    """A stderr swapped and closed after logging was set up (a test runner's capture, while the
    live server's threads go on logging) is not written to: the line goes to the stderr in place."""
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler = logs.StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    handler.handle(logging.makeLogRecord({"msg": "GET /portal/ 200"}))
    assert second.getvalue() == "GET /portal/ 200\n"
    # The settings' LOGGING builds this handler for the console.
    assert logs.configuration("plain", level="INFO")["handlers"]["console"]["()"] == "helpdesk.logs.StderrHandler"
