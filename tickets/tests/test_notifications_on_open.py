"""Opening a ticket clears its notifications (issue 14 §3): the agent page and the portal page
mark the reader's unread notifications about that ticket read — one UPDATE whatever their
number, none when nothing is unread — and leave other tickets' and other people's alone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import EventKind, Notification, NotificationKind, TicketEvent
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def notify(person, ticket, count: int = 1) -> None:
    for _ in range(count):
        event = TicketEvent.objects.create(ticket=ticket, actor_name="Someone", kind=EventKind.STATUS_CHANGED)
        Notification.objects.create(recipient=person, ticket=ticket, event=event, kind=NotificationKind.STATUS_CHANGED)


def unread(person, ticket=None) -> int:
    qs = Notification.objects.filter(recipient=person, read_at__isnull=True)
    return (qs.filter(ticket=ticket) if ticket else qs).count()


def test_agent_opening_a_ticket_reads_its_notifications_only(client, admin, customer, ticket):
    other = make_ticket(customer, subject="Another printer problem")
    notify(admin, ticket, 3)
    notify(admin, other, 2)
    notify(customer, ticket, 1)
    client.force_login(admin)
    response = client.get(f"/agent/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert unread(admin, ticket) == 0
    assert unread(admin, other) == 2
    assert unread(customer, ticket) == 1
    # The bell shows what is left, without counting again.
    assert 'class="bell-count">2<' in response.content.decode()


def test_customer_opening_a_ticket_reads_its_notifications(client, customer, ticket):
    notify(customer, ticket, 2)
    client.force_login(customer)
    response = client.get(f"/portal/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert unread(customer) == 0
    assert "bell-count" not in response.content.decode()


def test_a_ticket_one_may_not_see_clears_nothing(client, other_customer, ticket):
    notify(other_customer, ticket, 1)  # e.g. left from before access was withdrawn
    client.force_login(other_customer)
    assert client.get(f"/portal/tickets/{ticket.pk}/").status_code == 404
    assert unread(other_customer) == 1


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["agent", "portal"])
def test_one_update_whatever_the_number_and_none_with_nothing_unread(client, admin, customer, ticket, page):
    reader = admin if page == "agent" else customer
    url = f"/agent/tickets/{ticket.pk}/" if page == "agent" else f"/portal/tickets/{ticket.pk}/"
    client.force_login(reader)
    client.get(url)  # first visit writes read markers once
    nothing_unread = queries(client, url)
    notify(reader, ticket, 1)
    one = queries(client, url)
    notify(reader, ticket, 25)
    many = queries(client, url)
    assert one == many == nothing_unread + 1
    assert unread(reader) == 0


def test_service_marks_only_the_actors_unread_notifications(admin, customer, ticket):
    notify(admin, ticket, 2)
    assert services.notification_mark_read_for_ticket(actor=admin, ticket=ticket) == 2
    assert services.notification_mark_read_for_ticket(actor=admin, ticket=ticket) == 0
