"""Rule and macro actions (issue 16): checked once with clear errors, carried out through the
services as the person they act for — permissions, validation and history as by hand — and the
history says which rule did it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tickets.models import EventKind, Message, Ticket, TicketEvent
from tickets.rules import actions, conditions, placeholders

RULE = SimpleNamespace(pk=7, name="Refund sent")


def messages_of(error: ValidationError) -> str:
    return " | ".join(error.messages)


@pytest.mark.django_db
def test_every_mistake_is_named(billing_team):
    with pytest.raises(ValidationError) as caught:
        actions.parse(
            [
                {"action": "set_status", "value": "done"},
                {"action": "explode"},
                {"action": "set_team", "value": 999_999},
                {"action": "add_reply", "value": "Hi {{requester.password}}"},
                {"action": "add_tags", "value": []},
                {"action": "set_priority", "value": "high"},
                {"action": "set_priority", "value": "low"},
            ]
        )
    text = messages_of(caught.value)
    assert "Action 1: 'done' is not one of: open, in_progress, pending, on_hold, solved, closed" in text
    assert 'Action 2: each action is an object with "action"' in text
    assert "Action 3: 999999 does not exist" in text
    assert "Action 4: Unknown placeholder {{requester.password}}" in text
    assert "Action 5: name at least one tag" in text
    assert "Set priority appears twice" in text


@pytest.mark.django_db
def test_conditions_name_every_mistake(billing_team):
    with pytest.raises(ValidationError) as caught:
        conditions.parse(
            {
                "all": [
                    {"field": "priorty", "operator": "is", "value": "high"},
                    {"field": "priority", "operator": "less_than", "value": "high"},
                    {"field": "hours_since_created", "operator": "greater_than", "value": "72"},
                    {"field": "team", "operator": "is", "value": 999_999},
                ],
                "any": "status",
            }
        )
    text = messages_of(caught.value)
    assert 'Condition 1 of "all": unknown field "priorty"' in text
    assert 'Condition 2 of "all": "less_than" does not apply to Priority' in text
    assert "Condition 3 of \"all\": '72' is not a valid value for Hours since created" in text
    assert 'Condition 4 of "all": Team 999999 does not exist' in text
    assert '"any" must be a list of conditions' in text
    with pytest.raises(ValidationError, match="Conditions have only"):
        conditions.parse({"every": []})


@pytest.mark.django_db
def test_apply_goes_through_the_services_and_says_which_rule(ticket, agent, customer):
    plan = actions.parse(
        [
            {"action": "add_reply", "value": "Hi {{requester.first_name}}, ticket #{{ticket.id}} is refunded."},
            {"action": "set_status", "value": "pending"},
            {"action": "set_priority", "value": "high"},
            {"action": "add_tags", "value": ["refund"]},
            {"action": "add_note", "value": "Refund issued by {{current_user.name}}."},
        ]
    )
    actions.check_owner(plan, agent)
    preview = actions.preview(plan, ticket=ticket, actor=agent)
    assert preview["reply"] == f"Hi Ada, ticket #{ticket.pk} is refunded."
    assert {"field": "priority", "old": "Normal", "new": "High"} in preview["changes"]
    assert Message.objects.filter(ticket=ticket).count() == 1  # the preview wrote nothing

    updated = actions.apply(plan, ticket=ticket, actor=agent, kind="macro", rule=RULE)
    assert (updated.status, updated.priority) == ("pending", "high")
    assert set(updated.tags.values_list("name", flat=True)) == {"refund"}
    reply = Message.objects.filter(ticket=ticket, internal=False).latest("id")
    assert reply.body == f"Hi Ada, ticket #{ticket.pk} is refunded." and reply.author == agent
    assert Message.objects.get(ticket=ticket, internal=True).body == "Refund issued by Alice Agent."
    written = TicketEvent.objects.filter(ticket=ticket, data__via__id=7)
    kinds = set(written.values_list("kind", flat=True))
    assert {EventKind.MESSAGE_ADDED, EventKind.STATUS_CHANGED, EventKind.PRIORITY_CHANGED} <= kinds
    assert all(event.data["via"] == {"kind": "macro", "id": 7, "name": "Refund sent"} for event in written)
    assert (
        not TicketEvent.objects.filter(ticket=ticket)
        .exclude(data__has_key="via")
        .filter(created_at__gte=reply.created_at)
        .exists()
    )


@pytest.mark.django_db
def test_all_or_nothing_and_the_services_decide(ticket, agent, other_team_agent, customer):
    before = Ticket.objects.get(pk=ticket.pk)
    plan = actions.parse([{"action": "set_priority", "value": "urgent"}, {"action": "set_status", "value": "closed"}])
    with pytest.raises(ValidationError):  # closing by hand needs solved first: the service says no
        actions.apply(plan, ticket=ticket, actor=agent, kind="macro", rule=RULE)
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.priority, after.status, after.updated_at) == (before.priority, before.status, before.updated_at)
    with pytest.raises(Http404):  # an agent of another team does not even see it
        actions.apply(
            actions.parse([{"action": "set_priority", "value": "low"}]),
            ticket=ticket,
            actor=other_team_agent,
            kind="macro",
            rule=RULE,
        )
    with pytest.raises(ValidationError, match="Only agents and administrators"):
        actions.check_owner(plan, customer)
    with pytest.raises(PermissionDenied):
        actions.apply(
            actions.parse([{"action": "add_note", "value": "x"}]),
            ticket=ticket,
            actor=customer,
            kind="macro",
            rule=RULE,
        )
    assert not Message.objects.filter(ticket=ticket, internal=True).exists()


def test_placeholders_are_plain_text_and_closed():
    placeholders.check("Hello {{ requester.first_name }} — {{ticket.id}}")
    with pytest.raises(ValidationError):
        placeholders.check("{{ticket.requester.password}}")


@pytest.mark.django_db
def test_agents_see_which_rule_acted_customers_do_not(client, ticket, agent, customer):
    actions.apply(
        actions.parse([{"action": "set_priority", "value": "high"}]),
        ticket=ticket,
        actor=agent,
        kind="macro",
        rule=RULE,
    )
    client.force_login(agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert "(via macro “Refund sent”)" in page
    client.force_login(customer)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "High" in page and "Refund sent" not in page
