"""Issue 18 §1's proof: a script written for Zendesk with the zenpy client (pinned in
requirements-dev.txt) runs unchanged against a live desk, and what it did reads back the same
through /api/v1/."""

from __future__ import annotations

import io
import time

import pytest
import requests

from accounts import services as account_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def zendesk(live_server, monkeypatch):
    """A factory of zenpy clients pointed at the live server over http, as issue 18 says."""
    from zenpy import Zenpy

    monkeypatch.setenv("ZENPY_FORCE_NETLOC", live_server.url.split("://", 1)[1])
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")

    def client(user):
        token = account_services.api_token_get_or_create(user=user).key
        return Zenpy(subdomain="desk", email=user.email, token=token, disable_cache=True)

    return client


def _v1(live_server, user, path):
    token = account_services.api_token_get_or_create(user=user).key
    response = requests.get(live_server.url + path, headers={"Authorization": f"Token {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_zenpy_script_runs_unchanged(zendesk, live_server, customer, other_customer, agent):
    from zenpy.lib.api_objects import Comment, Ticket
    from zenpy.lib.exception import APIException, RecordNotFoundException

    desk = zendesk(agent)
    ada = zendesk(customer)
    eve = zendesk(other_customer)
    assert desk.users.me().role == "agent"
    assert ada.users.me().email == customer.email

    # Ada files a ticket with a file uploaded first.
    upload = ada.attachments.upload(io.BytesIO(b"Paper tray 2, page two, every time.\n"), target_name="steps.txt")
    audit = ada.tickets.create(
        Ticket(
            subject="Printer jams on page two",
            comment=Comment(body="The office printer jams on the second page of every job.", uploads=[upload.token]),
            priority="high",
        )
    )
    ticket_id = audit.ticket.id
    assert audit.ticket.status == "new" and audit.ticket.priority == "high"
    assert audit.audit.events[0]["type"] == "Comment"

    # The agent replies publicly, then adds an internal note.
    ticket = desk.tickets(id=ticket_id)
    ticket.comment = Comment(body="Please try the rear tray and tell us.", public=True)
    desk.tickets.update(ticket)
    ticket = desk.tickets(id=ticket_id)
    assert ticket.status == "open"  # answered: no longer new
    ticket.comment = Comment(body="Internal: supplier CANARY-NOTE says toner batch is bad.", public=False)
    desk.tickets.update(ticket)

    agent_comments = list(desk.tickets.comments(ticket=ticket_id))
    ada_comments = list(ada.tickets.comments(ticket=ticket_id))
    assert [c.public for c in agent_comments] == [True, True, False]
    assert [c.public for c in ada_comments] == [True, True]
    assert all("CANARY-NOTE" not in c.body for c in ada_comments)
    (attachment,) = agent_comments[0].attachments
    assert attachment.file_name == "steps.txt"
    downloaded = desk.attachments.download(attachment.id)
    assert downloaded.getvalue() == b"Paper tray 2, page two, every time.\n"
    with pytest.raises(RecordNotFoundException):
        eve.tickets(id=ticket_id)

    # More tickets, filed by the agent for Ada, to page through.
    others = [
        desk.tickets.create(
            Ticket(
                subject=f"Toner order {n}", requester_id=customer.pk, comment=Comment(body=f"Order toner, batch {n}.")
            )
        ).ticket.id
        for n in range(3)
    ]

    # Search by status and text.
    found = list(desk.search("jams", type="ticket", status="open"))
    assert [t.id for t in found] == [ticket_id]
    assert {t.id for t in desk.search(type="ticket", status="new", requester=customer.email)} == set(others)
    assert list(desk.search("jams", type="ticket", status="pending")) == []
    with pytest.raises(APIException):
        list(desk.search("colour:blue", type="ticket"))

    # List by cursor, two a page.
    listed = [t.id for t in desk.tickets(cursor_pagination=2)]
    assert listed == [ticket_id, *others]
    assert [t.id for t in eve.tickets()] == []

    # Status and tags.
    ticket = desk.tickets(id=ticket_id)
    ticket.status = "pending"
    ticket.tags = ["printer", "jam"]
    desk.tickets.update(ticket)
    assert desk.tickets(id=ticket_id).status == "pending"

    # The ticket's audits, oldest first: filed, the reply, the note, then status and tags.
    audits = list(desk.tickets.audits(ticket=ticket_id))
    kinds = [[e["type"] for e in a.events] for a in audits]
    assert kinds[0] == ["Comment", "Create", "Create", "Create", "Create"], kinds
    created = {e["field_name"]: e["value"] for e in audits[0].events if e["type"] == "Create"}
    assert created == {
        "subject": "Printer jams on page two",
        "status": "new",
        "priority": "high",
        "requester_id": customer.pk,
    }
    changes = [e for a in audits for e in a.events if e["type"] == "Change"]
    moves = [[c["field_name"], c["previous_value"], c["value"]] for c in changes]
    assert ["status", "open", "pending"] in moves and ["tags", [], ["jam", "printer"]] in moves, moves
    assert all(a.ticket_id == ticket_id for a in audits)
    ada_audits = list(ada.tickets.audits(ticket=ticket_id))
    assert "CANARY-NOTE" not in str([a.events for a in ada_audits])
    assert all(e.get("field_name") not in ("tags", "group_id") for a in ada_audits for e in a.events)
    assert len(ada_audits) < len(audits)
    with pytest.raises(RecordNotFoundException):
        list(eve.tickets.audits(ticket=ticket_id))

    # Bulk update, polled through its job status.
    job = desk.tickets.update(
        [Ticket(id=pk, priority="urgent") for pk in others[:2]] + [Ticket(id=999999, priority="low")]
    )
    for _ in range(50):
        job = desk.job_status(id=job.id)
        if job.status == "completed":
            break
        time.sleep(0.1)
    assert job.status == "completed" and job.total == 3 and job.progress == 3
    assert [r.success for r in job.results] == [True, True, False]
    assert job.results[2].error == "RecordNotFound"

    # The incremental export reads everything, a page at a time, to the end of the stream.
    exported = list(desk.tickets.incremental(start_time=0, per_page=2))
    assert sorted(t.id for t in exported) == sorted([ticket_id, *others])

    # The same results through /api/v1/.
    seen = _v1(live_server, agent, f"/api/v1/tickets/{ticket_id}/")
    assert seen["status"] == "pending" and seen["tags"] == ["jam", "printer"] and seen["priority"] == "high"
    assert [m["internal"] for m in _v1(live_server, agent, f"/api/v1/tickets/{ticket_id}/messages/")["results"]] == [
        False,
        False,
        True,
    ]
    assert len(_v1(live_server, customer, f"/api/v1/tickets/{ticket_id}/messages/")["results"]) == 2
    assert {_v1(live_server, agent, f"/api/v1/tickets/{pk}/")["priority"] for pk in others[:2]} == {"urgent"}
    attachments = _v1(live_server, customer, f"/api/v1/tickets/{ticket_id}/attachments/")["results"]
    assert [a["filename"] for a in attachments] == ["steps.txt"]
