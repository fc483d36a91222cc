"""Settings → Triggers and Settings → Automations: desk managers write rules in the product's own
pages — checked by the rules engine (its messages shown as they are), tested against recent
tickets without saving, reordered, paused, deleted after a confirmation — and nobody else gets in."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tickets import automations, services
from tickets.models import Automation, Trigger, TriggerOn

pytestmark = pytest.mark.django_db

REFUND = {"all": [{"field": "subject", "operator": "contains", "value": "refund"}]}
TAG = [{"action": "add_tags", "value": ["refund"]}]


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _form(**overrides):
    data = {
        "name": "Refunds",
        "description": "Tag refund requests",
        "on": TriggerOn.CREATED,
        "conditions": json.dumps(REFUND),
        "actions": json.dumps(TAG),
    }
    return {**data, **overrides}


def _trigger(admin, name: str, position: int, **fields) -> Trigger:
    return Trigger.objects.create(name=name, position=position, owner=admin, conditions=REFUND, actions=TAG, **fields)


def _log(obj, action: int) -> list[LogEntry]:
    ctype = ContentType.objects.get_for_model(type(obj))
    return list(LogEntry.objects.filter(content_type=ctype, object_id=str(obj.pk), action_flag=action))


def test_a_manager_creates_a_trigger_that_fires_on_a_new_ticket(
    admin_client, admin, customer, django_capture_on_commit_callbacks
):
    page = admin_client.get(reverse("settings:trigger_new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "&quot;invoice&quot;" in html  # the conditions start from an example
    assert f'<option value="{admin.pk}" selected>' in html  # acting as the admin who writes it

    response = admin_client.post(reverse("settings:trigger_new"), _form(owner=admin.pk))
    trigger = Trigger.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("settings:trigger", args=[trigger.pk])
    assert (trigger.name, trigger.owner, trigger.active, trigger.conditions) == ("Refunds", admin, True, REFUND)
    assert len(_log(trigger, ADDITION)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            actor=customer, subject="A refund please", description="I was charged twice this month."
        )
        other = services.ticket_create(actor=customer, subject="Printer", description="The printer jams on every page.")
    assert set(ticket.tags.values_list("name", flat=True)) == {"refund"}
    assert not other.tags.exists()
    trigger.refresh_from_db()
    assert trigger.fire_count == 1

    listing = admin_client.get(reverse("settings:triggers")).content.decode()
    assert "Refunds" in listing and "Ticket is created" in listing


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("conditions", '{"all": [', "This is not valid JSON: line 1, column 10."),
        ("conditions", json.dumps({"all": [{"field": "colour", "operator": "is", "value": "red"}]}),
         'Condition 1 of &quot;all&quot;: unknown field &quot;colour&quot;.'),
        ("conditions", json.dumps({"any": [{"field": "subject", "operator": "above", "value": "x"}]}),
         "Condition 1 of &quot;any&quot;: &quot;above&quot; does not apply to Subject; use one of: is, is_not, contains, not_contains."),
        ("actions", json.dumps([{"action": "paint"}]), "Action 1: each action is an object with"),
    ],
)  # fmt: skip
def test_mistakes_show_the_engines_messages_and_save_nothing(admin_client, admin, field, text, message):
    response = admin_client.post(reverse("settings:trigger_new"), _form(owner=admin.pk, **{field: text}))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html, html[html.find("errorlist") - 200 : html.find("errorlist") + 600]
    assert Trigger.objects.count() == 0 and LogEntry.objects.count() == 0


def test_every_mistake_is_its_own_line(admin_client, admin):
    conditions = {
        "all": [
            {"field": "colour", "operator": "is", "value": "red"},
            {"field": "status", "operator": "above", "value": "open"},
        ]
    }
    response = admin_client.post(reverse("settings:trigger_new"), _form(conditions=json.dumps(conditions)))
    errors = response.context["form"].errors["conditions"]
    assert errors[0] == 'Condition 1 of "all": unknown field "colour".'
    assert errors[1].startswith('Condition 2 of "all": "above" does not apply to Status')
    assert Trigger.objects.count() == 0


def test_test_shows_the_count_and_the_tickets_without_saving(admin_client, admin, customer):
    refunds = [
        services.ticket_create(actor=customer, subject=f"Refund {n}", description="I was charged twice this month.")
        for n in range(3)
    ]
    services.ticket_create(actor=customer, subject="Printer", description="The printer jams on every page.")
    response = admin_client.post(reverse("settings:trigger_new"), _form(name="", test="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 of the last 1,000 tickets match." in html
    for ticket in refunds:
        assert f'href="{reverse("agent:ticket", args=[ticket.pk])}"' in html
    assert "Printer" not in html
    assert "Give it a name" not in html and "This field is required" not in html  # the name can wait
    assert Trigger.objects.count() == 0 and LogEntry.objects.count() == 0

    bad = _form(test="1", conditions=json.dumps({"all": [{"field": "colour", "operator": "is", "value": 1}]}))
    response = admin_client.post(reverse("settings:trigger_new"), bad)
    assert response.status_code == 400
    assert "unknown field &quot;colour&quot;" in response.content.decode()


def test_reorder_with_move_up_and_down(admin_client, admin):
    first, second, third = (_trigger(admin, name, 0) for name in ("First", "Second", "Third"))
    move = reverse("settings:trigger_move", args=[third.pk])
    assert admin_client.post(move, {"direction": "up"}).status_code == 302
    order = list(Trigger.objects.order_by("position", "id").values_list("name", flat=True))
    assert order == ["First", "Third", "Second"]
    admin_client.post(reverse("settings:trigger_move", args=[first.pk]), {"direction": "down"})
    admin_client.post(reverse("settings:trigger_move", args=[first.pk]), {"direction": "down"})  # at the end
    order = list(Trigger.objects.order_by("position", "id").values_list("name", flat=True))
    assert order == ["Third", "Second", "First"]
    assert list(Trigger.objects.order_by("position").values_list("position", flat=True)) == [1, 2, 3]
    assert _log(second, CHANGE)  # each changed position is in the audit log
    assert admin_client.get(move).status_code == 405  # POST only
    listing = admin_client.get(reverse("settings:triggers")).content.decode()
    assert listing.index("Third") < listing.index("Second") < listing.index("First")


def test_pause_and_activate(admin_client, admin, customer, django_capture_on_commit_callbacks):
    trigger = _trigger(admin, "Refunds", 1)
    response = admin_client.post(reverse("settings:trigger_active", args=[trigger.pk]), {"active": "0"})
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert not trigger.active and _log(trigger, CHANGE)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(actor=customer, subject="Refund", description="I was charged twice this month.")
    assert not ticket.tags.exists()  # a paused trigger does not fire
    admin_client.post(reverse("settings:trigger_active", args=[trigger.pk]), {"active": "1", "back": "rule"})
    trigger.refresh_from_db()
    assert trigger.active


def test_delete_asks_first(admin_client, admin):
    trigger = _trigger(admin, "Refunds", 1)
    url = reverse("settings:trigger_delete", args=[trigger.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Delete “Refunds”?" in page.content.decode()
    assert Trigger.objects.filter(pk=trigger.pk).exists()
    response = admin_client.post(url, {"confirmed": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("settings:triggers")
    assert not Trigger.objects.filter(pk=trigger.pk).exists()
    assert len(_log(trigger, DELETION)) == 1


def test_the_default_automation_cannot_be_deleted(admin_client, admin):
    autoclose = automations.default_autoclose()
    listing = admin_client.get(reverse("settings:automations")).content.decode()
    assert "The desk's default" in listing
    page = admin_client.get(reverse("settings:automation", args=[autoclose.pk])).content.decode()
    refusal = "The desk&#x27;s own automation cannot be deleted; pause it instead."
    assert refusal in page and reverse("settings:automation_delete", args=[autoclose.pk]) not in page
    response = admin_client.post(reverse("settings:automation_delete", args=[autoclose.pk]), {"confirmed": "1"})
    assert response.status_code == 409 and refusal in response.content.decode()
    assert Automation.objects.filter(pk=autoclose.pk).exists()
    # It can be edited and paused, and stays acting as the system.
    page = admin_client.get(reverse("settings:automation", args=[autoclose.pk])).content.decode()
    assert 'name="owner"' not in page
    response = admin_client.post(reverse("settings:automation_active", args=[autoclose.pk]), {"active": "0"})
    autoclose.refresh_from_db()
    assert not autoclose.active and autoclose.owner is None


def test_a_manager_creates_and_tests_an_automation(admin_client, admin, customer):
    services.ticket_create(actor=customer, subject="Printer", description="The printer jams on every page.")
    quiet = {"all": [{"field": "hours_since_updated", "operator": "less_than", "value": 1}]}
    data = {"name": "Fresh", "conditions": json.dumps(quiet), "actions": json.dumps(TAG), "owner": admin.pk}
    tested = admin_client.post(reverse("settings:automation_new"), {**data, "test": "1"})
    assert "1 of the last 1,000 tickets matches." in tested.content.decode()
    assert Automation.objects.count() == 0
    # An automation may not use "current_user" (nobody is looking when it runs): the engine says so.
    me = {"all": [{"field": "assignee", "operator": "is", "value": "current_user"}]}
    refused = admin_client.post(reverse("settings:automation_new"), {**data, "conditions": json.dumps(me)})
    assert refused.status_code == 400 and Automation.objects.count() == 0
    assert refused.context["form"].errors["conditions"]
    response = admin_client.post(reverse("settings:automation_new"), data)
    assert response.status_code == 302
    automation = Automation.objects.get()
    assert (automation.name, automation.owner, automation.conditions) == ("Fresh", admin, quiet)


def test_an_owner_who_may_not_act_is_refused(admin_client, customer):
    response = admin_client.post(reverse("settings:trigger_new"), _form(owner=customer.pk))
    assert response.status_code == 400 and Trigger.objects.count() == 0  # not among the choices


@pytest.mark.parametrize("persona", ["agent", "customer"])
def test_everyone_but_managers_gets_404(client, request, admin, persona):
    trigger = _trigger(admin, "Refunds", 1)
    autoclose = automations.default_autoclose()
    client.force_login(request.getfixturevalue(persona))
    urls = [reverse("settings:triggers"), reverse("settings:trigger_new"), reverse("settings:automations")]
    for name in ("trigger", "trigger_move", "trigger_active", "trigger_delete"):
        urls.append(reverse(f"settings:{name}", args=[trigger.pk]))
    for name in ("automation", "automation_active", "automation_delete"):
        urls.append(reverse(f"settings:{name}", args=[autoclose.pk]))
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {**_form(), "confirmed": "1", "active": "0", "direction": "up"}).status_code == 404
    assert Trigger.objects.get().active and Automation.objects.get().active
    assert Trigger.objects.count() == 1 and LogEntry.objects.count() == 0
