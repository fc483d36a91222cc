"""Custom ticket fields (issue 16): checking values, storing them typed, their history, solving
with required fields, who may set which field — through the real services and database."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tickets import history, permissions, services
from tickets.models import EventKind, Status, Ticket, TicketField
from tickets.services import custom_fields as cf
from tickets.services import ticket_fields

pytestmark = pytest.mark.django_db


def make(key, field_type="text", **values):
    values.setdefault("label", key.replace("_", " ").capitalize())
    teams = values.pop("teams", [])
    field = TicketField.objects.create(key=key, field_type=field_type, **values)
    field.teams.set(teams)
    return field


@pytest.fixture
def fields(billing_team, tech_team):
    return {
        "order": make("order_number", "regex", pattern=r"[A-Z]{2}-\d{4}", visible_to_customers=True),
        "plan": make(
            "plan",
            "dropdown",
            options=[{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
        ),
        "seats": make("seats", "number"),
        "renewal": make("renewal", "date"),
        "vip": make("vip", "checkbox"),
        "apps": make(
            "apps",
            "multiselect",
            options=[{"value": "mail", "label": "Mail"}, {"value": "chat", "label": "Chat"}],
            visible_to_customers=True,
        ),
        "note": make("note"),
        "billing_only": make("billing_code", teams=[billing_team]),
        "tech_only": make("tech_code", teams=[tech_team]),
        "old": make("legacy", active=False),
    }


def clean(values, actor, *, team=None, existing=None, partial=True):
    return cf.clean_custom_fields(values, ticket_team=team, actor=actor, partial=partial, existing=existing or {})


# --- values -------------------------------------------------------------------------------------


def test_values_are_stored_typed_and_normalized(fields, agent):
    result = clean(
        {
            "order_number": " AB-1234 ",
            "plan": "gold",
            "seats": 12.0,
            "renewal": "2027-02-28",
            "vip": False,
            "apps": ["mail", "chat", "mail"],
            "note": "  hello ",
        },
        agent,
    )
    assert result == {
        "order_number": "AB-1234",
        "plan": "gold",
        "seats": 12,
        "renewal": "2027-02-28",
        "vip": False,
        "apps": ["chat", "mail"],
        "note": "hello",
    }
    assert isinstance(result["seats"], int)
    assert clean({"seats": 2.5}, agent) == {"seats": 2.5}


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("order_number", "ab-1234", "is not in the form"),
        ("order_number", "AB-1234x", "is not in the form"),  # a full match, not a prefix
        ("order_number", 1234, "takes text"),
        ("plan", "platinum", "is not an option"),
        ("plan", ["gold"], "is not an option"),
        ("seats", "12", "takes a number"),
        ("seats", True, "takes a number"),
        ("seats", float("nan"), "finite"),
        ("seats", float("inf"), "finite"),
        ("seats", 10**16, "numbers up to"),
        ("renewal", "2027-02-30", "takes a date"),
        ("renewal", "28/02/2027", "takes a date"),
        ("renewal", 20270228, "takes a date"),
        ("vip", "yes", "true or false"),
        ("vip", 1, "true or false"),
        ("apps", "mail", "list of options"),
        ("apps", ["mail", "fax"], "is not an option"),
        ("note", "x" * 1001, "at most"),
    ],
)
def test_wrong_values_are_refused_with_the_field_named(fields, agent, key, value, words):
    with pytest.raises(ValidationError) as caught:
        clean({key: value}, agent)
    messages = caught.value.message_dict[f"custom_fields.{key}"]
    assert words in " ".join(messages)


def test_unknown_inactive_and_other_team_fields_are_refused_all_at_once(fields, agent, billing_team):
    with pytest.raises(ValidationError) as caught:
        clean({"nope": "x", "legacy": "x", "tech_code": "x", "billing_code": "ok"}, agent, team=billing_team)
    errors = caught.value.message_dict
    assert set(errors) == {"custom_fields.nope", "custom_fields.legacy", "custom_fields.tech_code"}
    assert "“nope”" in errors["custom_fields.nope"][0]
    assert "no longer in use" in errors["custom_fields.legacy"][0]
    assert "this team" in errors["custom_fields.tech_code"][0]
    # Without a team, only fields of every ticket apply.
    with pytest.raises(ValidationError, match="without a team"):
        clean({"billing_code": "x"}, agent, team=None)
    assert clean({"billing_code": "x"}, agent, team=billing_team) == {"billing_code": "x"}


def test_empty_values_remove_the_key_and_partial_merges(fields, agent):
    existing = {"plan": "gold", "note": "keep", "apps": ["mail"]}
    assert clean({"plan": None, "apps": [], "seats": ""}, agent, existing=existing) == {"note": "keep"}
    assert clean({"seats": 3}, agent, existing=existing, partial=False) == {"seats": 3}
    with pytest.raises(ValidationError, match="object"):
        clean(["plan"], agent)


def test_customers_only_see_and_set_customer_visible_fields(fields, customer, agent):
    assert clean({"order_number": "AB-1234", "apps": ["chat"]}, customer) == {
        "order_number": "AB-1234",
        "apps": ["chat"],
    }
    with pytest.raises(ValidationError) as caught:
        clean({"plan": "gold"}, customer)
    # An agents-only field does not exist for a customer.
    assert "There is no ticket field" in caught.value.message_dict["custom_fields.plan"][0]
    assert permissions.visible_custom_field_keys(customer) == {"order_number", "apps"}
    assert "plan" in permissions.visible_custom_field_keys(agent)


def test_the_keys_customers_see_follow_every_change_of_the_fields(fields, customer, agent):
    """The keys come from the definitions' cache: each change of a field is seen at once."""
    assert permissions.visible_custom_field_keys(customer) == {"order_number", "apps"}
    fields["plan"].visible_to_customers = True
    fields["plan"].save()
    assert permissions.visible_custom_field_keys(customer) == {"order_number", "apps", "plan"}
    fields["apps"].delete()
    assert permissions.visible_custom_field_keys(customer) == {"order_number", "plan"}
    make("region", visible_to_customers=True, active=False)  # inactive fields keep their values shown
    assert permissions.visible_custom_field_keys(customer) == {"order_number", "plan", "region"}
    assert permissions.visible_custom_field_keys(agent) == {f.key for f in TicketField.objects.all()}


# --- on tickets ---------------------------------------------------------------------------------


def test_update_merges_and_writes_one_event_per_changed_field(fields, ticket, team_agent):
    services.ticket_update(
        actor=team_agent,
        ticket=ticket,
        custom_fields={"plan": "gold", "order_number": "AB-1234", "billing_code": "B1"},
    )
    services.ticket_update(actor=team_agent, ticket=ticket, custom_fields={"plan": "silver", "order_number": None})
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"plan": "silver", "billing_code": "B1"}
    events = list(ticket.events.filter(kind=EventKind.CUSTOM_FIELD_CHANGED).order_by("pk"))
    assert [(e.data["field"], e.data["old"], e.data["new"], e.public) for e in events] == [
        ("billing_code", None, "B1", False),
        ("order_number", None, "AB-1234", True),
        ("plan", None, "gold", False),
        ("order_number", "AB-1234", None, True),
        ("plan", "gold", "silver", False),
    ]
    assert events[4].data["label"] == "Plan"
    sentences = [history.describe(e) for e in events]
    assert sentences[0] == "set Billing code to B1"
    assert sentences[3] == "cleared Order number"
    assert sentences[4] == "changed Plan from Gold to Silver"
    # Saving the same values again changes nothing and writes no event.
    services.ticket_update(actor=team_agent, ticket=ticket, custom_fields={"plan": "silver"})
    assert ticket.events.filter(kind=EventKind.CUSTOM_FIELD_CHANGED).count() == 5


def test_customers_cannot_change_custom_fields_and_bad_input_writes_nothing(fields, ticket, customer, team_agent):
    with pytest.raises(PermissionDenied):
        services.ticket_update(actor=customer, ticket=ticket, custom_fields={"order_number": "AB-1234"})
    with pytest.raises(ValidationError):
        services.ticket_update(
            actor=team_agent, ticket=ticket, priority="high", custom_fields={"plan": "gold", "seats": "many"}
        )
    ticket.refresh_from_db()
    assert ticket.custom_fields == {}
    assert ticket.priority == "normal"
    assert not ticket.events.filter(kind=EventKind.CUSTOM_FIELD_CHANGED).exists()


def test_the_portal_history_shows_only_public_field_changes(fields, ticket, customer, team_agent):
    from tickets import selectors

    services.ticket_update(actor=team_agent, ticket=ticket, custom_fields={"plan": "gold", "apps": ["mail", "chat"]})
    shown = [history.describe(e) for e in selectors.portal_history_for(customer, ticket)]
    assert "set Apps to Chat, Mail" in shown
    assert not any("Plan" in text for text in shown)


def test_create_with_fields_customers_and_required_in_portal(fields, customer, agent, billing_team):
    fields["order"].required_in_portal = True
    fields["order"].save()
    base = {"subject": "Where is my order", "description": "It did not arrive after two weeks of waiting."}
    with pytest.raises(ValidationError) as caught:
        services.ticket_create(actor=customer, **base)
    assert caught.value.message_dict["custom_fields.order_number"] == ["This field is required."]
    with pytest.raises(ValidationError) as caught:
        services.ticket_create(actor=customer, custom_fields={"order_number": "AB-1234", "plan": "gold"}, **base)
    assert set(caught.value.message_dict) == {"custom_fields.plan"}
    assert not Ticket.objects.exists()
    made = services.ticket_create(actor=customer, custom_fields={"order_number": "AB-1234"}, **base)
    assert made.custom_fields == {"order_number": "AB-1234"}
    # Email cannot ask for fields: a customer's email opens the ticket without them.
    emailed = services.ticket_create(actor=customer, via="email", **base)
    assert emailed.custom_fields == {}
    # Agents set any field of the ticket's team and are not held to the portal's requirements.
    by_agent = services.ticket_create(
        actor=agent, team=billing_team, custom_fields={"plan": "gold", "billing_code": "X"}, **base
    )
    assert by_agent.custom_fields == {"plan": "gold", "billing_code": "X"}


def test_solving_needs_the_required_on_solve_fields_that_apply(fields, ticket, team_agent, customer, admin):
    fields["plan"].required_on_solve = True
    fields["plan"].save()
    fields["tech_only"].required_on_solve = True  # another team's: does not apply
    fields["tech_only"].save()
    with pytest.raises(ValidationError) as caught:
        services.ticket_update(actor=team_agent, ticket=ticket, status=Status.SOLVED)
    assert "“Plan”" in caught.value.message_dict["status"][0]
    assert "Tech code" not in caught.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        services.ticket_change_status(actor=team_agent, ticket=ticket, status=Status.SOLVED)
    with pytest.raises(ValidationError):
        services.message_add(actor=team_agent, ticket=ticket, body="Done.", status=Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.status != Status.SOLVED
    # Filling it in in the same change solves.
    services.ticket_update(actor=team_agent, ticket=ticket, status=Status.SOLVED, custom_fields={"plan": "gold"})
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    # The requester saying "it works now" is never held up by the agents' fields.
    other = services.ticket_create(
        actor=customer, subject="Another problem", description="Something else broke this morning, sadly."
    )
    services.ticket_change_status(actor=customer, ticket=other, status=Status.SOLVED)
    # An inactive required field does not hold anything up.
    fields["plan"].active = False
    fields["plan"].save()
    third = services.ticket_create(
        actor=customer, subject="Third problem", description="And a third thing broke this afternoon."
    )
    services.ticket_update(actor=admin, ticket=third, status=Status.SOLVED)


def test_bulk_update_sets_custom_fields_all_or_nothing(fields, ticket, agent, customer):
    other = services.ticket_create(
        actor=customer, subject="Another problem", description="Something else broke this morning, sadly."
    )
    services.ticket_bulk_update(actor=agent, ticket_ids=[ticket.pk, other.pk], changes={"custom_fields": {"vip": True}})
    assert [t.custom_fields for t in Ticket.objects.order_by("pk")] == [{"vip": True}, {"vip": True}]
    from tickets.exceptions import BulkUpdateFailed

    # billing_code applies to Billing's ticket only: the other refuses, nothing changes.
    with pytest.raises(BulkUpdateFailed):
        services.ticket_bulk_update(
            actor=agent, ticket_ids=[ticket.pk, other.pk], changes={"custom_fields": {"billing_code": "Z"}}
        )
    assert [t.custom_fields for t in Ticket.objects.order_by("pk")] == [{"vip": True}, {"vip": True}]


# --- definitions --------------------------------------------------------------------------------


def test_definitions_are_checked(admin, agent, billing_team):
    with pytest.raises(PermissionDenied):
        ticket_fields.ticket_field_create(actor=agent, key="plan", field_type="text", label="Plan")
    with pytest.raises(ValidationError) as caught:
        ticket_fields.ticket_field_create(
            actor=admin,
            key="Plan!",
            field_type="colour",
            label="",
        )
    assert set(caught.value.message_dict) == {"key", "field_type", "label"}
    with pytest.raises(ValidationError, match="Option value"):
        ticket_fields.ticket_field_create(
            actor=admin, key="plan", field_type="dropdown", label="Plan", options=[{"value": "Gold", "label": "Gold"}]
        )
    with pytest.raises(ValidationError, match="at least one option"):
        ticket_fields.ticket_field_create(actor=admin, key="plan", field_type="dropdown", label="Plan")
    with pytest.raises(ValidationError, match="regular expression"):
        ticket_fields.ticket_field_create(actor=admin, key="ref", field_type="regex", label="Ref", pattern="(")
    with pytest.raises(ValidationError, match="visible to customers"):
        ticket_fields.ticket_field_create(
            actor=admin, key="ref", field_type="text", label="Ref", required_in_portal=True
        )
    field = ticket_fields.ticket_field_create(
        actor=admin,
        key="plan",
        field_type="dropdown",
        label="Plan",
        options=[{"value": "gold", "label": "Gold"}],
        teams=[billing_team],
    )
    assert list(field.teams.all()) == [billing_team]
    with pytest.raises(ValidationError, match="already has the key"):
        ticket_fields.ticket_field_create(actor=admin, key="plan", field_type="text", label="Plan again")
    with pytest.raises(ValidationError, match="cannot change"):
        ticket_fields.ticket_field_update(actor=admin, field=field, field_type="text")
    field = ticket_fields.ticket_field_deactivate(actor=admin, field=field)
    assert TicketField.objects.get(pk=field.pk).active is False


def test_a_tickets_fields_come_from_the_cached_definitions_and_follow_team_changes(
    fields, ticket, team_agent, billing_team, tech_team
):
    """Which fields a ticket has is read from the definitions (one query, then cached): a page
    asks no query for it, and a change of a field's teams is seen at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk import memo
    from tickets.selectors.custom_fields import fields_for_ticket

    ticket.team = billing_team
    with memo.scope():
        keys = [shown.field.key for shown in fields_for_ticket(team_agent, ticket)]
    assert "billing_code" in keys and "tech_code" not in keys and "legacy" not in keys
    with memo.scope(), CaptureQueriesContext(connection) as queries:
        again = [shown.field.key for shown in fields_for_ticket(team_agent, ticket)]
    assert again == keys
    assert [q["sql"] for q in queries.captured_queries if "tickets_ticketfield" in q["sql"]] == []
    fields["tech_only"].teams.add(billing_team)
    with memo.scope():
        keys = [shown.field.key for shown in fields_for_ticket(team_agent, ticket)]
    assert "tech_code" in keys
    fields["billing_only"].teams.set([tech_team])
    with memo.scope():
        keys = [shown.field.key for shown in fields_for_ticket(team_agent, ticket)]
    assert "billing_code" not in keys
