"""Reads against a real streaming replica (``make test-scale``; issue 19 §2).

Replay on the replica is paused (``pg_wal_replay_pause()``), so it keeps the old state while the
primary moves on: a page that shows the old state was read from the replica, one that shows the
new state from the primary. That is how each test below tells where a read went.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from django.db import connections, transaction
from django.test import Client

from accounts import services as account_services
from accounts.models import Role, TicketScope
from helpdesk.db import router
from helpdesk.tests.scale.conftest import replica_caught_up
from tickets import services
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")  # (own PostgreSQL servers: no postgres mark)


@pytest.fixture(autouse=True)
def _replicas_fresh() -> Iterator[None]:
    router.forget_failures()
    yield
    router.forget_failures()


@pytest.fixture
def colleague(db):
    return account_services.user_create(
        email="bea@desk.test", name="Bea Colleague", password="x" * 20, role=Role.AGENT, ticket_scope=TicketScope.ALL
    )


def signed_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def pause_replay() -> None:
    replica_caught_up()
    with connections["replica1"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    connections["replica1"].close()


def resume_replay() -> None:
    with connections["replica1"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    connections["replica1"].close()


@pytest.fixture
def paused() -> Iterator[None]:
    pause_replay()
    try:
        yield
    finally:
        resume_replay()


def metric(text: str, name: str) -> float:
    found = re.search(rf'^{name}\{{database="replica1"\}} (\S+)$', text, re.MULTILINE)
    assert found, f"{name} missing from /metrics"
    return float(found.group(1))


def test_reads_go_to_the_replica_and_writers_read_their_own_writes(settings, agent, colleague, ticket):
    settings.HELPDESK_READ_YOUR_WRITES_SECONDS = 2
    writer, reader = signed_in(agent), signed_in(colleague)
    page, messages = f"/agent/tickets/{ticket.pk}/", f"/api/v1/tickets/{ticket.pk}/messages/"
    marker = "Replayed-later reply 7c1e"
    pause_replay()
    try:
        answer = writer.post(messages, {"body": marker}, content_type="application/json")
        assert answer.status_code == 201, answer.content
        # The writer sees their reply at once, on the page and in the API list (the primary)...
        assert marker in writer.get(page).content.decode()
        assert marker in writer.get(messages).content.decode()
        # ...another agent reads the replica, which has not replayed it yet...
        seen = reader.get(page)
        assert seen.status_code == 200 and ticket.subject in seen.content.decode()
        assert marker not in seen.content.decode()
        assert marker not in reader.get(messages).content.decode()
        # ...while code outside a request (tasks, commands) reads the primary.
        assert Message.objects.filter(body=marker).exists()

        # The lag is visible: /metrics and /readyz.
        scraped = reader.get("/metrics").content.decode()
        assert metric(scraped, "helpdesk_db_replica_up") == 1
        assert metric(scraped, "helpdesk_db_replica_replay_paused") == 1
        assert metric(scraped, "helpdesk_db_replica_lag_seconds") > 0
        assert metric(scraped, "helpdesk_db_replica_lag_bytes") > 0
        ready = json.loads(Client().get("/readyz").content)
        assert ready["checks"]["replica:replica1"]["ok"] is True
        assert ready["checks"]["replica:replica1"]["replay_paused"] is True
        assert ready["checks"]["replica:replica1"]["lag_seconds"] > 0

        # After the window the writer reads the replica again (still without the reply).
        time.sleep(2.3)
        assert marker not in writer.get(page).content.decode()
    finally:
        resume_replay()
    replica_caught_up()
    assert marker in reader.get(page).content.decode()
    # Caught up, the lag reads 0 (polled: the primary may write a little WAL of its own meanwhile).
    deadline = time.monotonic() + 10
    while True:
        scraped = Client().get("/metrics").content.decode()
        if metric(scraped, "helpdesk_db_replica_lag_seconds") == 0:
            break
        assert time.monotonic() < deadline, "the lag did not return to 0"
        time.sleep(0.2)
    assert metric(scraped, "helpdesk_db_replica_replay_paused") == 0


def test_api_token_clients_read_the_replica_and_their_own_writes(settings, agent, colleague, ticket):
    """No cookies: the read-your-writes mark is kept under the person, not in their browser."""
    settings.HELPDESK_READ_YOUR_WRITES_SECONDS = 5
    token = account_services.api_token_get_or_create(user=colleague)
    key = getattr(token, "key", token)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    messages = f"/api/v1/tickets/{ticket.pk}/messages/"
    with_pause = "A reply the replica has not replayed"
    own = "The token client's own reply"
    pause_replay()
    try:
        services.message_add(actor=agent, ticket=ticket, body=with_pause)
        listed = api.get(messages)
        assert listed.status_code == 200
        assert with_pause not in listed.content.decode()  # the replica
        assert api.post(messages, {"body": own}, content_type="application/json").status_code == 201
        listed = api.get(messages).content.decode()
        assert own in listed and with_pause in listed  # the primary, for this person, for a while
    finally:
        resume_replay()


def test_a_request_that_writes_reads_the_primary_for_the_rest_of_it(settings, agent, colleague, ticket, paused):
    """A GET that writes (opening a notification marks it read) reads what it wrote, and the mark
    keeps the person on the primary afterwards; non-GET requests never read the replica."""
    settings.HELPDESK_READ_YOUR_WRITES_SECONDS = 5
    reader = signed_in(colleague)
    services.message_add(actor=agent, ticket=ticket, body="Written while replay is paused")
    # A form post reads the primary: the reply form accepts the reply to the ticket as it is now.
    answer = reader.post(f"/agent/tickets/{ticket.pk}/messages/", {"body": "Second reply", "mode": "note"})
    assert answer.status_code in (200, 302), answer.status_code
    assert "Written while replay is paused" in reader.get(f"/agent/tickets/{ticket.pk}/").content.decode()


def test_a_stopped_replica_sends_reads_to_the_primary_without_errors(settings, scale, agent, colleague, ticket):
    settings.HELPDESK_REPLICA_RETRY_SECONDS = 1
    reader = signed_in(colleague)
    page = f"/agent/tickets/{ticket.pk}/"
    replica_caught_up()
    assert reader.get(page).status_code == 200  # the replica's pool holds a connection now
    scale.stop_replica()
    try:
        services.message_add(actor=agent, ticket=ticket, body="Sent while the replica is down")
        for _ in range(3):
            seen = reader.get(page)
            assert seen.status_code == 200
            assert "Sent while the replica is down" in seen.content.decode()  # the primary
        assert reader.get(f"/api/v1/tickets/{ticket.pk}/messages/").status_code == 200
        ready = Client().get("/readyz")
        assert ready.status_code == 200
        body = json.loads(ready.content)
        assert body["status"] == "degraded"
        assert body["checks"]["replica:replica1"]["ok"] is False
        assert metric(reader.get("/metrics").content.decode(), "helpdesk_db_replica_up") == 0
    finally:
        scale.start_replica()
    # Back: once the retry time has passed, reads go to the replica again.
    replica_caught_up(timeout=30)
    time.sleep(1.2)
    pause_replay()
    try:
        services.message_add(actor=agent, ticket=ticket, body="Sent after the replica came back")
        assert "Sent after the replica came back" not in reader.get(page).content.decode()
    finally:
        resume_replay()
    assert json.loads(Client().get("/readyz").content)["status"] == "ok"


def test_a_replica_too_far_behind_is_not_read_until_it_catches_up(settings, agent, colleague, ticket, caplog):
    settings.HELPDESK_REPLICA_LAG_CHECK_SECONDS = 0  # measured before every request here
    reader = signed_in(colleague)
    page = f"/agent/tickets/{ticket.pk}/"
    first, second = "Written while replay is paused 4b1d", "Written after the replica caught up 93fe"
    pause_replay()
    try:
        services.message_add(actor=agent, ticket=ticket, body=first)
        settings.HELPDESK_REPLICA_MAX_LAG_SECONDS = 600
        assert first not in reader.get(page).content.decode()  # behind, within the limit: the replica
        time.sleep(1.1)
        settings.HELPDESK_REPLICA_MAX_LAG_SECONDS = 1
        with caplog.at_level("WARNING", logger="helpdesk.db"):
            for _ in range(2):
                assert first in reader.get(page).content.decode()  # more than 1 s behind: the primary
        assert any("replica1 is" in line and "behind" in line for line in caplog.messages), caplog.messages
        assert reader.get(f"/api/v1/tickets/{ticket.pk}/messages/").content.decode().count(first) == 1
    finally:
        resume_replay()
    replica_caught_up()
    # Caught up, it is read again: paused once more, a new reply is missing from the page at once.
    caplog.clear()
    settings.HELPDESK_REPLICA_MAX_LAG_SECONDS = 600
    with caplog.at_level("WARNING", logger="helpdesk.db"):
        assert first in reader.get(page).content.decode()
    assert any("caught up" in line for line in caplog.messages), caplog.messages
    pause_replay()
    try:
        services.message_add(actor=agent, ticket=ticket, body=second)
        assert second not in reader.get(page).content.decode()
    finally:
        resume_replay()


def test_the_lag_is_measured_at_most_once_per_check_interval(settings, agent, colleague, ticket, paused):
    """Between two measurements a process goes by the last one: no query per request."""
    settings.HELPDESK_REPLICA_LAG_CHECK_SECONDS = 3600
    settings.HELPDESK_REPLICA_MAX_LAG_SECONDS = 600
    reader = signed_in(colleague)
    page = f"/agent/tickets/{ticket.pk}/"
    assert reader.get(page).status_code == 200  # measured once: not behind
    services.message_add(actor=agent, ticket=ticket, body="Written after the measurement 51aa")
    time.sleep(1.1)
    settings.HELPDESK_REPLICA_MAX_LAG_SECONDS = 1
    # Now more than 1 s behind, but the last measurement stands for an hour: still the replica.
    assert "Written after the measurement 51aa" not in reader.get(page).content.decode()
    settings.HELPDESK_REPLICA_LAG_CHECK_SECONDS = 0
    assert "Written after the measurement 51aa" in reader.get(page).content.decode()


def test_primary_reads_inside_a_replica_request(agent, colleague, ticket):
    """``helpdesk.db.router.primary_reads()`` and ``atomic`` blocks read the primary, the rest of the
    same request the replica (``primary_reads`` is for values kept beyond the request, such as
    shared caches)."""
    from django.test import RequestFactory

    seen: dict[str, bool] = {}

    def view(request):  # noqa: ANN001, ANN202
        seen["replica"] = Message.objects.filter(body="Only on the primary yet").exists()
        with router.primary_reads():
            seen["primary"] = Message.objects.filter(body="Only on the primary yet").exists()
        with transaction.atomic():  # a transaction reads what it may write: the primary
            seen["atomic"] = Message.objects.filter(body="Only on the primary yet").exists()
        seen["replica again"] = Message.objects.filter(body="Only on the primary yet").exists()
        return None

    request = RequestFactory().get("/agent/")
    request.user = colleague
    pause_replay()
    try:
        services.message_add(actor=agent, ticket=ticket, body="Only on the primary yet")
        router.ReadRoutingMiddleware(view)(request)
    finally:
        resume_replay()
    assert seen == {"replica": False, "primary": True, "atomic": True, "replica again": False}


def test_opening_a_ticket_leaves_the_customer_on_the_replica(settings, customer, ticket):
    """The portal's ticket page writes the "read up to here" marker on every visit: that keeps the
    rest of that request on the primary, but is no change of the customer's they wait to see."""
    settings.HELPDESK_READ_YOUR_WRITES_SECONDS = 5
    portal = signed_in(customer)
    pause_replay()
    try:
        services.ticket_create(actor=customer, subject="Filed while replay is paused", description="x" * 30)
        services.notification_mark_read(actor=customer, ids=None)  # (opening a ticket marks its bell read)
        assert portal.get(f"/portal/tickets/{ticket.pk}/").status_code == 200  # writes the marker
        assert "Filed while replay is paused" not in portal.get("/portal/").content.decode()  # the replica
        # A reply is a change they wait to see: their next pages read the primary.
        assert portal.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "Any news on this?"}).status_code == 302
        assert "Filed while replay is paused" in portal.get("/portal/").content.decode()
    finally:
        resume_replay()


def test_under_asgi_as_served_in_production(settings, agent, colleague, ticket):
    """The same routing under uvicorn (``make run`` serves ASGI: the request's sync middleware and
    view run on executor threads, the router's request mark must travel with them)."""
    import requests

    from tickets.tests.asgi_server import asgi_server, session_cookie

    settings.HELPDESK_READ_YOUR_WRITES_SECONDS = 5
    page = f"/agent/tickets/{ticket.pk}/"
    marker = "Reply while the ASGI server reads the replica"
    with asgi_server() as url:
        writer = {"Cookie": session_cookie(agent)}
        reader = {"Cookie": session_cookie(colleague)}
        pause_replay()
        try:
            token = account_services.api_token_get_or_create(user=agent)
            key = getattr(token, "key", token)
            answer = requests.post(
                f"{url}/api/v1/tickets/{ticket.pk}/messages/",
                json={"body": marker},
                headers={"Authorization": f"Token {key}"},
                timeout=10,
            )
            assert answer.status_code == 201, answer.text
            assert marker in requests.get(url + page, headers=writer, timeout=10).text  # their own write
            seen = requests.get(url + page, headers=reader, timeout=10)
            assert seen.status_code == 200 and ticket.subject in seen.text
            assert marker not in seen.text  # the replica
        finally:
            resume_replay()
