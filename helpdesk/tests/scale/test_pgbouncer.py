"""The main flows with the default connection going through a real PgBouncer in transaction
mode (``make test-scale``; issue 19 §2).

PgBouncer here runs ``DISCARD ALL`` after every transaction (``server_reset_query_always``), so
anything that leans on server-session state between transactions — a ``WITH HOLD`` cursor, a
prepared statement, a session ``SET``, ``LISTEN`` — breaks on every run, not only when two clients
happen to swap server connections. Every test checks that its work really went through PgBouncer
(its transaction count for the test database grew).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import OperationalError, ProgrammingError, connection, connections
from django.test import Client

from helpdesk.db import direct_alias
from tickets import services
from tickets.live import bus as live_bus
from tickets.live.hub import hub
from tickets.models import Message, Ticket
from tickets.sla.models import SlaClock
from tickets.sla.sweeper import sweep_sla
from tickets.tests.asgi_server import Stream, asgi_server, session_cookie
from tickets.tests.sla.test_sweeper import NOW, _admins, _assert_exactly_once, _due_clocks
from tickets.tests.webhooks.conftest import local_receivers, make_endpoint, receiver  # noqa: F401 - fixtures
from tickets.webhooks import sender
from tickets.webhooks.models import DeliveryState, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")  # (own PostgreSQL servers: no postgres mark)


def bouncer_transactions(scale) -> int:  # noqa: ANN001
    """Transactions PgBouncer has passed to the test database so far."""
    for line in scale.bouncer_admin("SHOW STATS").splitlines():
        fields = line.split("|")
        if fields[0] == connection.settings_dict["NAME"]:
            return int(fields[1])
    return 0


@pytest.fixture
def through_bouncer(scale) -> Iterator[None]:
    """The test's work went through PgBouncer (stats are updated every second or so)."""
    assert connection.settings_dict["PORT"] == scale.bouncer_port
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    before = bouncer_transactions(scale)
    yield
    deadline = time.monotonic() + 5
    while bouncer_transactions(scale) <= before:
        assert time.monotonic() < deadline, "nothing went through PgBouncer"
        time.sleep(0.2)


def signed_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def test_tickets_are_created_answered_listed_and_found(through_bouncer, customer, agent):
    portal, desk = signed_in(customer), signed_in(agent)
    made = portal.post(
        "/portal/tickets/new/",
        {
            "subject": "Printer is on fire",
            "description": "The invoice printer started smoking after the update.",
            "priority": "high",
            "category": "technical",
        },
    )
    assert made.status_code == 302, made.content[:500]
    by_api = portal.post(
        "/api/v1/tickets/",
        {"subject": "Scanner jams on page two", "description": "Every scan of more than one page jams."},
        content_type="application/json",
    )
    assert by_api.status_code == 201, by_api.content
    ticket = Ticket.objects.get(subject="Printer is on fire")
    reply = desk.post(f"/agent/tickets/{ticket.pk}/messages/", {"body": "A technician is on the way.", "mode": "reply"})
    assert reply.status_code in (200, 302)
    assert Message.objects.filter(ticket=ticket, body="A technician is on the way.").exists()
    queue = desk.get("/agent/", {"view": "all"})
    assert queue.status_code == 200
    assert "Printer is on fire" in queue.content.decode() and "Scanner jams on page two" in queue.content.decode()
    found = desk.get("/agent/", {"view": "all", "q": "scanner"}).content.decode()
    assert "Scanner jams on page two" in found and "Printer is on fire" not in found
    assert "Printer is on fire" in portal.get("/portal/", {"q": "printer"}).content.decode()
    listed = portal.get("/api/v1/tickets/")
    assert listed.status_code == 200 and "Scanner jams on page two" in listed.content.decode()
    # The same statements many times over: psycopg would prepare them after 5 (prepare_threshold
    # None keeps it from doing so; a prepared statement is gone after PgBouncer's DISCARD ALL).
    for _ in range(8):
        assert desk.get(f"/agent/tickets/{ticket.pk}/").status_code == 200


def test_iterating_large_results_needs_no_server_side_cursor(through_bouncer, customer):
    for number in range(5):
        services.ticket_create(actor=customer, subject=f"Iterated {number}", description="Long enough description.")
    assert len(list(Ticket.objects.order_by("pk").iterator(chunk_size=2))) == 5
    # The control: with server-side cursors, the cursor is gone before the second fetch.
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
    try:
        with pytest.raises((OperationalError, ProgrammingError)):
            list(Ticket.objects.order_by("pk").iterator(chunk_size=2))
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
        connection.close()


def test_live_updates_listen_on_the_direct_connection(through_bouncer, scale, settings, ticket, customer, agent):
    """The PostgreSQL bus: NOTIFY goes with the change's transaction (through PgBouncer), the
    listener's LISTEN holds a direct connection to the primary."""
    assert direct_alias() == "direct"
    hub.shutdown()
    settings.HELPDESK_LIVE_BUS = "postgres"
    live_bus.reset()
    try:
        assert live_bus.current().name == "postgres"
        with asgi_server() as url:
            stream = Stream(url, session_cookie(customer))
            try:
                deadline = time.monotonic() + 10
                while not (hub.open_streams(customer.pk) == 1 and hub.listening):
                    assert time.monotonic() < deadline, "the stream or its listener did not start"
                    time.sleep(0.05)
                with connections["direct"].cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'helpdesk-live' "
                        "AND query LIKE 'LISTEN%%' AND datname = current_database()"
                    )
                    assert cursor.fetchone()[0] == 1
                assert "helpdesk-live" not in scale.bouncer_admin("SHOW CLIENTS")  # not through PgBouncer
                time.sleep(0.3)
                services.message_add(actor=agent, ticket=ticket, body="Pushed over LISTEN/NOTIFY.")
                assert stream.wait_for("ticket", timeout=10)
            finally:
                stream.close()
            hub.shutdown()
    finally:
        live_bus.reset()


def test_the_sla_sweeper_claims_batches_with_skip_locked(through_bouncer, customer):
    admins = _admins()
    clock_ids = _due_clocks(customer, 6)
    assert sweep_sla(now=NOW, batch=7).breached == len(clock_ids)
    assert sweep_sla(now=NOW, batch=7).breached == 0
    _assert_exactly_once(clock_ids, admins)
    assert SlaClock.objects.filter(pk__in=clock_ids).count() == len(clock_ids)


def test_the_webhook_outbox_is_sent(through_bouncer, customer, agent, receiver, make_endpoint):  # noqa: F811
    make_endpoint(receiver=receiver)
    ticket = services.ticket_create(actor=customer, subject="Invoice page broken", description="It errors every time.")
    services.message_add(actor=agent, ticket=ticket, body="Looking into it.")
    assert sender.send_due().delivered == 2
    assert sender.send_due().delivered == 0  # claimed once, with SKIP LOCKED and a lease
    assert receiver.types() == ["ticket.created", "ticket.comment_added"]
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}


def test_generate_tickets_copies_batches(through_bouncer):
    out = io.StringIO()
    call_command("generate_tickets", tickets=120, seed=3, batch=40, workers=2, no_progress=True, stdout=out)
    assert Ticket.objects.count() == 120
    assert Message.objects.filter(ticket__in=Ticket.objects.all()).exists()


def test_migrations_run_on_the_direct_connection_and_never_on_a_replica():
    out = io.StringIO()
    call_command("migrate", database="direct", interactive=False, stdout=out)
    assert "No migrations to apply" in out.getvalue()
    from helpdesk.db.router import ReplicaRouter

    assert ReplicaRouter().allow_migrate("replica1", "tickets") is False
    assert ReplicaRouter().allow_migrate("direct", "tickets") is None


@pytest.mark.parametrize("alias", ["direct", "default"])
def test_backup_runs_on_either_connection(alias, customer, tmp_path):
    """``manage.py backup`` (pg_dump on a snapshot the app exports) past PgBouncer and through it."""
    services.ticket_create(actor=customer, subject="Kept in the backup", description="Long enough description.")
    call_command("backup", output=tmp_path / alias, database=alias, stdout=io.StringIO())
    assert (tmp_path / alias / "manifest.json").exists()
