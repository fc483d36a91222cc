"""Automations (issue 16): time-based rules, each acting on a ticket at most once per condition
window, safe with several workers at once; the desk's auto-close is one of them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tickets import automations, services
from tickets.models import Automation, Message, Priority, Status, Ticket, TicketAutomationRun, TicketEvent

REMINDER = {
    "conditions": {
        "all": [
            {"field": "status", "operator": "is", "value": "pending"},
            {"field": "hours_since_updated", "operator": "greater_than", "value": 72},
        ]
    },
    "actions": [
        {"action": "add_reply", "value": "Hi {{requester.first_name}}, do you still need help with #{{ticket.id}}?"},
        {"action": "add_tags", "value": ["reminded"]},
    ],
}


def _pending_and_quiet(ticket, agent, hours=73):
    services.message_add(actor=agent, ticket=ticket, body="Could you send us the invoice number?", status="pending")
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(hours=hours))


def _reminders(ticket) -> list[Message]:
    return list(Message.objects.filter(ticket=ticket, internal=False, body__startswith="Hi Ada"))


def _run(now):
    try:
        return automations.run_automations(now=now, batch=1)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_quiet_pending_ticket_is_reminded_once_with_two_workers(ticket, agent, admin):
    Automation.objects.create(name="Pending 72 h → reminder", owner=admin, **REMINDER)
    _pending_and_quiet(ticket, agent)
    other = services.ticket_create(actor=ticket.requester, subject="Still fine", description="Nothing to remind here.")
    now = timezone.now()
    if connection.vendor == "postgresql":  # two workers, each on its own connection, at the same instant
        barrier = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                barrier.wait()
                results.append(_run(now))
            except Exception as error:  # asserted below
                errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
    else:  # SQLite has one writer: the workers take turns
        results = [automations.run_automations(now=now), automations.run_automations(now=now)]
    assert sorted(r["Pending 72 h → reminder"] for r in results) == [0, 1]
    reminders = _reminders(ticket)
    assert len(reminders) == 1
    assert reminders[0].body == f"Hi Ada, do you still need help with #{ticket.pk}?"
    assert reminders[0].author_id == admin.pk
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert "reminded" in set(ticket.tags.values_list("name", flat=True))
    assert ticket.status == Status.PENDING
    assert not _reminders(other)
    event = TicketEvent.objects.filter(ticket=ticket, kind="tags_changed").latest("id")
    assert event.data["via"]["name"] == "Pending 72 h → reminder"
    # later runs: the reply was activity, the ticket is no longer quiet — nothing more
    automations.run_automations(now=now + timedelta(hours=1))
    assert len(_reminders(ticket)) == 1
    assert Automation.objects.get(name="Pending 72 h → reminder").run_count == 1


@pytest.mark.django_db
def test_once_per_condition_window(ticket, admin, agent):
    """Acting does not end the window (a tag leaves the ticket matching); it ends when the ticket
    stops matching, and matching again opens a new one."""
    escalate = Automation.objects.create(
        name="Urgent for a day → escalated",
        owner=admin,
        conditions={
            "all": [
                {"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "hours_since_created", "operator": "greater_than", "value": 24},
            ]
        },
        actions=[{"action": "add_note", "value": "Urgent for a day: please escalate."}],
    )
    services.ticket_update(actor=agent, ticket=ticket, priority=Priority.URGENT)
    later = timezone.now() + timedelta(days=2)
    assert automations.run_one(escalate, now=later) == 1
    assert automations.run_one(escalate, now=later + timedelta(hours=5)) == 0  # same window
    assert TicketAutomationRun.objects.filter(automation=escalate, ticket=ticket).exists()
    services.ticket_update(actor=agent, ticket=ticket, priority=Priority.NORMAL)
    assert automations.run_one(escalate, now=later + timedelta(hours=6)) == 0  # window ended
    assert not TicketAutomationRun.objects.filter(automation=escalate).exists()
    services.ticket_update(actor=agent, ticket=ticket, priority=Priority.URGENT)
    assert automations.run_one(escalate, now=later + timedelta(hours=7)) == 1  # a new window
    assert Message.objects.filter(ticket=ticket, internal=True).count() == 2


@pytest.mark.django_db
def test_refused_actions_are_recorded_and_not_retried_in_the_window(ticket, team_agent, customer):
    other = services.ticket_create(
        actor=customer, subject="Unrouted question", description="Nobody routed this one yet."
    )
    automation = Automation.objects.create(
        name="Old tickets → note",
        owner=team_agent,  # works Billing only: may not write on the unrouted ticket
        conditions={"all": [{"field": "hours_since_created", "operator": "greater_than", "value": 1}]},
        actions=[{"action": "add_note", "value": "Old."}],
    )
    later = timezone.now() + timedelta(hours=2)
    assert automations.run_one(automation, now=later) == 1  # Billing's ticket
    automation.refresh_from_db()
    assert automation.failure_count == 1 and f"#{other.pk}" in automation.last_error
    assert automations.run_one(automation, now=later) == 0
    assert Automation.objects.get(pk=automation.pk).failure_count == 1


@pytest.mark.django_db
def test_the_default_auto_close_automation(ticket, agent, settings, capsys):
    settings.HELPDESK_AUTOCLOSE_DAYS = 3
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    solved_at = Ticket.objects.get(pk=ticket.pk).solved_at
    assert automations.run_automations(now=solved_at + timedelta(hours=71)) == {"Close solved tickets after 3 days": 0}
    default = Automation.objects.get(system_key=automations.AUTOCLOSE)
    assert (default.owner, default.conditions) == (None, automations.autoclose_conditions(3))
    automations.run_automations(now=solved_at + timedelta(hours=73))
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == Status.CLOSED
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert (event.actor_id, event.actor_name, event.data["via"]["id"]) == (None, "System", default.pk)
    # paused: the schedule leaves solved tickets alone
    Automation.objects.filter(pk=default.pk).update(active=False)
    again = services.ticket_create(
        actor=ticket.requester, subject="Another one", description="Another question of mine."
    )
    services.ticket_change_status(actor=agent, ticket=again, status=Status.SOLVED)
    call_command("run_automations")
    assert Ticket.objects.get(pk=again.pk).status == Status.SOLVED
    assert "acted on" not in capsys.readouterr().out


@pytest.mark.django_db
def test_the_system_automation_may_only_close(admin):
    default = automations.default_autoclose()
    automations.check(default)
    default.actions = [{"action": "add_tags", "value": ["x"]}]
    with pytest.raises(ValidationError) as error:
        automations.check(default)
    assert "actions" in error.value.message_dict
    person = Automation(name="Everything", owner=admin, conditions={}, actions=[])
    with pytest.raises(ValidationError) as error:
        automations.check(person)
    assert set(error.value.message_dict) == {"conditions", "actions"}
