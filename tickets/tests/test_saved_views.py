"""Saved views (issue 16): who has which view, what a view may show, counts, the queue page, the
editor, validation, and the built-in views' conditions agreeing with their hand-tuned filters."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk import memo
from tickets import permissions, queue, queue_views, services
from tickets.models import SavedView, Status, Ticket, TicketField, ViewScope
from tickets.rules import conditions
from tickets.selectors.custom_fields import active_fields
from tickets.services import saved_views as view_services
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

EVERY_TICKET: dict = {"all": []}


def _view(actor, name="Mine", conditions=None, **kwargs):
    return view_services.saved_view_create(
        actor=actor, name=name, conditions=conditions if conditions is not None else EVERY_TICKET, **kwargs
    )


# --- who has which view ---------------------------------------------------------------------------


def test_a_personal_view_is_its_owners_only(agent, team_agent, admin):
    mine = _view(team_agent, "Tom's view")
    assert list(permissions.views_visible_to(team_agent)) == [mine]
    assert list(permissions.views_visible_to(agent)) == []
    assert list(permissions.views_visible_to(admin)) == []  # not even an admin has someone's own view
    assert not permissions.may_manage_view(admin, mine)
    with pytest.raises(PermissionDenied):
        view_services.saved_view_update(actor=agent, view=mine, name="Taken")
    with pytest.raises(PermissionDenied):
        view_services.saved_view_delete(actor=admin, view=mine)


def test_shared_views_are_for_their_team_or_everyone_and_managed_by_desk_managers(
    admin, team_agent, other_team_agent, billing_team
):
    billing = _view(admin, "Billing backlog", scope=ViewScope.TEAM, team=billing_team)
    everyone = _view(admin, "Urgent", scope=ViewScope.EVERYONE)
    assert set(permissions.views_visible_to(team_agent)) == {billing, everyone}
    assert set(permissions.views_visible_to(other_team_agent)) == {everyone}
    # Agents keep views for themselves; only desk managers share them or change shared ones.
    with pytest.raises(PermissionDenied):
        _view(team_agent, "Shared by Tom", scope=ViewScope.EVERYONE)
    with pytest.raises(PermissionDenied):
        view_services.saved_view_update(actor=team_agent, view=billing, name="Mine now")
    own = _view(team_agent)
    with pytest.raises(PermissionDenied):
        view_services.saved_view_update(actor=team_agent, view=own, scope=ViewScope.EVERYONE)
    view_services.saved_view_update(actor=admin, view=everyone, active=False)
    assert set(permissions.views_visible_to(team_agent)) == {billing, own}


def test_customers_have_no_views(customer):
    with pytest.raises(PermissionDenied):
        _view(customer)
    assert list(permissions.views_visible_to(customer)) == []


# --- a view never shows more than its viewer may see ----------------------------------------------


def test_a_view_of_every_ticket_shows_a_team_agent_only_their_teams_tickets(
    client, customer, admin, team_agent, billing_team, tech_team
):
    ours = make_ticket(customer, subject="Invoice twice")
    services.ticket_update(actor=admin, ticket=ours, team=billing_team)
    theirs = make_ticket(customer, subject="VPN down SECRET-TECH")
    services.ticket_update(actor=admin, ticket=theirs, team=tech_team)
    unrouted = make_ticket(customer, subject="Unrouted SECRET-NEW")
    view = _view(admin, "Everything", scope=ViewScope.EVERYONE)
    client.force_login(team_agent)
    page = client.get(f"/agent/?view={view.key}")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Invoice twice" in body
    assert "SECRET-TECH" not in body and "SECRET-NEW" not in body
    assert queue.view_counts(team_agent)[view.key] == 1
    with memo.scope():
        shown = set(queue_views.filtered(team_agent, queue_views.find(team_agent, view.key), {}))
    assert shown == {ours}
    assert theirs.pk and unrouted.pk


# --- counts ---------------------------------------------------------------------------------------


def test_saved_views_are_counted_in_the_same_one_query(customer, agent, django_assert_num_queries):
    for i in range(3):
        make_ticket(customer, subject=f"Plain {i}", priority="high" if i else "normal")
    high = _view(agent, "High", {"all": [{"field": "priority", "operator": "is", "value": "high"}]})
    none = _view(agent, "Nothing", {"all": [{"field": "subject", "operator": "contains", "value": "zzz"}]})
    with memo.scope():
        queue_views.saved_views(agent)  # listed once per request by the page
        queue.view_filter("my_teams", agent)
        permissions.visible_tickets(agent)
        with django_assert_num_queries(1):
            counts = queue.view_counts(agent)
    assert counts[high.key] == 2 and counts[none.key] == 0 and counts["all"] == 3


def test_counts_are_capped_and_follow_a_changed_view(customer, agent, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    for i in range(3):
        make_ticket(customer, subject=f"Printer {i}")
    view = _view(agent, "Printers", {"all": [{"field": "subject", "operator": "contains", "value": "printer"}]})
    assert queue.view_counts(agent)[view.key] == 2  # "2+"
    view_services.saved_view_update(
        actor=agent, view=view, conditions={"all": [{"field": "subject", "operator": "is", "value": "Printer 1"}]}
    )
    assert queue.view_counts(agent)[view.key] == 1  # a new key: never the old conditions' count


def test_a_view_on_a_custom_field_counts_and_lists(client, customer, agent):
    TicketField.objects.create(
        key="plan", label="Plan", field_type="dropdown", options=[{"value": "gold", "label": "Gold"}]
    )
    gold = make_ticket(customer, subject="Gold customer", priority="high")
    Ticket.objects.filter(pk=gold.pk).update(custom_fields={"plan": "gold"})
    make_ticket(customer, subject="Plain customer", priority="high")
    view = _view(
        agent,
        "Gold, high, open",
        {
            "all": [
                {"field": "status", "operator": "in", "value": ["open", "pending"]},
                {"field": "priority", "operator": "is", "value": "high"},
                {"field": "custom.plan", "operator": "is", "value": "gold"},
            ]
        },
        columns=["subject", "custom.plan", "created"],
    )
    client.force_login(agent)
    body = client.get(f"/agent/?view={view.key}").content.decode()
    assert "Gold customer" in body and "Plain customer" not in body
    assert '<th scope="col">Plan</th>' in body
    assert queue.view_counts(agent)[view.key] == 1


# --- the queue page -------------------------------------------------------------------------------


def test_the_queue_lists_saved_views_with_their_sort_and_columns(client, customer, agent):
    old = make_ticket(customer, subject="Oldest one")
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    make_ticket(customer, subject="Newest one")
    view = _view(agent, "Oldest first", sort="created", columns=["subject", "status"])
    client.force_login(agent)
    cache.clear()
    client.get("/agent/counts/")  # counted: the tabs show them
    body = client.get(f"/agent/?view={view.key}").content.decode()
    assert "Oldest first" in body
    assert body.index("Oldest one") < body.index("Newest one")
    assert '<th scope="col">Assignee</th>' not in body and '<th scope="col">Status</th>' in body
    assert f'data-view-count="{view.key}">2</span>' in body
    # Someone else's view is not a choice: the default view, and the filter says why.
    other = client.get("/agent/?view=saved-999999")
    assert other.status_code == 200 and "Unassigned" in other.content.decode()


def test_a_view_whose_custom_field_is_gone_shows_nothing_and_says_why(client, customer, agent):
    field = TicketField.objects.create(key="tier", label="Tier", field_type="text")
    make_ticket(customer)
    view = _view(agent, "Tiered", {"all": [{"field": "custom.tier", "operator": "present"}]})
    field.active = False
    field.save()
    client.force_login(agent)
    body = client.get(f"/agent/?view={view.key}").content.decode()
    assert "names a field that no longer exists" in body
    assert queue.view_counts(agent)[view.key] == 0


# --- validation -----------------------------------------------------------------------------------


def test_every_mistake_is_named(agent):
    with pytest.raises(ValidationError) as caught:
        view_services.saved_view_create(
            actor=agent,
            name=" ",
            conditions={"all": [{"field": "colour", "operator": "is", "value": "red"}]},
            columns=["subject", "shoe size"],
            sort="sideways",
        )
    errors = caught.value.message_dict
    assert set(errors) == {"name", "conditions", "columns", "sort"}
    assert 'unknown field "colour"' in errors["conditions"][0]
    assert "shoe size" in errors["columns"][0]
    with pytest.raises(ValidationError) as caught:
        _view(agent, conditions={"all": [{"field": "status", "operator": "less_than", "value": 3}]})
    assert '"less_than" does not apply to Status' in caught.value.messages[0]
    with pytest.raises(ValidationError):
        _view(agent, scope=ViewScope.PERSONAL, conditions="status is open")
    assert not SavedView.objects.exists()


def test_a_shared_team_view_needs_its_team(admin):
    with pytest.raises(ValidationError) as caught:
        _view(admin, scope=ViewScope.TEAM)
    assert "team" in caught.value.message_dict


# --- built-in views are views of the same kind ------------------------------------------------------


def test_built_in_conditions_select_what_their_hand_tuned_filters_select(customer, agent, admin):
    now = timezone.now()
    for i, status in enumerate([Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD, Status.OPEN]):
        t = make_ticket(customer, subject=f"Ticket {i}")
        Ticket.objects.filter(pk=t.pk).update(status=status, assignee=agent if i % 2 else None)
    for days in (2, 40):
        t = make_ticket(customer, subject=f"Solved {days} days ago")
        Ticket.objects.filter(pk=t.pk).update(status=Status.SOLVED, solved_at=now - timedelta(days=days))
    checked = 0
    for view in queue_views.BUILTINS:
        if view.conditions is None:
            # The viewer's teams and the SLA due times: not in the engine's words.
            assert view.key in ("my_teams", "sla_breaching", "sla_breached")
            continue
        generic = conditions.parse(view.conditions).q(now=now, current_user=agent)
        with memo.scope():
            tuned = queue.view_filter(view.key, agent)
        assert set(Ticket.objects.filter(generic)) == set(Ticket.objects.filter(tuned)), view.key
        checked += 1
    assert checked == 7


# --- the editor -----------------------------------------------------------------------------------


def test_save_as_view_carries_the_queue_filters(client, agent, billing_team):
    client.force_login(agent)
    page = client.get(f"/agent/views/new/?view=mine&status=open&priority=high&tag=vip&team={billing_team.pk}&q=x")
    assert page.status_code == 200
    initial = json.loads(page.context["form"].initial["conditions"])
    assert {"field": "assignee", "operator": "is", "value": "current_user"} in initial["all"]
    assert {"field": "status", "operator": "in", "value": ["open"]} in initial["all"]
    assert {"field": "priority", "operator": "in", "value": ["high"]} in initial["all"]
    assert {"field": "tags", "operator": "includes", "value": ["vip"]} in initial["all"]
    assert {"field": "team", "operator": "is", "value": billing_team.pk} in initial["all"]
    assert page.context["left_out"] == ["Search"]


def test_the_editor_tests_then_saves_and_refuses_bad_json(client, customer, agent):
    make_ticket(customer, subject="Urgent printer", priority="urgent")
    make_ticket(customer, subject="Calm printer")
    client.force_login(agent)
    data = {
        "name": "Urgent",
        "scope": "personal",
        "conditions": json.dumps({"all": [{"field": "priority", "operator": "is", "value": "urgent"}]}),
        "columns": ["status", "priority"],
        "sort": "-updated",
    }
    tested = client.post("/agent/views/new/", {**data, "action": "test"})
    assert tested.status_code == 200 and tested.context["preview"]["count"] == 1
    assert "Urgent printer" in tested.content.decode() and not SavedView.objects.exists()
    bad = client.post("/agent/views/new/", {**data, "conditions": '{"all": [', "action": "save"})
    assert "not valid JSON" in bad.content.decode() and not SavedView.objects.exists()
    unknown = client.post(
        "/agent/views/new/", {**data, "conditions": '{"all": [{"field": "x", "operator": "is"}]}', "action": "save"}
    )
    assert "unknown field" in unknown.content.decode()
    saved = client.post("/agent/views/new/", {**data, "action": "save"})
    view = SavedView.objects.get()
    assert saved.status_code == 302 and saved["Location"].endswith(f"?view={view.key}")
    assert view.owner == agent and view.columns == ["subject", "status", "priority"]


def test_only_who_may_manage_a_view_edits_it(client, agent, team_agent, admin):
    tom = _view(team_agent, "Tom's")
    shared = _view(admin, "Everyone's", scope=ViewScope.EVERYONE)
    client.force_login(agent)
    assert client.get(f"/agent/views/{tom.pk}/").status_code == 404  # not in Alice's queue
    assert client.post(f"/agent/views/{tom.pk}/delete/").status_code == 404
    assert client.get(f"/agent/views/{shared.pk}/").status_code == 403
    assert client.post(f"/agent/views/{shared.pk}/delete/").status_code == 403
    client.force_login(admin)
    assert client.get(f"/agent/views/{shared.pk}/").status_code == 200
    assert client.post(f"/agent/views/{shared.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def test_queue_page_queries_with_saved_views_stay_within_budget(client, customer, agent):
    TicketField.objects.create(key="plan", label="Plan", field_type="text")
    for i in range(5):
        _view(agent, f"View {i}", {"all": [{"field": "custom.plan", "operator": "is", "value": f"p{i}"}]})
    make_ticket(customer)
    client.force_login(agent)

    def cold_counts() -> None:
        # Counts and pages cold; the field definitions as a running desk has them (cached until a
        # definition changes: one query the first time after a change, none after).
        cache.clear()
        active_fields()

    cold_counts()
    with CaptureQueriesContext(connection) as few:
        client.get("/agent/?view=all")
    for i in range(5, 15):
        _view(agent, f"View {i}", {"all": [{"field": "custom.plan", "operator": "is", "value": f"p{i}"}]})
    cold_counts()
    with CaptureQueriesContext(connection) as many:
        client.get("/agent/?view=all")
    assert len(few) == len(many) <= 12
    cache.clear()
    with CaptureQueriesContext(connection) as definitions_cold:
        client.get("/agent/?view=all")
    assert len(definitions_cold) == len(few) + 1  # the definitions, read once


def test_settings_lists_shared_views_for_desk_managers_only(client, admin, agent, billing_team):
    _view(admin, "Billing backlog", scope=ViewScope.TEAM, team=billing_team)
    _view(agent, "Alice's own")
    client.force_login(agent)
    assert client.get("/settings/views/").status_code == 404
    client.force_login(admin)
    body = client.get("/settings/views/").content.decode()
    assert "Billing backlog" in body and "Alice's own" not in body


@pytest.mark.django_db
def test_the_queues_list_of_views_follows_every_change(
    admin, agent, billing_team, other_team_agent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """``saved_views`` keeps each person's list in the process; no change may leave it behind."""
    from accounts import services as account_services

    def names(user):
        memo.forget_all()  # a new request
        return [v.name for v in queue_views.saved_views(user)]

    mine = _view(agent, name="Mine")
    assert names(agent) == ["Mine"]
    memo.forget_all()
    with django_assert_num_queries(0):  # kept: read again from the process, not the database
        assert [v.name for v in queue_views.saved_views(agent)] == ["Mine"]
    view_services.saved_view_update(actor=agent, view=mine, name="Renamed")
    assert names(agent) == ["Renamed"]
    shared = _view(admin, name="Everyone's", scope=ViewScope.EVERYONE)
    assert sorted(names(agent)) == ["Everyone's", "Renamed"]
    mine.active = False
    mine.save()  # as the admin site saves
    assert names(agent) == ["Everyone's"]
    view_services.saved_view_delete(actor=admin, view=shared)
    assert names(agent) == []
    # A team's view reaches an agent who joins the team once the change commits.
    _view(admin, name="Billing's", scope=ViewScope.TEAM, team=billing_team)
    assert names(other_team_agent) == []
    with django_capture_on_commit_callbacks(execute=True):
        account_services.team_add_member(team=billing_team, user=other_team_agent)
    assert names(other_team_agent) == ["Billing's"]
