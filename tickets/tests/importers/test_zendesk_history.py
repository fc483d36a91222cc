"""A ticket's history from Zendesk's own audit shapes (not only our /api/v2/'s): ids given as
strings, the system as author -1, tags as one string, event types we have no entry for, a
``Create`` with a team and assignee; written once however often the audits are read; and the
satisfaction rating on the imported solve (good, offered, unoffered, and a rating without a solve)."""

from __future__ import annotations

import pytest

from tickets.importers.framework import ImportSession, Outcome
from tickets.importers.zendesk.client import ZendeskClient
from tickets.importers.zendesk.importer import SOURCE, ZendeskImporter
from tickets.models import EventKind, Status
from tickets.satisfaction.models import SatisfactionRating
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _importer(customer, agent, billing_team) -> ZendeskImporter:
    session = ImportSession(source=SOURCE, instance="acme.zendesk.com", progress=False)
    importer = ZendeskImporter(ZendeskClient("https://acme.zendesk.com", email="e", token="t"), session)
    session.links.put("user", 901, customer.pk)
    session.links.put("user", 902, agent.pk)
    session.links.put("team", 77, billing_team.pk)
    importer.fields = {}
    return importer


AUDITS = [
    {
        "id": 5001,
        "created_at": "2024-03-01T09:00:00Z",
        "author_id": 901,
        "events": [
            {"id": 1, "type": "Comment", "body": "Printer jams", "public": True, "author_id": 901},
            {"id": 2, "type": "Create", "field_name": "status", "value": "new"},
            {"id": 3, "type": "Create", "field_name": "group_id", "value": "77"},
            {"id": 4, "type": "Create", "field_name": "assignee_id", "value": None},
            {"id": 5, "type": "Notification", "subject": "Received", "recipients": [901]},
        ],
    },
    {
        "id": 5002,
        "created_at": "2024-03-01T10:00:00Z",
        "author_id": 902,
        "events": [
            {"id": 6, "type": "Change", "field_name": "assignee_id", "value": "902", "previous_value": None},
            {"id": 7, "type": "Change", "field_name": "status", "value": "open", "previous_value": "new"},
            {"id": 8, "type": "Change", "field_name": "tags", "value": "printer vip", "previous_value": "printer"},
            {"id": 9, "type": "Change", "field_name": "priority", "value": "urgent", "previous_value": None},
        ],
    },
    {
        "id": 5003,
        "created_at": "2024-03-02T08:00:00Z",
        "author_id": -1,
        "events": [{"id": 10, "type": "Change", "field_name": "status", "value": "solved", "previous_value": "open"}],
    },
    {
        "id": 5004,
        "created_at": "2024-03-02T12:00:00Z",
        "author_id": 901,
        "events": [{"id": 11, "type": "SatisfactionRating", "score": "good", "assignee_id": 902, "body": "Thanks"}],
    },
]


def test_zendesk_audits_become_the_history_once(customer, agent, billing_team):
    importer = _importer(customer, agent, billing_team)
    ticket = make_ticket(customer)
    before = ticket.events.order_by("-pk").first().pk
    rated = importer.tickets.history.write(ticket, AUDITS)
    rows = [
        [e.kind, e.actor_id, e.data.get("old"), e.data.get("new"), e.created_at.isoformat()]
        for e in ticket.events.filter(pk__gt=before).order_by("created_at", "id")
    ]
    team = {"id": billing_team.pk, "name": billing_team.name}
    alice = {"id": agent.pk, "name": agent.name}
    assert rows == [
        # "new" → "open" is no change here; the notification has no entry.
        [EventKind.TEAM_CHANGED, customer.pk, None, team, "2024-03-01T09:00:00+00:00"],
        [EventKind.ASSIGNED, agent.pk, None, alice, "2024-03-01T10:00:00+00:00"],
        [EventKind.TAGS_CHANGED, agent.pk, None, None, "2024-03-01T10:00:00+00:00"],
        [EventKind.PRIORITY_CHANGED, agent.pk, "normal", "urgent", "2024-03-01T10:00:00+00:00"],
        [EventKind.STATUS_CHANGED, None, Status.OPEN, Status.SOLVED, "2024-03-02T08:00:00+00:00"],
    ]
    tags = ticket.events.get(kind=EventKind.TAGS_CHANGED)
    assert tags.data == {"added": ["vip"], "removed": [], "tags": ["printer", "vip"]} and not tags.public

    row = {
        "id": 42,
        "satisfaction_rating": {
            "id": 1,
            "score": "good",
            "comment": "Thanks",
            "created_at": "2024-03-02T08:00:00Z",
            "updated_at": "2024-03-02T12:00:00Z",
        },
    }
    importer.tickets.history.rating(ticket, row, rated)
    rating = SatisfactionRating.objects.get(ticket=ticket)
    solve = ticket.events.get(kind=EventKind.STATUS_CHANGED)
    assert (rating.solve_event_id, rating.score, rating.comment) == (solve.pk, "good", "Thanks")
    assert (rating.assignee_id, rating.team_id, rating.requester_id) == (agent.pk, billing_team.pk, customer.pk)
    assert rating.rated_at.isoformat() == "2024-03-02T12:00:00+00:00"
    said = ticket.events.get(kind=EventKind.SATISFACTION_RATED)
    assert (said.actor_id, said.data["score"], said.data["rating_id"], said.public) == (
        customer.pk,
        "good",
        rating.pk,
        True,
    )

    # Read again (the ticket changed at the source): nothing written twice, the rating kept.
    count = ticket.events.count()
    assert importer.tickets.history.write(ticket, AUDITS) == []
    importer.tickets.history.rating(ticket, row, [])
    assert ticket.events.count() == count and SatisfactionRating.objects.get(ticket=ticket).pk == rating.pk
    assert importer.session.report.get("satisfaction", Outcome.CREATED) == 1


def test_offered_unoffered_and_a_rating_without_a_solve(customer, agent, billing_team):
    importer = _importer(customer, agent, billing_team)
    history = importer.tickets.history
    ticket = make_ticket(customer)
    history.rating(ticket, {"id": 1, "satisfaction_rating": {"score": "good", "comment": "Yes"}}, [])
    history.rating(ticket, {"id": 1, "satisfaction_rating": {"score": "offered"}}, [])
    assert not SatisfactionRating.objects.filter(ticket=ticket).exists()  # no solve to tie it to
    assert importer.session.report.get("satisfaction", Outcome.SKIPPED) == 1
    history.write(ticket, AUDITS[2:3])
    history.rating(ticket, {"id": 1, "satisfaction_rating": {"score": "unoffered"}}, [])
    assert not SatisfactionRating.objects.filter(ticket=ticket).exists()
    history.rating(ticket, {"id": 1, "satisfaction_rating": {"score": "offered", "created_at": None}}, [])
    offered = SatisfactionRating.objects.get(ticket=ticket)
    assert offered.score == "offered" and offered.rated_at is None and offered.comment == ""
