"""Query budgets of the v2 endpoints: the count is at most ``BUDGET`` and the same with many rows
as with few (nothing fetched row by row), for an agent and for a customer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import TicketField
from tickets.tests.factories import text_file
from tickets.zendesk.tests.support import bearer

pytestmark = pytest.mark.django_db

BUDGET = 12
FEW, MANY = 2, 12
PATHS = [
    "/api/v2/tickets.json",
    "/api/v2/tickets/{first}.json",
    "/api/v2/tickets/show_many.json?ids={ids}",
    "/api/v2/tickets/{first}/comments.json",
    "/api/v2/tickets/{first}/audits.json",
    "/api/v2/search.json?query=printer",
    "/api/v2/search.json?query=type:ticket status<solved -priority:low requester:ada@acme.test",
    "/api/v2/search.json?query=tags:printer -tags:spam",
    "/api/v2/incremental/tickets/cursor.json?start_time=0",
    "/api/v2/users.json",
    "/api/v2/organizations.json",
    "/api/v2/ticket_fields.json",
]


def _grow(count, customer, agent, first=None):
    made = []
    for n in range(count):
        ticket = services.ticket_create(
            actor=customer, subject=f"Printer {n} jams", description=f"The printer number {n} jams every day."
        )
        services.ticket_update(actor=agent, ticket=ticket, tags=["printer", f"t{n}"], assignee=agent)
        services.collaborator_add(actor=agent, ticket=ticket, email=f"cc{n}@acme.test")
        target = first or ticket
        services.message_add(actor=agent, ticket=target, body=f"Answer {n}", attachments=[text_file(f"n{n}.txt")])
        services.message_add(actor=agent, ticket=target, body=f"Note {n}", internal=True)
        # The first ticket's history grows too (audits): priority, tags and a custom field.
        services.ticket_update(
            actor=agent,
            ticket=target,
            priority="high" if n % 2 else "low",
            tags=["printer", f"a{n}"],
            custom_fields={"order_number": str(n)},
        )
        made.append(ticket)
    return made


def _counts(client, user, first, ids):
    counts = {}
    for path in PATHS:
        staff_only = (
            "/api/v2/incremental",
            "/api/v2/users.json",
            "/api/v2/search.json?query=tags",
            "/api/v2/ticket_fields.json",
        )
        if path.startswith(staff_only) and user.role == "customer":
            continue
        url = path.format(first=first, ids=ids)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **bearer(user))
        assert response.status_code == 200, (url, response.content[:300])
        counts[path] = len(queries)
    return counts


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_v2_reads_do_not_grow_with_rows(who, customer, agent, request):
    TicketField.objects.create(key="order_number", label="Order", visible_to_customers=True)
    user = request.getfixturevalue(who)
    client = Client()
    made = _grow(FEW, customer, agent)
    first = made[0]
    bearer(user)  # the token exists before measuring
    few = _counts(client, user, first.pk, ",".join(str(t.pk) for t in made))
    made += _grow(MANY - FEW, customer, agent, first=first)
    many = _counts(client, user, first.pk, ",".join(str(t.pk) for t in made))
    assert many == few, (few, many)
    assert max(many.values()) <= BUDGET, many
