"""Escalation per SLA policy: who hears of warnings and breaches, the breach actions run through
the rules engine ("via SLA policy …"), the mails in each recipient's language, breaches a ticket
change finds, and the SLA leaving tickets whose policy was turned off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from accounts import services as account_services
from accounts.models import Role
from tickets import history, services
from tickets.models import EventKind, Notification, NotificationKind, Priority, Status, Ticket, TicketEvent
from tickets.sla.models import ClockState, Metric, SlaClock
from tickets.sla.refresh import sla_refresh
from tickets.sla.sweeper import sweep_sla
from tickets.tests.sla.support import FrozenClock, policy

# Real commits: the notifications, the clocks' refresh and the mail all follow a commit.
pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
RESOLUTION_HOUR = [(p, Metric.RESOLUTION_TIME, 60, False) for p in Priority.values]


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch, NOW - timedelta(minutes=70))


def _person(email, role=Role.AGENT, **extra):
    return account_services.user_create(
        email=email,
        name=email.split("@")[0].title(),
        password="x",
        role=role,
        validate_password_strength=False,
        **extra,
    )


def _escalating(name="Standard", **fields):
    made = policy(name, targets=RESOLUTION_HOUR)
    for key, value in fields.items():
        setattr(made, key, value)
    made.save()
    return made


def _router():
    from accounts.models import User

    return User.objects.filter(email="router@desk.test").first() or _person("router@desk.test", Role.ADMIN)


def _ticket(customer, **changes):
    """A ticket filed by ``customer`` an hour and ten minutes before NOW: its resolution clock
    (an hour, calendar time) is due ten minutes before NOW."""
    created = services.ticket_create(
        actor=customer, subject="Printer on fire", description="The office printer is on fire again, please help."
    )
    if changes:
        created = services.ticket_update(actor=_router(), ticket=created, **changes)
    return Ticket.objects.get(pk=created.pk)


def _notified(kind=NotificationKind.SLA_BREACHED) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


# --- recipients ------------------------------------------------------------------------------------


def test_by_default_the_assignee_hears_else_the_team_else_the_admins(clock, customer, billing_team):
    _escalating()
    member = _person("member@desk.test", teams=[billing_team])
    assignee = _person("owner@desk.test")
    assigned = _ticket(customer, assignee=assignee, team=billing_team)
    routed = _ticket(customer, team=billing_team)
    loose = _ticket(customer)
    clock.set(NOW)
    assert sweep_sla(now=NOW).breached == 3
    by_ticket = {
        t.pk: set(
            Notification.objects.filter(ticket=t, kind=NotificationKind.SLA_BREACHED).values_list(
                "recipient__email", flat=True
            )
        )
        for t in (assigned, routed, loose)
    }
    assert by_ticket[assigned.pk] == {"owner@desk.test"}
    assert by_ticket[routed.pk] == {"member@desk.test"}
    assert by_ticket[loose.pk] == {"router@desk.test"}  # the only admin
    assert member.email in by_ticket[routed.pk]


def test_a_policy_names_several_groups(clock, customer, billing_team):
    _escalating(breach_recipients=["assignee", "team", "admins"], warning_recipients=["team"])
    _person("member@desk.test", teams=[billing_team])
    retired = _person("retired@desk.test", teams=[billing_team])
    type(retired).objects.filter(pk=retired.pk).update(is_active=False)
    _person("boss@desk.test", Role.ADMIN)
    assignee = _person("owner@desk.test")
    _ticket(customer, assignee=assignee, team=billing_team)
    clock.set(NOW - timedelta(minutes=25))
    sweep_sla(now=NOW - timedelta(minutes=25))
    assert _notified(NotificationKind.SLA_WARNING) == {"member@desk.test"}
    clock.set(NOW)
    sweep_sla(now=NOW)
    assert _notified() == {"owner@desk.test", "member@desk.test", "boss@desk.test", "router@desk.test"}


def test_a_group_with_nobody_in_it_falls_back_to_the_admins(clock, customer, admin):
    _escalating(breach_recipients=["assignee"])
    _ticket(customer)  # nobody assigned
    clock.set(NOW)
    sweep_sla(now=NOW)
    assert _notified() == {admin.email}


# --- warnings --------------------------------------------------------------------------------------


def test_a_warning_goes_out_once_at_the_policy_lead_time(clock, customer, agent):
    _escalating(warning_minutes=45)
    _ticket(customer, assignee=agent)  # due at NOW - 10 min
    early = NOW - timedelta(minutes=56)
    clock.set(early)
    assert sweep_sla(now=early).warned == 0  # 46 minutes ahead: not yet
    for minute in (54, 50, 30):
        at = NOW - timedelta(minutes=minute)
        clock.set(at)
        assert sweep_sla(now=at).warned == (1 if minute == 54 else 0)
    warnings = TicketEvent.objects.filter(kind=EventKind.SLA_WARNING)
    assert warnings.count() == 1
    assert history.describe(warnings.get()) == "warned that the resolution time target breaches within 45 minutes"
    assert Notification.objects.filter(kind=NotificationKind.SLA_WARNING).count() == 1
    assert [m.subject for m in mail.outbox if "due soon" in m.subject] == [
        f"[#{warnings.get().ticket_id}] SLA target due soon: Printer on fire"
    ]


def test_no_warning_when_the_policy_says_zero(clock, customer, agent):
    _escalating(warning_minutes=0)
    _ticket(customer, assignee=agent)
    clock.set(NOW - timedelta(minutes=15))
    assert sweep_sla(now=NOW - timedelta(minutes=15)).warned == 0
    assert not TicketEvent.objects.filter(kind=EventKind.SLA_WARNING).exists()


# --- breach actions --------------------------------------------------------------------------------


def test_breach_actions_raise_priority_and_reassign_via_the_policy(clock, customer, agent, admin, tech_team):
    backup = _person("backup@desk.test")
    _escalating(
        "Gold",
        breach_actions=[
            {"action": "set_priority", "value": "urgent"},
            {"action": "set_team", "value": tech_team.pk},
            {"action": "set_assignee", "value": backup.pk},
            {"action": "add_tags", "value": ["sla-breached"]},
        ],
        acts_as=admin,
    )
    ticket = _ticket(customer, assignee=agent)
    clock.set(NOW)
    result = sweep_sla(now=NOW)
    assert (result.breached, result.escalated) == (1, 1)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.team_id, ticket.assignee_id) == (Priority.URGENT, tech_team.pk, backup.pk)
    assert list(ticket.tags.values_list("name", flat=True)) == ["sla-breached"]
    changes = TicketEvent.objects.filter(
        ticket=ticket, kind__in=[EventKind.PRIORITY_CHANGED, EventKind.TEAM_CHANGED, EventKind.ASSIGNED], actor=admin
    ).order_by("id")
    assert changes.count() == 3
    for event in changes:
        assert event.actor_id == admin.pk
        assert history.via(event) == " (via SLA policy “Gold”)"
    # The breach was told to the assignee at the time, and the new assignee hears of the assignment.
    assert _notified() == {"alice@desk.test"}
    assert Notification.objects.filter(kind=NotificationKind.ASSIGNED, recipient=backup).exists()
    # Nothing more on the next sweep.
    assert sweep_sla(now=NOW + timedelta(minutes=1)).escalated == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PRIORITY_CHANGED).count() == 1


def test_actions_the_services_refuse_leave_the_breach_recorded(clock, customer, agent, admin, caplog):
    _escalating(breach_actions=[{"action": "set_priority", "value": "urgent"}], acts_as=admin)
    ticket = _ticket(customer, assignee=agent)
    ticket_two = _ticket(customer, assignee=agent)
    closed_at = NOW - timedelta(minutes=60)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED, solved_at=closed_at, closed_at=closed_at)
    clock.set(NOW)
    result = sweep_sla(now=NOW)
    assert (result.breached, result.escalated) == (2, 1)
    assert SlaClock.objects.get(ticket=ticket).state == ClockState.BREACHED
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    assert Ticket.objects.get(pk=ticket_two.pk).priority == Priority.URGENT
    assert "breach actions failed on ticket" in caplog.text


def test_actions_wait_when_the_person_they_act_as_may_no_longer(clock, customer, agent, caplog):
    demoted = _person("former@desk.test")
    _escalating(breach_actions=[{"action": "set_priority", "value": "high"}], acts_as=demoted)
    ticket = _ticket(customer, assignee=agent)
    type(demoted).objects.filter(pk=demoted.pk).update(role=Role.CUSTOMER)
    clock.set(NOW)
    assert sweep_sla(now=NOW).escalated == 0
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    assert "breach actions skipped" in caplog.text


# --- a breach a ticket change finds ----------------------------------------------------------------


def test_a_breach_found_by_a_ticket_change_is_notified_and_escalated_once(clock, customer, agent, admin):
    _escalating(breach_actions=[{"action": "add_tags", "value": ["late"]}], acts_as=admin)
    ticket = _ticket(customer, assignee=agent)
    clock.set(NOW)  # overdue, and no sweep yet: a note from the agent refreshes the clocks first
    services.message_add(actor=agent, ticket=ticket, body="Looking into it now.", internal=True)
    assert SlaClock.objects.get(ticket=ticket).state == ClockState.BREACHED
    assert _notified() == {"alice@desk.test"}
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["late"]
    assert sweep_sla(now=NOW).breached == 0
    sla_refresh(ticket, NOW + timedelta(minutes=1))
    assert Notification.objects.filter(kind=NotificationKind.SLA_BREACHED).count() == 1
    assert TicketEvent.objects.filter(kind=EventKind.TAGS_CHANGED).count() == 1


# --- email -----------------------------------------------------------------------------------------


def test_breach_mail_in_the_recipients_language_text_and_html_once(clock, customer, admin):
    spanish = _person("ana@desk.test")
    account_services.user_set_locale(user=spanish, language="es", time_zone="Europe/Madrid")
    english = _person("bob@desk.test")
    _escalating("Oro", breach_recipients=["assignee", "admins"])
    ticket = _ticket(customer, assignee=spanish)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=spanish)
    _ticket(customer, assignee=english)
    clock.set(NOW)
    sweep_sla(now=NOW)
    to_ana = [m for m in mail.outbox if m.to == ["ana@desk.test"] and "SLA" in m.subject]
    assert len(to_ana) == 1
    (message,) = to_ana
    assert message.subject == f"[#{ticket.pk}] Objetivo de SLA incumplido: Printer on fire"
    assert "tiempo de resolución" in message.body
    assert "13:50" in message.body  # 11:50 UTC in Madrid's summer time
    assert "Oro" in message.body
    html = message.alternatives[0][0]
    assert 'lang="es"' in html and "tiempo de resolución" in html
    to_bob = [m for m in mail.outbox if m.to == ["bob@desk.test"] and "SLA" in m.subject]
    assert [m.subject.split("] ")[1] for m in to_bob] == ["SLA target breached: Printer on fire"]
    assert "The resolution time target of ticket" in to_bob[0].body
    # Running the notification job again sends nothing more.
    from tickets.notifications.tasks import notify_event

    sent = len(mail.outbox)
    for event_id in TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).values_list("pk", flat=True):
        assert notify_event.run(event_id) == 0
    assert len(mail.outbox) == sent
    assert not Notification.objects.filter(emailed_at__isnull=True, kind=NotificationKind.SLA_BREACHED).exists()


# --- policies turned off ---------------------------------------------------------------------------


def test_when_every_policy_is_turned_off_the_sla_leaves_the_tickets(clock, customer, agent):
    standard = _escalating()
    running = _ticket(customer, assignee=agent)
    clock.set(NOW - timedelta(minutes=20))
    assert Ticket.objects.get(pk=running.pk).sla_breach_at == NOW - timedelta(minutes=10)
    standard.active = False
    standard.save()
    at = NOW - timedelta(minutes=5)
    clock.set(at)
    result = sweep_sla(now=at)
    assert (result.retired, result.breached, result.warned) == (1, 0, 0)
    assert not SlaClock.objects.filter(ticket=running).exists()
    assert Ticket.objects.get(pk=running.pk).sla_breach_at is None
    stopped = TicketEvent.objects.filter(ticket=running, kind=EventKind.SLA_POLICY_APPLIED).last()
    assert history.describe(stopped) == "stopped applying an SLA policy"
    assert not Notification.objects.filter(kind=NotificationKind.SLA_BREACHED).exists()
    # Later changes find no policy and add nothing back.
    services.ticket_update(actor=agent, ticket=running, priority=Priority.HIGH)
    assert not SlaClock.objects.filter(ticket=running).exists()
    assert sweep_sla(now=NOW).retired == 0


def test_a_breached_target_stays_on_record_when_the_policy_goes(clock, customer, agent):
    standard = _escalating()
    ticket = _ticket(customer, assignee=agent)
    clock.set(NOW)
    sweep_sla(now=NOW)
    standard.delete()
    assert sweep_sla(now=NOW).retired == 0  # a breached clock has nothing left to stop
    sla_refresh(ticket, NOW)
    assert SlaClock.objects.get(ticket=ticket).state == ClockState.BREACHED
    assert Ticket.objects.get(pk=ticket.pk).sla_breach_at is None  # out of the queue's "Breached"


def test_a_ticket_moves_to_the_policy_that_matches_once_its_own_is_off(clock, customer, agent):
    first = policy("First", position=0, targets=RESOLUTION_HOUR)
    policy("Second", position=1, targets=[(p, Metric.RESOLUTION_TIME, 600, False) for p in Priority.values])
    ticket = _ticket(customer, assignee=agent)
    assert SlaClock.objects.get(ticket=ticket).policy_id == first.pk
    first.active = False
    first.save()
    clock.set(NOW)
    result = sweep_sla(now=NOW)
    assert (result.retired, result.breached) == (1, 0)
    moved = SlaClock.objects.get(ticket=ticket)
    assert (moved.policy.name, moved.target_minutes, moved.state) == ("Second", 600, ClockState.RUNNING)
