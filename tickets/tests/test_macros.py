"""Macros (issue 16): who may see, use and manage which; applying one to a ticket (all or
nothing, history says "via macro"); to many tickets at once (all or nothing); usage counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.timezone import now

from tickets import permissions, services, timeline
from tickets.exceptions import BulkUpdateFailed
from tickets.models import EventKind, Macro, MacroScope, Message, Status, Ticket, TicketEvent
from tickets.services import macros as macro_services

REPLY_AND_PEND = [
    {"action": "add_reply", "value": "Hi {{requester.first_name}}, what is your order number?"},
    {"action": "set_status", "value": "pending"},
    {"action": "add_tags", "value": ["order-number"]},
]


def personal(owner, name="Ask for order number", actions=REPLY_AND_PEND):
    return macro_services.macro_create(actor=owner, name=name, actions=actions)


def shared(admin, *, team=None, name="Shared", actions=REPLY_AND_PEND):
    scope = MacroScope.TEAM if team else MacroScope.EVERYONE
    return macro_services.macro_create(actor=admin, name=name, actions=actions, scope=scope, team=team)


@pytest.mark.django_db
def test_a_personal_macro_is_its_owners_alone(agent, team_agent, admin, customer):
    mine = personal(team_agent)
    assert list(permissions.usable_macros(team_agent)) == [mine]
    for other in (agent, admin, customer):
        assert mine not in permissions.usable_macros(other)
        assert not permissions.may_use_macro(other, mine)
        assert not permissions.may_manage_macro(other, mine)
    assert permissions.may_manage_macro(team_agent, mine)


@pytest.mark.django_db
def test_a_team_macro_is_for_that_teams_members_only(admin, billing_team, team_agent, other_team_agent, agent):
    macro = shared(admin, team=billing_team)
    assert permissions.may_use_macro(team_agent, macro)
    assert macro_services.macros_for(team_agent) == [macro]
    # Another team's agent, and an agent who works every ticket but is in no team: not theirs.
    for outsider in (other_team_agent, agent):
        assert macro_services.macros_for(outsider) == []
        assert not permissions.may_use_macro(outsider, macro)
    # Only desk managers manage shared macros.
    assert not permissions.may_manage_macro(team_agent, macro)
    assert permissions.may_manage_macro(admin, macro)


@pytest.mark.django_db
def test_customers_never_have_macros(admin, customer, ticket):
    everyone = shared(admin)
    assert list(permissions.usable_macros(customer)) == []
    assert not permissions.may_use_macro(customer, everyone)
    with pytest.raises(PermissionDenied):
        macro_services.macro_create(actor=customer, name="Mine", actions=REPLY_AND_PEND)
    with pytest.raises(PermissionDenied):
        macro_services.macro_apply(actor=customer, macro=everyone, ticket=ticket)
    assert Macro.objects.count() == 1


@pytest.mark.django_db
def test_inactive_macros_are_not_offered(admin, agent):
    macro = shared(admin)
    macro_services.macro_update(actor=admin, macro=macro, active=False)
    assert macro_services.macros_for(agent) == []
    assert not permissions.may_use_macro(agent, Macro.objects.get(pk=macro.pk))


@pytest.mark.django_db
def test_agents_may_not_share_or_change_shared_macros(agent, admin):
    with pytest.raises(ValidationError) as caught:
        macro_services.macro_create(actor=agent, name="Everyone's", actions=REPLY_AND_PEND, scope=MacroScope.EVERYONE)
    assert "scope" in caught.value.message_dict
    macro = shared(admin)
    with pytest.raises(PermissionDenied):
        macro_services.macro_update(actor=agent, macro=macro, name="Hijacked")
    with pytest.raises(PermissionDenied):
        macro_services.macro_delete(actor=agent, macro=macro)
    assert Macro.objects.get(pk=macro.pk).name == "Shared"


@pytest.mark.django_db
def test_bad_input_names_every_mistake_and_writes_nothing(admin):
    with pytest.raises(ValidationError) as caught:
        macro_services.macro_create(
            actor=admin,
            name="  ",
            actions=[{"action": "set_status", "value": "done"}, {"action": "add_reply", "value": "{{secret}}"}],
            scope=MacroScope.TEAM,
        )
    errors = caught.value.message_dict
    assert errors["name"] == ["Give the macro a name."]
    assert errors["team"] == ["Choose the team whose members may use the macro."]
    assert any("Action 1" in e for e in errors["actions"]) and any("Action 2" in e for e in errors["actions"])
    with pytest.raises(ValidationError) as caught:
        macro_services.macro_create(actor=admin, name="Empty", actions=[])
    assert caught.value.message_dict["actions"] == ["Add at least one action."]
    assert Macro.objects.count() == 0


@pytest.mark.django_db
def test_apply_replies_sets_fields_counts_and_history_says_via_macro(team_agent, ticket):
    macro = personal(team_agent)
    preview = macro_services.macro_preview(actor=team_agent, macro=macro, ticket=ticket)
    assert preview["reply"] == "Hi Ada, what is your order number?"
    assert {"field": "status", "old": "Open", "new": "Pending"} in preview["changes"]
    # The preview wrote nothing.
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    assert Macro.objects.get(pk=macro.pk).usage_count == 0

    updated = macro_services.macro_apply(actor=team_agent, macro=macro, ticket=ticket, reply="Edited: order number?")
    assert updated.status == Status.PENDING
    assert [t.name for t in updated.tags.all()] == ["order-number"]
    reply = Message.objects.filter(ticket=ticket, internal=False).latest("pk")
    assert reply.body == "Edited: order number?" and reply.author == team_agent
    macro.refresh_from_db()
    assert macro.usage_count == 1 and macro.last_used_at is not None
    status_event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED).latest("pk")
    assert status_event.data["via"] == {"kind": "macro", "id": macro.pk, "name": "Ask for order number"}
    texts = [entry.text for entry in timeline.build(team_agent, ticket).entries if entry.kind == "event"]
    assert "changed the status from Open to Pending (via macro “Ask for order number”)" in texts


@pytest.mark.django_db
def test_apply_refuses_an_empty_edited_reply_and_writes_nothing(team_agent, ticket):
    macro = personal(team_agent)
    with pytest.raises(ValidationError):
        macro_services.macro_apply(actor=team_agent, macro=macro, ticket=ticket, reply="   ")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


@pytest.mark.django_db
def test_someone_elses_personal_macro_cannot_be_applied(agent, team_agent, ticket):
    macro = personal(agent)
    with pytest.raises(PermissionDenied):
        macro_services.macro_apply(actor=team_agent, macro=macro, ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def _tickets(customer, admin, team, count):
    made = []
    for number in range(count):
        created = services.ticket_create(
            actor=customer, subject=f"Parcel {number} is late", description="Where is my parcel? It is late."
        )
        made.append(services.ticket_update(actor=admin, ticket=created, team=team))
    return made


@pytest.mark.django_db
def test_bulk_apply_to_twenty_tickets_is_all_or_nothing(admin, customer, billing_team, team_agent):
    tickets = _tickets(customer, admin, billing_team, 20)
    macro = shared(admin, team=billing_team)
    refusing = tickets[13]
    # A closed ticket takes no more changes.
    Ticket.objects.filter(pk=refusing.pk).update(status=Status.CLOSED, solved_at=now(), closed_at=now())
    messages_before = Message.objects.count()
    events_before = TicketEvent.objects.count()

    with pytest.raises(BulkUpdateFailed) as caught:
        macro_services.macro_apply_bulk(actor=team_agent, macro=macro, ticket_ids=[t.pk for t in tickets])
    assert list(caught.value.failures) == [refusing.pk]
    assert Message.objects.count() == messages_before
    assert TicketEvent.objects.count() == events_before
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("status", flat=True)) == {
        Status.OPEN,
        Status.CLOSED,
    }
    assert Macro.objects.get(pk=macro.pk).usage_count == 0

    Ticket.objects.filter(pk=refusing.pk).update(status=Status.OPEN, solved_at=None, closed_at=None)
    updated = macro_services.macro_apply_bulk(actor=team_agent, macro=macro, ticket_ids=[t.pk for t in tickets])
    assert len(updated) == 20
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("status", flat=True)) == {
        Status.PENDING
    }
    assert Macro.objects.get(pk=macro.pk).usage_count == 20


@pytest.mark.django_db
def test_bulk_apply_names_tickets_the_agent_may_not_see_and_caps_the_count(
    admin, customer, billing_team, tech_team, team_agent
):
    ours = _tickets(customer, admin, billing_team, 2)
    theirs = _tickets(customer, admin, tech_team, 1)[0]
    macro = personal(team_agent)
    with pytest.raises(BulkUpdateFailed) as caught:
        macro_services.macro_apply_bulk(actor=team_agent, macro=macro, ticket_ids=[ours[0].pk, theirs.pk, ours[1].pk])
    assert caught.value.failures == {theirs.pk: "no such ticket"}
    assert not Ticket.objects.filter(status=Status.PENDING).exists()
    with pytest.raises(ValidationError) as caught:
        macro_services.macro_apply_bulk(
            actor=team_agent, macro=macro, ticket_ids=range(1, services.MAX_BULK_TICKETS + 2)
        )
    assert "at most" in caught.value.message_dict["ids"][0]


@pytest.mark.django_db
def test_macros_for_orders_by_usage_in_one_query(admin, agent, django_assert_num_queries):
    first, second = shared(admin, name="Alpha"), shared(admin, name="Beta")
    Macro.objects.filter(pk=second.pk).update(usage_count=5)
    personal(agent, name="Mine")
    with django_assert_num_queries(1):
        names = [m.name for m in macro_services.macros_for(agent)]
    assert names == ["Beta", "Alpha", "Mine"]
    assert first.usage_count == 0


@pytest.mark.django_db
def test_the_pickers_list_follows_every_change_to_macros_and_teams(
    admin, billing_team, other_team_agent, agent, ticket, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """``macros_for`` keeps each agent's list in the process; no change may leave it behind."""
    from accounts import services as account_services

    first = shared(admin, name="Alpha")
    assert macro_services.macros_for(agent) == [first]
    with django_assert_num_queries(0):  # kept: read again from the process, not the database
        assert macro_services.macros_for(agent) == [first]
    # Created through the service, saved directly (as the admin site saves), used, deleted.
    second = shared(admin, name="Beta")
    assert macro_services.macros_for(agent) == [first, second]
    second.name = "Beta, renamed"
    second.save()
    assert [m.name for m in macro_services.macros_for(agent)] == ["Alpha", "Beta, renamed"]
    macro_services.macro_apply(actor=agent, macro=second, ticket=ticket)
    assert macro_services.macros_for(agent) == [second, first]  # the most used first
    macro_services.macro_delete(actor=admin, macro=first)
    assert macro_services.macros_for(agent) == [second]
    # A team's macro reaches an agent who joins the team once the change commits.
    team_macro = shared(admin, team=billing_team, name="Billing only")
    assert team_macro not in macro_services.macros_for(other_team_agent)
    with django_capture_on_commit_callbacks(execute=True):
        account_services.team_add_member(team=billing_team, user=other_team_agent)
    assert team_macro in macro_services.macros_for(other_team_agent)
    # The list handed out is the caller's own: changing it changes nothing kept.
    macro_services.macros_for(agent).clear()
    assert macro_services.macros_for(agent) == [second]
