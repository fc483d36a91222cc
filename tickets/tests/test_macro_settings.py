"""Settings → Macros (desk managers: the shared macros) and My macros (an agent's own): written in
the product's pages, checked by the rules engine (its messages shown as they are), previewed on
a ticket without saving, audit-logged when shared — and nobody reaches a macro that is not theirs."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tickets.models import Macro, MacroScope, Message, Ticket, TicketEvent
from tickets.services import macros as macro_services

pytestmark = pytest.mark.django_db

ACTIONS = [
    {"action": "add_reply", "value": "Hi {{requester.first_name}}, your invoice is attached."},
    {"action": "set_status", "value": "pending"},
    {"action": "add_tags", "value": ["invoice-sent"]},
]


def _form(**overrides):
    data = {"name": "Invoice sent", "description": "Send the invoice", "scope": MacroScope.EVERYONE,
            "team": "", "actions": json.dumps(ACTIONS), "preview_ticket": ""}  # fmt: skip
    return {**data, **overrides}


def _log(obj, action: int) -> list[LogEntry]:
    ctype = ContentType.objects.get_for_model(Macro)
    return list(LogEntry.objects.filter(content_type=ctype, object_id=str(obj.pk), action_flag=action))


def _values(entry: LogEntry) -> dict[str, list[str]]:
    return {label: [old, new] for label, old, new in json.loads(entry.change_message)[0]["values"]}


def test_a_manager_creates_edits_deactivates_and_deletes_a_shared_macro(client, admin, billing_team):
    client.force_login(admin)
    page = client.get(reverse("settings:macro_new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "{{requester.first_name}}" in html and "add_reply" in html  # the example and the reference

    response = client.post(reverse("settings:macro_new"), _form(scope=MacroScope.TEAM, team=billing_team.pk))
    macro = Macro.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("settings:macro", args=[macro.pk])
    assert (macro.scope, macro.team, macro.owner, macro.actions) == (MacroScope.TEAM, billing_team, None, ACTIONS)
    [added] = _log(macro, ADDITION)
    assert added.user == admin and _values(added)["Shared with"] == ["", "One team"]

    listing = client.get(reverse("settings:macros")).content.decode()
    assert "Invoice sent" in listing and billing_team.name in listing and "Never" in listing

    response = client.post(reverse("settings:macro", args=[macro.pk]), _form(name="Invoice re-sent"))
    assert response.status_code == 302
    macro.refresh_from_db()
    assert (macro.name, macro.scope, macro.team) == ("Invoice re-sent", MacroScope.EVERYONE, None)
    [changed] = _log(macro, CHANGE)
    assert _values(changed)["Name"] == ["Invoice sent", "Invoice re-sent"]

    assert client.post(reverse("settings:macro_active", args=[macro.pk]), {"active": "0"}).status_code == 302
    macro.refresh_from_db()
    assert not macro.active and len(_log(macro, CHANGE)) == 2

    confirm = client.get(reverse("settings:macro_delete", args=[macro.pk]))
    assert confirm.status_code == 200 and Macro.objects.filter(pk=macro.pk).exists()  # GET only asks
    response = client.post(reverse("settings:macro_delete", args=[macro.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("settings:macros")
    assert not Macro.objects.exists()
    [deleted] = _log(macro, DELETION)
    assert deleted.user == admin and deleted.object_repr == "Invoice re-sent"


def test_bad_actions_show_the_engines_words_and_save_nothing(client, admin):
    client.force_login(admin)
    bad = [{"action": "set_status", "value": "on-fire"}, {"action": "explode", "value": 1}]
    response = client.post(reverse("settings:macro_new"), _form(actions=json.dumps(bad)))
    assert response.status_code == 400
    errors = response.context["form"].errors["actions"]
    with pytest.raises(Exception) as caught:
        from tickets.rules import actions as rule_actions

        rule_actions.parse(bad)
    assert errors == caught.value.messages  # the engine's own words, all of them
    not_json = client.post(reverse("settings:macro_new"), _form(actions="[{"))
    assert not_json.status_code == 400 and "not valid JSON" in not_json.content.decode()
    no_team = client.post(reverse("settings:macro_new"), _form(scope=MacroScope.TEAM))
    assert no_team.status_code == 400 and "team" in no_team.context["form"].errors
    assert not Macro.objects.exists() and not LogEntry.objects.exists()


def test_preview_shows_the_changes_on_a_ticket_and_writes_nothing(client, admin, ticket):
    client.force_login(admin)
    before = (Ticket.objects.get(pk=ticket.pk).status, Message.objects.count(), TicketEvent.objects.count())
    response = client.post(reverse("settings:macro_new"), _form(name="", preview="1", preview_ticket=ticket.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{ticket.pk}" in html and "invoice-sent" in html and "Hi Ada, your invoice is attached." in html
    after = (Ticket.objects.get(pk=ticket.pk).status, Message.objects.count(), TicketEvent.objects.count())
    assert after == before and not Macro.objects.exists() and not LogEntry.objects.exists()

    missing = client.post(reverse("settings:macro_new"), _form(preview="1", preview_ticket=ticket.pk + 1000))
    assert missing.status_code == 400 and "preview_ticket" in missing.context["form"].errors


def test_an_agent_manages_their_own_macros_in_my_macros(client, agent, admin):
    shared = macro_services.macro_create(actor=admin, name="Everyone's", actions=ACTIONS, scope=MacroScope.EVERYONE)
    client.force_login(agent)
    assert client.get(reverse("agent:my_macros")).status_code == 200
    page = client.get(reverse("agent:my_macro_new"))
    assert page.status_code == 200 and 'name="scope"' not in page.content.decode()

    # A scope in the post is ignored: My macros are personal.
    response = client.post(reverse("agent:my_macro_new"), _form(scope=MacroScope.EVERYONE))
    macro = Macro.objects.get(name="Invoice sent")
    assert response.status_code == 302 and response["Location"] == reverse("agent:my_macro", args=[macro.pk])
    assert (macro.scope, macro.owner) == (MacroScope.PERSONAL, agent)
    listing = client.get(reverse("agent:my_macros")).content.decode()
    assert "Invoice sent" in listing and "Everyone&#x27;s" not in listing and "Everyone's" not in listing

    assert client.post(reverse("agent:my_macro", args=[macro.pk]), _form(name="Mine")).status_code == 302
    macro.refresh_from_db()
    assert macro.name == "Mine"
    # The shared macro is not the agent's to edit here (or anywhere).
    assert client.get(reverse("agent:my_macro", args=[shared.pk])).status_code == 404
    assert client.post(reverse("agent:my_macro_delete", args=[macro.pk])).status_code == 302
    assert list(Macro.objects.all()) == [shared]
    assert not LogEntry.objects.exclude(object_id=str(shared.pk)).exists()  # personal macros are not audited


def test_agents_never_reach_shared_settings_or_someone_elses_macro(client, agent, team_agent, admin):
    theirs = macro_services.macro_create(actor=team_agent, name="Theirs", actions=ACTIONS)
    shared = macro_services.macro_create(actor=admin, name="Shared", actions=ACTIONS, scope=MacroScope.EVERYONE)
    client.force_login(agent)
    for url in (reverse("settings:macros"), reverse("settings:macro_new"), reverse("settings:macro", args=[shared.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("settings:macro_delete", args=[shared.pk])).status_code == 404
    for name in ("agent:my_macro", "agent:my_macro_delete"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=[theirs.pk]), _form()).status_code == 404
    assert client.post(reverse("agent:my_macro_active", args=[theirs.pk]), {"active": "0"}).status_code == 404
    assert "Theirs" not in client.get(reverse("agent:my_macros")).content.decode()
    theirs.refresh_from_db()
    assert (theirs.name, theirs.active) == ("Theirs", True) and Macro.objects.count() == 2
    # An admin does not see an agent's personal macro in the shared settings either.
    client.force_login(admin)
    assert client.get(reverse("settings:macro", args=[theirs.pk])).status_code == 404


def test_customers_get_404_everywhere(client, customer, agent):
    mine = macro_services.macro_create(actor=agent, name="Mine", actions=ACTIONS)
    client.force_login(customer)
    for url in (reverse("agent:my_macros"), reverse("agent:my_macro_new"), reverse("agent:my_macro", args=[mine.pk]),
                reverse("settings:macros"), reverse("settings:macro_new")):  # fmt: skip
        assert client.get(url).status_code == 404
    assert client.post(reverse("agent:my_macro_new"), _form()).status_code == 404
    assert Macro.objects.count() == 1
