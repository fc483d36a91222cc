"""Notifications (issue 8): who gets what, only after commit, idempotent, and auto-close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from accounts import services as account_services
from helpdesk.tests.local_redis import redis_url
from tickets import services, tasks
from tickets.models import EventKind, Notification, NotificationKind, Status, Ticket, TicketEvent
from tickets.tests.factories import make_ticket


def sent_to(email: str) -> list:
    return [m for m in mail.outbox if email in m.to]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit callbacks as a real commit would (tests otherwise never commit)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.mark.django_db
def test_requester_gets_an_acknowledgement(committed, customer):
    ticket = committed(make_ticket, customer, subject="Printer\r\nBcc: evil@example.com")
    (message,) = sent_to(customer.email)
    assert message.subject == f"[#{ticket.pk}] We received your request: Printer Bcc: evil@example.com"
    assert "\n" not in message.subject
    assert f"/portal/tickets/{ticket.pk}/" in message.body
    assert message.extra_headers["Message-ID"].startswith(f"<t{ticket.pk}.")
    assert (
        message.extra_headers["In-Reply-To"] == message.extra_headers["References"] == f"<ticket-{ticket.pk}@127.0.0.1>"
    )
    html = message.alternatives[0][0]
    assert "It started smoking" in html


@pytest.mark.django_db
def test_notification_links_use_the_configured_site_url(committed, customer, agent, settings):
    """Links in notification emails are built from HELPDESK_SITE_URL (which `make run` sets to the
    address it serves, e.g. port 8100), in the text and the HTML part, for customers and agents."""
    settings.HELPDESK_SITE_URL = "http://127.0.0.1:8100/"
    ticket = committed(make_ticket, customer, subject="Port check")
    (message,) = sent_to(customer.email)
    link = f"http://127.0.0.1:8100/portal/tickets/{ticket.pk}/"
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0][0]
    assert ":8000" not in message.body + message.alternatives[0][0]
    mail.outbox.clear()
    committed(services.message_add, actor=customer, ticket=ticket, body="Any news?")
    committed(services.ticket_update, actor=agent, ticket=ticket, assignee=agent)
    committed(services.message_add, actor=customer, ticket=ticket, body="Hello?")
    (message, *_) = sent_to(agent.email)
    assert f"http://127.0.0.1:8100/agent/tickets/{ticket.pk}/" in message.body


def test_make_run_serves_links_for_its_own_port():
    """scripts/run.sh points email links at the port it serves unless HELPDESK_SITE_URL is set."""
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "scripts" / "run.sh").read_text()
    assert 'export HELPDESK_SITE_URL="${HELPDESK_SITE_URL:-http://127.0.0.1:${PORT}}"' in script


@pytest.mark.django_db
def test_team_members_hear_of_new_unassigned_tickets(committed, customer, admin, team_agent, billing_team, password):
    muted = account_services.user_create(
        email="mute@desk.test",
        name="Muted Agent",
        password=password,
        role="agent",
        ticket_scope="teams",
        teams=[billing_team],
    )
    muted.notify_team_tickets = False
    muted.save(update_fields=["notify_team_tickets"])
    ticket = make_ticket(customer)
    committed(services.ticket_update, actor=admin, ticket=ticket, team=billing_team)
    assert len(sent_to(team_agent.email)) == 1
    assert f"/agent/tickets/{ticket.pk}/" in sent_to(team_agent.email)[0].body
    assert sent_to(muted.email) == []
    assert sent_to(admin.email) == []  # the actor is not told about their own change


@pytest.mark.django_db
def test_agent_reply_reaches_requester_and_collaborators_but_notes_reach_nobody(
    committed, ticket, agent, customer, other_customer
):
    services.collaborator_add(actor=agent, ticket=ticket, email=other_customer.email)
    mail.outbox.clear()
    committed(services.message_add, actor=agent, ticket=ticket, body="SECRET-NOTE-CANARY", internal=True)
    assert mail.outbox == []
    assert not Notification.objects.filter(recipient=customer).exists()
    committed(services.message_add, actor=agent, ticket=ticket, body="We fixed the download link.")
    for person in (customer, other_customer):
        (message,) = sent_to(person.email)
        assert "We fixed the download link." in message.body
        assert "SECRET-NOTE-CANARY" not in message.body + message.alternatives[0][0]


@pytest.mark.django_db
def test_reply_with_status_sends_one_mail(committed, ticket, agent, customer):
    mail.outbox.clear()
    committed(
        services.message_add, actor=agent, ticket=ticket, body="Can you send a screenshot?", status=Status.PENDING
    )
    (message,) = sent_to(customer.email)
    assert "waiting for your answer" in message.body


@pytest.mark.django_db
def test_status_solved_tells_the_requester(committed, ticket, agent, customer):
    mail.outbox.clear()
    committed(services.ticket_change_status, actor=agent, ticket=ticket, status=Status.SOLVED)
    (message,) = sent_to(customer.email)
    assert message.subject.startswith(f"[#{ticket.pk}] Solved")


@pytest.mark.django_db
def test_on_hold_does_not_mail_the_requester(committed, ticket, agent, customer):
    mail.outbox.clear()
    committed(services.ticket_change_status, actor=agent, ticket=ticket, status=Status.ON_HOLD)
    assert sent_to(customer.email) == []


@pytest.mark.django_db
def test_assignment_tells_the_assignee_but_claiming_does_not(committed, ticket, agent, team_agent):
    mail.outbox.clear()
    committed(services.ticket_assign, actor=agent, ticket=ticket, assignee=team_agent)
    (message,) = sent_to(team_agent.email)
    assert "assigned ticket" in message.body
    mail.outbox.clear()
    committed(services.ticket_assign, actor=agent, ticket=ticket, assignee=None)
    committed(services.ticket_claim, actor=agent, ticket=ticket)
    assert sent_to(agent.email) == []


@pytest.mark.django_db
def test_requester_reply_tells_the_assignee(committed, ticket, team_agent, customer):
    services.ticket_claim(actor=team_agent, ticket=ticket)
    mail.outbox.clear()
    committed(services.message_add, actor=customer, ticket=ticket, body="Here is the screenshot.")
    (message,) = sent_to(team_agent.email)
    assert "Here is the screenshot." in message.body
    assert sent_to(customer.email) == []


@pytest.mark.django_db
def test_nothing_is_sent_for_a_rolled_back_change(django_capture_on_commit_callbacks, ticket, agent):
    mail.outbox.clear()

    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort), transaction.atomic():
        services.message_add(actor=agent, ticket=ticket, body="This reply is rolled back.")
        raise Abort
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_delivery_is_idempotent(committed, ticket, agent, customer):
    committed(services.message_add, actor=agent, ticket=ticket, body="Only once, please.")
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.MESSAGE_ADDED).latest("id")
    before = len(mail.outbox)
    assert tasks.notify_event(event.pk) == 0
    assert len(mail.outbox) == before
    assert Notification.objects.filter(event=event).count() == 1


@pytest.mark.django_db
def test_failing_mail_server_never_breaks_the_action(committed, ticket, agent, customer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens on 9
    message = committed(services.message_add, actor=agent, ticket=ticket, body="Saved even if mail is down.")
    assert Ticket.objects.get(pk=ticket.pk).messages.filter(pk=message.pk).exists()
    notification = Notification.objects.get(recipient=customer, kind=NotificationKind.AGENT_REPLIED)
    assert notification.emailed_at is None  # left for a retry


# --- auto-close ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_autoclose_with_a_frozen_clock(ticket, agent, settings):
    settings.HELPDESK_AUTOCLOSE_DAYS = 4
    solved = services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    solved_at = Ticket.objects.get(pk=solved.pk).solved_at
    assert services.ticket_autoclose(now=solved_at + timedelta(days=3, hours=23)) == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED
    later = solved_at + timedelta(days=4, minutes=1)  # the default automation: solved more than 96 hours ago
    assert services.ticket_autoclose(now=later) == 1
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.closed_at) == (Status.CLOSED, later)
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    via = event.data.pop("via")
    assert (event.kind, event.actor_id, event.actor_name, event.data) == (
        EventKind.STATUS_CHANGED,
        None,
        "System",
        {"old": "solved", "new": "closed"},
    )
    assert (via["kind"], via["name"]) == ("automation", "Close solved tickets after 4 days")
    assert services.ticket_autoclose(now=later + timedelta(days=30)) == 0  # closed stays closed


@pytest.mark.django_db
def test_autoclose_command(ticket, agent, settings, capsys):
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=ticket.created_at - timedelta(days=10))
    call_command("close_solved_tickets")
    assert "Closed 1 solved ticket." in capsys.readouterr().out
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


# --- a real worker on the local Redis -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_delivers_the_mail(customer, agent):
    from celery.contrib.testing.worker import start_worker

    from helpdesk.celery import app

    redis_url()
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30):
            ticket = make_ticket(customer)  # commits: the event is queued on Redis and handled by the worker
            import time

            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not sent_to(customer.email):
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True
    (message,) = sent_to(customer.email)
    assert f"[#{ticket.pk}]" in message.subject


# --- in-app notifications ------------------------------------------------------------------------


@pytest.mark.django_db
def test_bell_and_list_show_own_unread_notifications(
    committed, client, ticket, agent, customer, other_customer, password
):
    committed(services.message_add, actor=agent, ticket=ticket, body="First answer.")
    committed(services.message_add, actor=agent, ticket=ticket, body="SECRET-NOTE", internal=True)
    client.login(username=customer.email, password=password)
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="bell-count">1<' in html
    assert "New reply on your ticket" in html and "SECRET-NOTE" not in html
    notification = Notification.objects.get(recipient=customer, kind=NotificationKind.AGENT_REPLIED)
    opened = client.post(f"/notifications/{notification.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == f"/portal/tickets/{ticket.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    # Someone else's notification is not found, and cannot be marked read.
    client.logout()
    client.login(username=other_customer.email, password=password)
    assert client.post(f"/notifications/{notification.pk}/open/").status_code == 404
    assert "bell-count" not in client.get("/notifications/").content.decode()


@pytest.mark.django_db
def test_mark_all_read(committed, client, ticket, agent, customer, password):
    for i in range(3):
        committed(services.message_add, actor=agent, ticket=ticket, body=f"Answer {i}.")
    client.login(username=customer.email, password=password)
    response = client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"
    assert not Notification.objects.filter(recipient=customer, read_at__isnull=True).exists()


@pytest.mark.django_db
def test_notification_page_queries_do_not_grow(
    committed, client, ticket, agent, customer, password, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.login(username=customer.email, password=password)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/notifications/").status_code == 200
        return len(ctx)

    committed(services.message_add, actor=agent, ticket=ticket, body="One.")
    few = queries()
    for i in range(40):
        committed(services.message_add, actor=agent, ticket=ticket, body=f"Reply {i}.")
    assert queries() == few


@pytest.mark.django_db
def test_agent_mutes_team_emails_on_the_profile_page(client, team_agent, customer, password):
    client.login(username=team_agent.email, password=password)
    page = client.get("/accounts/profile/").content.decode()
    assert "Email me about new unassigned tickets in my teams" in page
    assert client.post("/accounts/profile/notifications/", {}).status_code == 302
    team_agent.refresh_from_db()
    assert team_agent.notify_team_tickets is False
    client.post("/accounts/profile/notifications/", {"notify_team_tickets": "1"})
    team_agent.refresh_from_db()
    assert team_agent.notify_team_tickets is True
    client.logout()
    client.login(username=customer.email, password=password)
    assert "Email me about new" not in client.get("/accounts/profile/").content.decode()
    assert client.post("/accounts/profile/notifications/", {}).status_code == 403


def test_the_bells_count_does_not_order_what_it_counts(ticket, agent, customer):
    """The unread count reads at most 100 ids, unordered (an ORDER BY made PostgreSQL sort every
    unread notification on every page), and still counts them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.selectors.notifications import unread_notification_count

    services.message_add(actor=customer, ticket=ticket, body="Any news on the invoice?")
    events = list(ticket.events.order_by("pk")[:3])
    assert len(events) == 3
    Notification.objects.bulk_create(
        [Notification(recipient=agent, ticket=ticket, event=e, kind=NotificationKind.TEAM_TICKET) for e in events]
    )
    with CaptureQueriesContext(connection) as captured:
        assert unread_notification_count(agent) == 3
    assert len(captured) == 1 and "ORDER BY" not in captured[0]["sql"].upper()
    # Read ones and other people's are not counted.
    from helpdesk import memo

    Notification.objects.filter(pk=Notification.objects.filter(recipient=agent).first().pk).update(
        read_at=ticket.created_at
    )
    Notification.objects.create(recipient=customer, ticket=ticket, event=events[0], kind=NotificationKind.TEAM_TICKET)
    memo.forget_all()
    assert unread_notification_count(agent) == 2
