"""The agent queue: views, filters, sorting and keyset pages, bulk actions, view counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpdesk import memo
from tickets import permissions, queue, queue_views, services
from tickets.models import EventKind, Priority, Status, Ticket, TicketEvent
from tickets.tests.workspace import bulk_tickets as _bulk_tickets
from tickets.tests.workspace import file_ticket as _file
from tickets.tests.workspace import login as _login

pytestmark = pytest.mark.django_db

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
        queue_views.saved_views(agent)  # and their saved views, listed once per request (the tabs)
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
        "sla_breaching": 0,  # no SLA policy
        "sla_breached": 0,
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
            "sla_breaching": 0,
            "sla_breached": 0,
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
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from tickets.forms.agent import QuickSelect

    choices = [
        ("", "Any"),
        ("1", "Ann <script>"),
        ("2", "Bob & Co"),
        (3, gettext_lazy("Unassigned")),  # a number and a lazy label, as choices often are
        ("Teams <b>", [("t1", "Billing"), ("t2", 'Say "hi"'), ("1", "Ann again")]),
        ("4", mark_safe("<em>already safe</em>")),  # noqa: S308 - a fixed string
        (None, "none"),
    ]
    for value in ("1", "t2", "3", 3, None, "", "none-such"):
        ours = QuickSelect(choices=choices).render("assignee", value, attrs={"id": "id_assignee"})
        django_s = forms.Select(choices=choices).render("assignee", value, attrs={"id": "id_assignee"})
        assert ours == re.sub(r">\s+<", "><", django_s.strip()), value
    assert "&lt;script&gt;" in ours and "<script>" not in ours
    # Only the first option with the chosen value is selected ("1" is listed twice), as Django does.
    once = QuickSelect(choices=choices).render("assignee", "1")
    assert once.count(" selected") == 1


def test_prepared_pairs_choose_and_render_as_a_list_does():
    from django import forms

    from tickets.forms.agent import Pairs, QuickSelect

    pairs = [("", "Any"), ("1", "Ann <script>"), ("2", "Bob & Co")]
    as_list = forms.ChoiceField(choices=pairs, required=False, widget=QuickSelect)
    as_pairs = forms.ChoiceField(required=False, widget=QuickSelect)
    as_pairs.choices = Pairs(pairs)
    assert list(as_pairs.choices) == pairs and len(as_pairs.choices) == 3
    for field in (as_list, as_pairs):
        assert field.clean("2") == "2"
        with pytest.raises(forms.ValidationError):
            field.clean("3")  # not offered
    assert as_pairs.widget.render("assignee", "2") == as_list.widget.render("assignee", "2")
    assert 'value="2" selected' in as_pairs.widget.render("assignee", "2")


@pytest.mark.parametrize("language", ["en", "es"])
def test_checkbox_labels_write_what_the_template_loop_wrote(language):
    from django.template import Context, Template
    from django.utils import translation

    from tickets.forms.agent import QueueFilterForm

    loop = Template('{% for cb in field %}<label class="check">{{ cb.tag }} {{ cb.choice_label }}</label>{% endfor %}')
    quick = Template("{% load helpdesk %}{{ field|checkbox_labels }}")
    with translation.override(language):
        forms_to_check = [
            QueueFilterForm(),
            QueueFilterForm({"status": ["open", "pending"], "priority": ["urgent"]}),
            QueueFilterForm({"status": ["open", "no-such-status"]}),  # an error: Django writes it
            QueueFilterForm({"status": ["open"]}, auto_id=False),
        ]
        for form in forms_to_check:
            form.is_valid()
            for name in ("status", "priority"):
                context = Context({"field": form[name]})
                assert quick.render(context) == loop.render(context), (form.data, name)
    checked = quick.render(Context({"field": QueueFilterForm({"status": ["pending"]})["status"]}))
    import re

    assert re.search(r'value="pending" id="id_status_\d+" checked>', checked) and checked.count(" checked") == 1
