"""The agent workspace pages: who may use them, the queue, bulk actions, the ticket page, stats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from conftest import PASSWORD
from helpdesk import memo
from tickets import permissions, queue, services
from tickets.models import Attachment, EventKind, Priority, Status, Tag, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

DESCRIPTION = "Something is wrong and I would like some help with it, please."


def _login(client, user):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def _file(requester, subject, *, team=None, admin=None, **kw):
    ticket = services.ticket_create(actor=requester, subject=subject, description=DESCRIPTION, **kw)
    if team is not None:
        ticket = services.ticket_update(actor=admin, ticket=ticket, team=team)
    return ticket


def _bulk_tickets(n, *, requester, team=None, tags=(), **fields):
    """``n`` tickets at once (bulk inserts with the same access rows ``ticket_create`` grants),
    for query-count tests that need many rows quickly."""
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                subject=f"Bulk ticket number {i}",
                requester=requester,
                organization=requester.organization,
                team=team,
                created_at=now - timedelta(minutes=i),
                updated_at=now - timedelta(minutes=i),
                **fields,
            )
            for i in range(n)
        ]
    )
    users, groups = [], []
    for ticket in tickets:
        u, g = permissions.permission_rows_for_new_ticket(ticket)
        users += u
        groups += g
    from tickets.models import TicketGroupPermission, TicketUserPermission

    TicketUserPermission.objects.bulk_create(users)
    TicketGroupPermission.objects.bulk_create(groups)
    tag_objs = [Tag.objects.get_or_create(name=name)[0] for name in tags]
    Ticket.tags.through.objects.bulk_create(
        [Ticket.tags.through(ticket_id=t.pk, tag_id=tag.pk) for t in tickets for tag in tag_objs]
    )
    return tickets


@pytest.fixture
def tech_ticket(customer, admin, tech_team):
    return _file(customer, "Server room is flooded", team=tech_team, admin=admin)


# --- who may use the workspace ------------------------------------------------------------------


AGENT_GETS = ["agent:queue", "agent:stats"]


@pytest.mark.parametrize("persona", ["customer", "org_member", "other_customer"])
def test_customers_get_404_everywhere(client, request, persona, ticket):
    _login(client, request.getfixturevalue(persona))
    for name in AGENT_GETS:
        assert client.get(reverse(name)).status_code == 404
    assert client.get(reverse("agent:ticket", args=[ticket.pk])).status_code == 404
    for name in ("agent:message", "agent:fields", "agent:claim", "agent:collaborator_add"):
        assert client.post(reverse(name, args=[ticket.pk]), {"body": "x", "mode": "reply"}).status_code == 404
    assert client.post(reverse("agent:bulk"), {"ids": [ticket.pk], "priority": "high"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert ticket.messages.count() == 1


def test_signed_out_is_sent_to_sign_in(client, ticket):
    response = client.get(reverse("agent:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["agent", "admin"])
def test_home_sends_agents_to_the_queue(client, request, persona):
    _login(client, request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("agent:queue")


@pytest.mark.parametrize("persona", ["agent", "team_agent", "admin"])
def test_agents_use_every_page(client, request, persona, ticket):
    _login(client, request.getfixturevalue(persona))
    for name in AGENT_GETS:
        assert client.get(reverse(name)).status_code == 200
    page = client.get(reverse("agent:ticket", args=[ticket.pk]))
    assert page.status_code == 200
    assert b"Cannot download invoice" in page.content


def test_team_scoped_agents_never_see_other_teams(client, team_agent, other_team_agent, agent, ticket, tech_ticket):
    """Tom (Billing) sees Ada's billing ticket, never the Technical one: not in any view, count,
    search, filter or URL. Tina (Technical) the other way round."""
    for me, mine, theirs in ((team_agent, ticket, tech_ticket), (other_team_agent, tech_ticket, ticket)):
        client.logout()
        _login(client, me)
        counts = queue.view_counts(me)
        assert counts["all"] == 1 and counts["unassigned"] == 1 and counts["my_teams"] == 1
        for view in queue.VIEW_KEYS:
            page = client.get(reverse("agent:queue"), {"view": view})
            assert page.status_code == 200
            assert theirs.subject.encode() not in page.content
        # Search for their subject, their id, their body text: nothing.
        for text in (theirs.subject, f"#{theirs.pk}", theirs.subject.split()[-1], "help with it"):
            page = client.get(reverse("agent:queue"), {"view": "all", "q": text})
            assert theirs.pk not in [t.pk for t in page.context["page"].tickets]
            assert f'href="/agent/tickets/{theirs.pk}/"'.encode() not in page.content
        page = client.get(reverse("agent:queue"), {"view": "all", "team": str(theirs.team_id)})
        assert page.status_code == 200 and theirs.subject.encode() not in page.content
        page = client.get(reverse("agent:queue"), {"view": "all"})
        assert mine.subject.encode() in page.content
        # Every URL of their ticket is a 404, and nothing changes.
        assert client.get(reverse("agent:ticket", args=[theirs.pk])).status_code == 404
        for name, data in (
            ("agent:message", {"mode": "note", "body": "peek"}),
            ("agent:fields", {"status": "open", "priority": "urgent"}),
            ("agent:claim", {}),
            ("agent:collaborator_add", {"email": "spy@example.com"}),
        ):
            assert client.post(reverse(name, args=[theirs.pk]), data).status_code == 404
        response = client.post(reverse("agent:bulk"), {"ids": [theirs.pk], "priority": "urgent"}, follow=True)
        assert b"no such ticket" in response.content
        theirs.refresh_from_db()
        assert theirs.priority == Priority.NORMAL and theirs.assignee_id is None
        assert not theirs.messages.filter(internal=True).exists()
        # Their own ticket's page does not list the other ticket as "other tickets" either.
        page = client.get(reverse("agent:ticket", args=[mine.pk]))
        assert theirs.subject.encode() not in page.content
    # An all-tickets agent sees both.
    client.logout()
    _login(client, agent)
    assert queue.view_counts(agent)["all"] == 2


# --- the queue ----------------------------------------------------------------------------------


def test_view_counts_stop_at_the_cap_and_say_so(client, agent, customer, monkeypatch):
    for n in range(3):
        _file(customer, f"Capped count {n}")
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    client.force_login(agent)
    counts = client.get("/agent/counts/").json()["counts"]
    assert counts["unassigned"] == 2 and counts["all"] == 2 and counts["mine"] == 0
    body = client.get("/agent/").content.decode()
    assert 'data-view-count="all" title="2 or more">2+</span>' in body
    assert 'data-view-count="mine">0</span>' in body


def test_view_counts_in_one_query(agent, customer, admin, django_assert_num_queries):
    mine = _file(customer, "Claimed by Alice")
    services.ticket_claim(actor=agent, ticket=mine)
    pending = _file(customer, "Waiting on the customer")
    services.ticket_change_status(actor=agent, ticket=pending, status=Status.PENDING)
    hold = _file(customer, "Waiting on a vendor")
    services.ticket_change_status(actor=agent, ticket=hold, status=Status.ON_HOLD)
    solved = _file(customer, "Fixed already")
    services.ticket_change_status(actor=agent, ticket=solved, status=Status.SOLVED)
    _file(customer, "Brand new problem")
    agent = type(agent).objects.get(pk=agent.pk)  # fresh: no cached permissions
    with memo.scope():  # what a request has (RequestMemoMiddleware)
        permissions.visible_tickets(agent)  # loads the permission memo, as a request's first check would
        queue.view_filter("my_teams", agent)  # and the agent's teams, looked up once per request
        with django_assert_num_queries(1):
            counts = queue.view_counts(agent)
    assert counts == {
        "unassigned": 3,  # new, pending, on hold (the claimed one is Alice's)
        "mine": 1,
        "my_teams": 0,
        "open": 2,  # new + in progress
        "pending": 1,
        "on_hold": 1,
        "solved": 1,
        "all": 5,
    }


def test_filters(client, agent, customer, other_customer, admin, billing_team):
    urgent = _file(customer, "Urgent billing issue", priority=Priority.URGENT, tags=["vip"])
    low = _file(other_customer, "Low priority question", priority=Priority.LOW)
    services.message_add(actor=other_customer, ticket=low, body="The keyword is pineapple.")
    services.ticket_update(actor=admin, ticket=urgent, team=billing_team)
    services.ticket_claim(actor=agent, ticket=low)
    _login(client, agent)

    def subjects(**params):
        response = client.get(reverse("agent:queue"), {"view": "all", **params})
        assert response.status_code == 200
        return {t.subject for t in response.context["page"].tickets}

    assert subjects() == {"Urgent billing issue", "Low priority question"}
    assert subjects(priority=["urgent", "high"]) == {"Urgent billing issue"}
    assert subjects(status=["in_progress"]) == {"Low priority question"}
    assert subjects(status=["open", "in_progress"]) == {"Urgent billing issue", "Low priority question"}
    assert subjects(assignee="me") == {"Low priority question"}
    assert subjects(assignee="none") == {"Urgent billing issue"}
    assert subjects(assignee=str(agent.pk)) == {"Low priority question"}
    assert subjects(team=str(billing_team.pk)) == {"Urgent billing issue"}
    assert subjects(team="none") == {"Low priority question"}
    assert subjects(tag="VIP") == {"Urgent billing issue"}
    assert subjects(requester="EVE@globex.test") == {"Low priority question"}
    assert subjects(requester=str(customer.pk)) == {"Urgent billing issue"}
    assert subjects(organization=str(customer.organization_id)) == {"Urgent billing issue"}
    assert subjects(organization=customer.organization.name.upper()) == {"Urgent billing issue"}
    assert subjects(q="pineapple") == {"Low priority question"}
    assert subjects(q="billing") == {"Urgent billing issue"}
    assert subjects(q=f"#{low.pk}") == {"Low priority question"}
    today = timezone.localdate().isoformat()
    assert len(subjects(created_after=today, updated_before=today)) == 2
    assert subjects(created_before="2000-01-01") == set()


def test_invalid_filters_show_a_message(client, agent, ticket):
    _login(client, agent)
    response = client.get(
        reverse("agent:queue"),
        {
            "view": "nope",
            "status": "bogus",
            "priority": "x",
            "created_after": "yesterday",
            "sort": "?",
            "assignee": "999999",
            "cursor": "!!!",
            "tag": "no spaces",
        },
    )
    assert response.status_code == 200
    assert b"could not be used" in response.content
    # The valid parts still work: default view, default sort, the ticket is listed.
    assert ticket.subject.encode() in response.content


def test_out_of_range_numbers_are_not_a_500(client, agent, ticket):
    import base64
    import json

    _login(client, agent)
    huge = "9" * 30
    for params in ({"requester": huge}, {"q": huge}, {"assignee": huge}, {"team": huge}, {"organization": huge}):
        assert client.get(reverse("agent:queue"), {"view": "all", **params}).status_code == 200
    for cursor_value in (["-updated", "2026-01-01T00:00:00+00:00", 10**30], ["priority", 10**30, 1]):
        cursor = base64.urlsafe_b64encode(json.dumps(cursor_value).encode()).decode()
        sort = cursor_value[0]
        response = client.get(reverse("agent:queue"), {"view": "all", "sort": sort, "cursor": cursor})
        assert response.status_code == 200 and b"page link" in response.content
    response = client.post(reverse("agent:bulk"), {"ids": [huge], "priority": "high"}, follow=True)
    assert response.status_code == 200
    assert client.get(f"/agent/tickets/{huge}/").status_code == 404
    assert client.post(f"/agent/tickets/{ticket.pk}/collaborators/{huge}/remove/").status_code == 404


def test_damaged_cursor_falls_back_to_first_page(client, agent, ticket):
    _login(client, agent)
    for cursor in ("bm9wZQ", queue.encode_cursor("created", ticket)):  # junk; a cursor of another sort
        response = client.get(reverse("agent:queue"), {"view": "all", "cursor": cursor})
        assert response.status_code == 200
        assert b"page link" in response.content
        assert ticket.subject.encode() in response.content


@pytest.mark.parametrize("sort", [s for s in queue.SORTS if s != queue.SEARCH_SORT])  # that one: test_search.py
def test_keyset_pages_walk_every_ticket_once(sort, agent, customer):
    tickets = _bulk_tickets(11, requester=customer)
    # Ties on purpose: equal timestamps, priorities and statuses must still page correctly by id.
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[:4]]).update(
        updated_at=tickets[0].updated_at, created_at=tickets[0].created_at, priority=Priority.HIGH
    )
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[5:8]]).update(status=Status.PENDING, priority=Priority.URGENT)
    base = queue.filtered(agent, "all", {})
    expected = [t.pk for t in queue.apply_sort(base, sort)]
    seen, cursor = [], None
    for _ in range(10):
        page = queue.paginate(base, sort, cursor, size=3)
        seen += [t.pk for t in page.tickets]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected and len(seen) == 11


def test_queue_pages_through_the_url(client, agent, customer, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 4)
    _bulk_tickets(9, requester=customer)
    _login(client, agent)
    url, seen = reverse("agent:queue") + "?view=all&sort=created", []
    while url:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        seen += [t.pk for t in response.context["page"].tickets]
        assert not any("OFFSET" in q["sql"].upper() for q in captured.captured_queries)  # keyset, never OFFSET
        url = response.context["next_url"] and reverse("agent:queue") + response.context["next_url"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 9  # oldest first: the last made first


# --- bulk actions -------------------------------------------------------------------------------


def test_bulk_update_of_fifty_with_one_invalid_rolls_back_all(client, agent, customer):
    tickets = [_file(customer, f"Bulk candidate {i:02}") for i in range(50)]
    solved = tickets[17]
    services.ticket_change_status(actor=agent, ticket=solved, status=Status.SOLVED)  # solved -> pending is refused
    before = {t.pk: (t.status, t.priority, t.assignee_id) for t in Ticket.objects.all()}
    events_before = TicketEvent.objects.count()
    tags_before = Ticket.tags.through.objects.count()
    _login(client, agent)
    response = client.post(
        reverse("agent:bulk"),
        {
            "ids": [t.pk for t in tickets],
            "status": "pending",
            "priority": "high",
            "assignee": "me",
            "add_tags": "bulk-test",
            "next": reverse("agent:queue") + "?view=all",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("agent:queue") + "?view=all"
    text = response.content.decode()
    assert "Nothing was changed: 1 of 50 tickets" in text
    assert f"#{solved.pk}" in text
    assert {t.pk: (t.status, t.priority, t.assignee_id) for t in Ticket.objects.all()} == before
    assert TicketEvent.objects.count() == events_before
    assert Ticket.tags.through.objects.count() == tags_before


def test_bulk_update_success_summary(client, agent, team_agent, customer, billing_team, admin):
    tickets = [_file(customer, f"Bulk candidate {i:02}", team=billing_team, admin=admin) for i in range(12)]
    _login(client, agent)
    response = client.post(
        reverse("agent:bulk"),
        {"ids": [t.pk for t in tickets], "assignee": str(team_agent.pk), "priority": "urgent", "add_tags": "a, b"},
        follow=True,
    )
    assert "Updated 12 tickets." in response.content.decode()
    for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]):
        assert (t.assignee_id, t.priority) == (team_agent.pk, Priority.URGENT)
        assert sorted(t.tags.values_list("name", flat=True)) == ["a", "b"]
        assert t.events.filter(kind=EventKind.ASSIGNED).count() == 1
    response = client.post(
        reverse("agent:bulk"), {"ids": [tickets[0].pk], "remove_tags": "a", "assignee": "none"}, follow=True
    )
    assert "Updated 1 ticket." in response.content.decode()
    assert list(Ticket.objects.get(pk=tickets[0].pk).tags.values_list("name", flat=True)) == ["b"]


def test_bulk_update_needs_a_change_and_a_selection(client, agent, ticket):
    _login(client, agent)
    response = client.post(reverse("agent:bulk"), {"ids": [ticket.pk]}, follow=True)
    assert "Choose at least one change" in response.content.decode()
    response = client.post(reverse("agent:bulk"), {"priority": "high"}, follow=True)
    assert "Select at least one ticket" in response.content.decode()
    response = client.post(reverse("agent:bulk"), {"ids": [ticket.pk], "add_tags": "bad tag!"}, follow=True)
    assert "not valid" in response.content.decode()
    response = client.post(reverse("agent:bulk"), {"ids": ["abc"], "priority": "high"}, follow=True)
    assert response.status_code == 200
    assert client.get(reverse("agent:bulk")).status_code == 405


# --- the ticket page ------------------------------------------------------------------------------


def test_timeline_merges_messages_notes_and_events(client, agent, customer, ticket):
    services.message_add(actor=agent, ticket=ticket, body="Note: **customer** is on the legacy plan.", internal=True)
    services.message_add(actor=agent, ticket=ticket, body="Could you send a screenshot?", status=Status.PENDING)
    services.ticket_update(actor=agent, ticket=ticket, priority=Priority.HIGH, add_tags=["invoice"])
    _login(client, agent)
    response = client.get(reverse("agent:ticket", args=[ticket.pk]))
    html = response.content.decode()
    kinds = [e.kind for e in response.context["entries"]]
    assert kinds[0] == "message"  # the description
    assert "note" in kinds and kinds.count("event") >= 4  # team move, note/reply status, priority, tags
    assert "Internal note" in html and "tl-note" in html
    assert "<strong>customer</strong>" in html  # markdown rendered
    assert "changed the status from Open to Pending" in html
    assert "changed the priority from Normal to High" in html
    assert "added tags invoice" in html
    times = [e.at for e in response.context["entries"]]
    assert times == sorted(times)


def test_reply_with_submit_as_pending_and_note(client, agent, customer, ticket):
    _login(client, agent)
    url = reverse("agent:message", args=[ticket.pk])
    response = client.post(url, {"mode": "note", "body": "Internal: check the ledger."})
    assert response.status_code == 302
    response = client.post(url, {"mode": "reply", "body": "Please try again now.", "status": "pending"}, follow=True)
    assert "Reply sent to the customer. Status: Pending." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING and ticket.first_response_at is not None
    assert list(ticket.messages.values_list("internal", flat=True)) == [False, True, False]


def test_reply_with_attachment(client, agent, ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, agent)
    upload = SimpleUploadedFile("notes.txt", b"plain text notes\n", content_type="text/plain")
    response = client.post(
        reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "See attached.", "attachments": upload}
    )
    assert response.status_code == 302
    assert list(Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True)) == ["notes.txt"]
    page = client.get(reverse("agent:ticket", args=[ticket.pk]))
    assert b"notes.txt" in page.content


def test_composer_errors_keep_the_text(client, agent, ticket):
    _login(client, agent)
    response = client.post(
        reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "Hi", "status": "closed"}
    )
    assert response.status_code == 400
    assert b"Hi</textarea>" in response.content
    response = client.post(reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "   "})
    assert response.status_code == 400
    assert ticket.messages.count() == 1


def test_side_panel_changes_fields(client, agent, team_agent, ticket, billing_team, tech_team):
    _login(client, agent)
    url = reverse("agent:fields", args=[ticket.pk])
    data = {
        "status": "in_progress",
        "priority": "urgent",
        "assignee": str(team_agent.pk),
        "team": str(billing_team.pk),
        "category": "billing",
        "tags": "refund, Invoice",
    }
    response = client.post(url, data, follow=True)
    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id, ticket.category) == (
        Status.IN_PROGRESS,
        Priority.URGENT,
        team_agent.pk,
        "billing",
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["invoice", "refund"]
    response = client.post(url, data, follow=True)
    assert "Nothing to change." in response.content.decode()
    # Moving to Technical unassigns Tom, who cannot work Technical (the history says why).
    response = client.post(url, {**data, "team": str(tech_team.pk)}, follow=True)
    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (tech_team.pk, None)
    assert "unassigned Tom Billing (cannot work the new team)" in response.content.decode()
    # Tom is no choice for a Technical ticket; nor is an unknown id. Nothing changes.
    for assignee in (str(team_agent.pk), "999999"):
        response = client.post(url, {**data, "team": str(tech_team.pk), "assignee": assignee, "priority": "low"})
        assert response.status_code == 400
        assert b"Select a valid choice" in response.content
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.priority) == (None, Priority.URGENT)


def test_moving_a_ticket_out_of_ones_teams(client, team_agent, ticket, tech_team, billing_team):
    _login(client, team_agent)
    data = {
        "status": "open",
        "priority": "normal",
        "assignee": "",
        "team": str(tech_team.pk),
        "category": "",
        "tags": "",
    }
    response = client.post(reverse("agent:fields", args=[ticket.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("agent:queue")
    assert "you no longer work it" in response.content.decode()
    assert client.get(reverse("agent:ticket", args=[ticket.pk])).status_code == 404


def test_claim_and_conflict(client, agent, team_agent, admin, ticket):
    _login(client, team_agent)
    response = client.post(reverse("agent:claim", args=[ticket.pk]), follow=True)
    assert "You now hold this ticket." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.status) == (team_agent.pk, Status.IN_PROGRESS)
    client.logout()
    _login(client, agent)
    response = client.post(reverse("agent:claim", args=[ticket.pk]), follow=True)
    assert "Tom Billing already holds this ticket." in response.content.decode()
    client.logout()
    _login(client, admin)
    client.post(reverse("agent:claim", args=[ticket.pk]), {"force": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee_id == admin.pk


def test_collaborators(client, agent, ticket, org_member):
    _login(client, agent)
    url = reverse("agent:collaborator_add", args=[ticket.pk])
    response = client.post(url, {"email": org_member.email}, follow=True)
    assert "Bob Colleague can now read and reply" in response.content.decode()
    assert permissions.can(org_member, permissions.Action.REPLY, Ticket.objects.get(pk=ticket.pk))
    response = client.post(url, {"email": agent.email})
    assert response.status_code == 400 and b"is an agent" in response.content
    response = client.post(url, {"email": "not an email"})
    assert response.status_code == 400
    client.post(reverse("agent:collaborator_remove", args=[ticket.pk, org_member.pk]))
    assert not Ticket.objects.get(pk=ticket.pk).collaborators.exists()
    assert client.post(reverse("agent:collaborator_remove", args=[ticket.pk, org_member.pk])).status_code == 404


def test_requester_panel_lists_only_visible_other_tickets(client, team_agent, customer, admin, billing_team, tech_team):
    one = _file(customer, "Billing ticket one", team=billing_team, admin=admin)
    _file(customer, "Billing ticket two", team=billing_team, admin=admin)
    _file(customer, "Technical ticket hidden", team=tech_team, admin=admin)
    _login(client, team_agent)
    html = client.get(reverse("agent:ticket", args=[one.pk])).content.decode()
    assert "Billing ticket two" in html and "Technical ticket hidden" not in html
    assert "Acme Corp" in html


def test_closed_ticket_is_read_only(client, agent, ticket):
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.CLOSED)
    _login(client, agent)
    html = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert "This ticket is closed" in html and 'id="composer"' not in html
    response = client.post(reverse("agent:message", args=[ticket.pk]), {"mode": "reply", "body": "Hello?"}, follow=True)
    assert "closed" in response.content.decode()
    assert ticket.messages.count() == 1


# --- stats page ---------------------------------------------------------------------------------


def test_stats_page_rows_and_periods(client, agent, team_agent, other_team_agent, customer, ticket, billing_team):
    services.message_add(actor=team_agent, ticket=ticket, body="Reply from Tom", status=Status.SOLVED)
    _login(client, team_agent)
    response = client.get(reverse("agent:stats"))
    names = [r["agent"]["name"] for r in response.context["rows"]]
    assert names == ["Tom Billing"]
    tom = response.context["rows"][0]
    assert (tom["solved"], tom["replies"]) == (1, 1)
    assert [r["team"]["name"] for r in response.context["team_rows"]] == ["Billing"]
    assert b"<svg" in response.content
    today = timezone.localdate()
    response = client.get(reverse("agent:stats"), {"period": "custom", "since": str(today), "until": str(today)})
    assert response.context["rows"][0]["solved"] == 1
    response = client.get(reverse("agent:stats"), {"period": "custom", "since": str(today)})
    assert response.status_code == 200 and b"Give both dates" in response.content
    response = client.get(reverse("agent:stats"), {"team": str(account_services.team_create(name="Other").pk)})
    assert response.status_code == 200  # a team Tom is not in: ignored with an error, not a 500


# --- cached view counts (issue 6) -----------------------------------------------------------------


def test_view_counts_are_cached_and_never_stale_after_ones_own_action(
    client, agent, customer, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = services.ticket_create(
        actor=customer, subject="Counted ticket", description="Please count me in the views."
    )
    _login(client, agent)

    def counts_and_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("agent:counts"))
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
        return response.json()["counts"], sum("AS v0)" in q["sql"] for q in ctx.captured_queries)

    first, cold = counts_and_queries()
    again, warm = counts_and_queries()
    assert again == first and warm < cold  # counted once, then read from the cache
    # The agent's own claim (committed) changes "Unassigned" and "Mine" on the very next look.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("agent:claim", args=[ticket.pk]))
    after, _ = counts_and_queries()
    assert after["unassigned"] == first["unassigned"] - 1
    assert after["mine"] == first["mine"] + 1


def test_queue_page_shows_the_list_first_and_counts_when_known(client, agent, customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _file(customer, "Waiting for a count")
    _login(client, agent)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(reverse("agent:queue")).content.decode()
    assert "Waiting for a count" in body  # the list is there
    assert 'data-counts-url="/agent/counts/"' in body and 'data-view-count="all" title="Counting…">…</span>' in body
    assert not any("AS v0)" in q["sql"] for q in ctx.captured_queries)  # the views were not counted
    assert client.get(reverse("agent:counts")).json() == {
        "counts": {
            "unassigned": 1,
            "mine": 0,
            "my_teams": 0,
            "open": 1,
            "pending": 0,
            "on_hold": 0,
            "solved": 0,
            "all": 1,
        },
        "cap": queue.COUNT_CAP,
    }
    body = client.get(reverse("agent:queue")).content.decode()  # counted now: shown at once
    assert "data-counts-url" not in body and 'data-view-count="all">1</span>' in body


def test_counts_are_for_agents_only(client, customer):
    client.force_login(customer)
    assert client.get(reverse("agent:counts")).status_code == 404


def test_quick_select_writes_what_djangos_select_writes():
    import re

    from django import forms

    from tickets.forms.agent import QuickSelect

    choices = [
        ("", "Any"),
        ("1", "Ann <script>"),
        ("2", "Bob & Co"),
        ("Teams", [("t1", "Billing"), ("t2", 'Say "hi"')]),
    ]
    for value in ("1", "t2", None, ""):
        ours = QuickSelect(choices=choices).render("assignee", value, attrs={"id": "id_assignee"})
        django_s = forms.Select(choices=choices).render("assignee", value, attrs={"id": "id_assignee"})
        assert ours == re.sub(r">\s+<", "><", django_s.strip())
    assert "&lt;script&gt;" in ours and "<script>" not in ours
