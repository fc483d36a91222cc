"""THE table: every row of API.md × every persona of DESIGN §5 → the status code expected.

Each resource's test module runs its rows (``rows_for("tickets")``); nothing is written out by
hand per persona. Columns: requester (Ada), org member (Bob, Acme shares tickets), other
customer (Eve), agent (all tickets), team agent (Billing, the ticket's team), other-team agent
(Technical), admin, and anonymous. The ticket is Ada's, routed to Billing (see ``support.world``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from tickets import services
from tickets.tests.api.support import PNG, text_file


def by_persona(
    customer, org_member, other_customer, agent, team_agent, other_team_agent, admin, anonymous=401
) -> dict[str, int]:
    return {
        "customer": customer,
        "org_member": org_member,
        "other_customer": other_customer,
        "agent": agent,
        "team_agent": team_agent,
        "other_team_agent": other_team_agent,
        "admin": admin,
        "anonymous": anonymous,
    }


# The DESIGN §5 matrix, as status codes.
SEE = by_persona(200, 200, 404, 200, 200, 404, 200)
REPLY = by_persona(201, 403, 404, 201, 201, 404, 201)
NOTE = by_persona(403, 403, 404, 201, 201, 404, 201)
SOLVE = by_persona(200, 403, 404, 200, 200, 404, 200)
CHANGE = by_persona(403, 403, 404, 200, 200, 404, 200)
DELETE = by_persona(403, 403, 404, 403, 403, 404, 204)
EVERYONE = by_persona(200, 200, 200, 200, 200, 200, 200)
CREATE = by_persona(201, 201, 201, 201, 201, 201, 201)
AGENTS = by_persona(403, 403, 403, 200, 200, 200, 200)
ADMINS_CREATE = by_persona(403, 403, 403, 403, 403, 403, 201)
ADMINS_READ = by_persona(403, 403, 403, 403, 403, 403, 200)


@dataclass(frozen=True)
class Row:
    resource: str
    name: str
    method: str
    path: str  # formatted with ticket, public_attachment, internal_attachment, team, empty_team, field ids
    expected: dict[str, int]
    body: Callable[[dict], dict] | None = None
    multipart: bool = False
    setup: Callable[[dict], None] | None = None  # bring the ticket into the state the row needs
    settings: dict = field(default_factory=dict)  # Django settings for this row (e.g. a small file limit)
    extra: dict = field(default_factory=dict)


def _close(world: dict) -> None:
    admin = world["people"]["admin"]
    services.ticket_change_status(actor=admin, ticket=world["ticket"], status="solved")
    services.ticket_change_status(actor=admin, ticket=world["ticket"], status="closed")


def _held_by_team_agent(world: dict) -> None:
    services.ticket_claim(actor=world["people"]["team_agent"], ticket=world["ticket"])


def _rules(world: dict) -> None:
    from tickets.models import Automation, Trigger

    admin = world["people"]["admin"]
    tag = [{"action": "add_tags", "value": ["vip"]}]
    world["trigger"] = Trigger.objects.create(name="VIP", on="created", actions=tag, owner=admin)
    conditions = {"all": [{"field": "hours_since_created", "operator": "greater_than", "value": 48}]}
    world["automation"] = Automation.objects.create(name="Old", conditions=conditions, actions=tag, owner=admin)


ADMINS_CHANGE = by_persona(403, 403, 403, 403, 403, 403, 200)
ADMINS_DELETE = by_persona(403, 403, 403, 403, 403, 403, 204)
ADMINS_INVALID = by_persona(403, 403, 403, 403, 403, 403, 400)
NEW_TRIGGER = {
    "name": "Refund words",
    "on": "created",
    "conditions": {"any": [{"field": "subject", "operator": "contains", "value": "refund"}]},
    "actions": [{"action": "add_tags", "value": ["refund"]}],
}
NEW_AUTOMATION = {
    "name": "Quiet for a week",
    "conditions": {"all": [{"field": "hours_since_updated", "operator": "greater_than", "value": 168}]},
    "actions": [{"action": "add_tags", "value": ["quiet"]}],
}
BAD_RULE = {"name": "Bad", "on": "created", "conditions": {"all": [{"field": "mood"}]}, "actions": [{"action": "x"}]}


def _rule_rows(noun: str, new: dict) -> list:
    base = f"/api/v1/{noun}s/"
    one = base + "{" + noun + "}/"
    return [
        Row("rules", f"{noun}s", "GET", base, AGENTS, setup=_rules),
        Row("rules", f"create {noun}", "POST", base, ADMINS_CREATE, body=lambda w: dict(new)),
        Row("rules", f"create invalid {noun}", "POST", base, ADMINS_INVALID, body=lambda w: dict(BAD_RULE)),
        Row("rules", noun, "GET", one, AGENTS, setup=_rules),
        Row("rules", f"change {noun}", "PATCH", one, ADMINS_CHANGE, setup=_rules, body=lambda w: {"active": False}),
        Row("rules", f"delete {noun}", "DELETE", one, ADMINS_DELETE, setup=_rules),
    ]


VIEW_SEE = by_persona(403, 403, 403, 404, 200, 404, 200)
VIEW_MANAGE = by_persona(403, 403, 403, 404, 403, 404, 200)


def _team_view(world: dict) -> None:
    """A view the admin shares with Billing (the ticket's team): {view} in the path."""
    from tickets.services import saved_views

    view = saved_views.saved_view_create(
        actor=world["people"]["admin"], name="Billing backlog", scope="team", team=world["team"]
    )
    world.setdefault("ids", {})["view"] = view.pk


NEW_TICKET = {"subject": "Printer on fire", "description": "The office printer is on fire since this morning."}

ROWS: list[Row] = [
    # --- tickets
    Row("tickets", "list", "GET", "/api/v1/tickets/", EVERYONE),
    Row("tickets", "create", "POST", "/api/v1/tickets/", CREATE, body=lambda w: dict(NEW_TICKET)),
    Row(
        "tickets",
        "create with attachment",
        "POST",
        "/api/v1/tickets/",
        CREATE,
        body=lambda w: {**NEW_TICKET, "attachments": [text_file()]},
        multipart=True,
    ),
    Row(
        "tickets",
        "create with agent-only fields",
        "POST",
        "/api/v1/tickets/",
        by_persona(400, 400, 400, 201, 201, 201, 201),
        body=lambda w: {**NEW_TICKET, "channel": "email", "team": w["team"].pk},
    ),
    Row(
        "tickets", "create invalid", "POST", "/api/v1/tickets/", by_persona(*[400] * 7), body=lambda w: {"subject": "x"}
    ),
    Row("tickets", "detail", "GET", "/api/v1/tickets/{ticket}/", SEE),
    Row(
        "tickets", "change priority", "PATCH", "/api/v1/tickets/{ticket}/", CHANGE, body=lambda w: {"priority": "high"}
    ),
    Row(
        "tickets",
        "assign",
        "PATCH",
        "/api/v1/tickets/{ticket}/",
        CHANGE,
        body=lambda w: {"assignee": w["people"]["team_agent"].pk},
    ),
    Row("tickets", "solve", "PATCH", "/api/v1/tickets/{ticket}/", SOLVE, body=lambda w: {"status": "solved"}),
    Row(
        "tickets",
        "set pending (agents only)",
        "PATCH",
        "/api/v1/tickets/{ticket}/",
        by_persona(403, 403, 404, 200, 200, 404, 200),
        body=lambda w: {"status": "pending"},
    ),
    Row(
        "tickets",
        "invalid transition",
        "PATCH",
        "/api/v1/tickets/{ticket}/",
        by_persona(400, 400, 404, 400, 400, 404, 400),
        body=lambda w: {"status": "closed"},
    ),
    Row(
        "tickets",
        "reopen a closed ticket",
        "PATCH",
        "/api/v1/tickets/{ticket}/",
        by_persona(400, 400, 404, 400, 400, 404, 400),
        body=lambda w: {"status": "open"},
        setup=_close,
    ),
    Row("tickets", "delete", "DELETE", "/api/v1/tickets/{ticket}/", DELETE),
    Row("tickets", "replace (no PUT)", "PUT", "/api/v1/tickets/{ticket}/", by_persona(*[405] * 7), body=lambda w: {}),
    Row("tickets", "claim", "POST", "/api/v1/tickets/{ticket}/claim/", CHANGE, body=lambda w: {}),
    Row(
        "tickets",
        "claim a held ticket",
        "POST",
        "/api/v1/tickets/{ticket}/claim/",
        by_persona(403, 403, 404, 409, 200, 404, 409),
        body=lambda w: {},
        setup=_held_by_team_agent,
    ),
    Row(
        "tickets",
        "force-claim a held ticket",
        "POST",
        "/api/v1/tickets/{ticket}/claim/",
        by_persona(403, 403, 404, 409, 200, 404, 200),
        body=lambda w: {"force": True},
        setup=_held_by_team_agent,
    ),
    Row(
        "tickets",
        "bulk",
        "POST",
        "/api/v1/tickets/bulk/",
        by_persona(403, 403, 403, 200, 200, 400, 200),
        body=lambda w: {"ids": [w["ticket"].pk], "changes": {"priority": "urgent", "add_tags": ["vip"]}},
    ),
    Row(
        "tickets",
        "set a custom field",
        "PATCH",
        "/api/v1/tickets/{ticket}/",
        CHANGE,
        body=lambda w: {"custom_fields": {"order_number": "A-1"}},
    ),
    Row(
        "tickets",
        "filter by a custom field",
        "GET",
        "/api/v1/tickets/?cf_order_number=A-1",
        EVERYONE,
    ),
    # --- ticket fields (issue 16): everyone reads what they may see; admins define
    Row("ticket_fields", "list", "GET", "/api/v1/ticket-fields/", EVERYONE),
    Row("ticket_fields", "detail", "GET", "/api/v1/ticket-fields/{field}/", EVERYONE),
    Row(
        "ticket_fields",
        "create",
        "POST",
        "/api/v1/ticket-fields/",
        ADMINS_CREATE,
        body=lambda w: {
            "key": "plan",
            "field_type": "dropdown",
            "label": "Plan",
            "options": [{"value": "gold", "label": "Gold"}],
        },
    ),
    Row(
        "ticket_fields",
        "change",
        "PATCH",
        "/api/v1/ticket-fields/{field}/",
        by_persona(403, 403, 403, 403, 403, 403, 200),
        body=lambda w: {"label": "Order no."},
    ),
    Row(
        "ticket_fields",
        "deactivate",
        "DELETE",
        "/api/v1/ticket-fields/{field}/",
        by_persona(403, 403, 403, 403, 403, 403, 204),
    ),
    # --- messages
    Row("messages", "list", "GET", "/api/v1/tickets/{ticket}/messages/", SEE),
    Row("messages", "reply", "POST", "/api/v1/tickets/{ticket}/messages/", REPLY, body=lambda w: {"body": "Any news?"}),
    Row(
        "messages",
        "reply with a file",
        "POST",
        "/api/v1/tickets/{ticket}/messages/",
        REPLY,
        body=lambda w: {"body": "A picture.", "attachments": [text_file("p.png", PNG)]},
        multipart=True,
    ),
    Row(
        "messages",
        "internal note",
        "POST",
        "/api/v1/tickets/{ticket}/messages/",
        NOTE,
        body=lambda w: {"body": "Checked the logs.", "internal": True},
    ),
    Row(
        "messages",
        "reply and set status",
        "POST",
        "/api/v1/tickets/{ticket}/messages/",
        by_persona(403, 403, 404, 201, 201, 404, 201),
        body=lambda w: {"body": "Waiting for you.", "status": "pending"},
    ),
    Row(
        "messages",
        "reply to a closed ticket",
        "POST",
        "/api/v1/tickets/{ticket}/messages/",
        by_persona(409, 403, 404, 409, 409, 404, 409),
        body=lambda w: {"body": "Hello?"},
        setup=_close,
    ),
    Row(
        "messages",
        "empty reply",
        "POST",
        "/api/v1/tickets/{ticket}/messages/",
        by_persona(400, 403, 404, 400, 400, 404, 400),
        body=lambda w: {"body": ""},
    ),
    # --- attachments
    Row("attachments", "list", "GET", "/api/v1/tickets/{ticket}/attachments/", SEE),
    Row(
        "attachments",
        "upload",
        "POST",
        "/api/v1/tickets/{ticket}/attachments/",
        REPLY,
        body=lambda w: {"file": text_file()},
        multipart=True,
    ),
    Row(
        "attachments",
        "upload an unsupported type",
        "POST",
        "/api/v1/tickets/{ticket}/attachments/",
        by_persona(415, 403, 404, 415, 415, 404, 415),
        body=lambda w: {"file": text_file("page.html", b"<!doctype html><html><script>alert(1)</script></html>")},
        multipart=True,
    ),
    Row(
        "attachments",
        "upload too large",
        "POST",
        "/api/v1/tickets/{ticket}/attachments/",
        by_persona(413, 403, 404, 413, 413, 404, 413),
        body=lambda w: {"file": text_file()},
        multipart=True,
        settings={"HELPDESK_MAX_ATTACHMENT_BYTES": 16},
    ),
    Row("attachments", "download", "GET", "/api/v1/attachments/{public_attachment}/download/", SEE),
    Row(
        "attachments",
        "download from an internal note",
        "GET",
        "/api/v1/attachments/{internal_attachment}/download/",
        by_persona(404, 404, 404, 200, 200, 404, 200),
    ),
    # The world's files are text: every persona's answer is 404 (not an image), asked after the
    # download's question — tickets/tests/test_thumbnails.py covers the images.
    Row(
        "attachments",
        "preview of a document",
        "GET",
        "/api/v1/attachments/{public_attachment}/preview/",
        by_persona(404, 404, 404, 404, 404, 404, 404),
    ),
    # --- events
    Row("events", "list", "GET", "/api/v1/tickets/{ticket}/events/", SEE),
    # --- statistics
    Row("stats", "agent stats", "GET", "/api/v1/stats/agents/", AGENTS),
    Row(
        "stats",
        "agent stats of a team",
        "GET",
        "/api/v1/stats/agents/?team={team}&since=2020-01-01&until=2099-12-31",
        AGENTS,
    ),
    Row(
        "stats", "bad period", "GET", "/api/v1/stats/agents/?since=soon", by_persona(403, 403, 403, 400, 400, 400, 400)
    ),
    Row("stats", "trend", "GET", "/api/v1/stats/trend/?since=2020-01-01&until=2020-12-31", AGENTS),
    # A team's trend is for its members, agents who work every ticket and admins; anyone else is
    # told there is no such team.
    Row(
        "stats",
        "trend of a team",
        "GET",
        "/api/v1/stats/trend/?team={team}&granularity=week",
        by_persona(403, 403, 403, 200, 200, 400, 200),
    ),
    Row(
        "stats",
        "trend, bad granularity",
        "GET",
        "/api/v1/stats/trend/?granularity=hour",
        by_persona(403, 403, 403, 400, 400, 400, 400),
    ),
    # Customer satisfaction (issue 18 §4): a team's figures are for its members, agents who work
    # every ticket and admins.
    Row("stats", "satisfaction", "GET", "/api/v1/stats/satisfaction/?since=2020-01-01&until=2099-12-31", AGENTS),
    Row(
        "stats",
        "satisfaction of a team",
        "GET",
        "/api/v1/stats/satisfaction/?team={team}",
        by_persona(403, 403, 403, 200, 200, 400, 200),
    ),
    Row(
        "stats",
        "satisfaction, bad period",
        "GET",
        "/api/v1/stats/satisfaction/?until=soon",
        by_persona(403, 403, 403, 400, 400, 400, 400),
    ),
    Row("stats", "sla achievement", "GET", "/api/v1/stats/sla/?since=2020-01-01&until=2099-12-31", AGENTS),
    # A team's SLA figures, like its trend: for its members, agents who work every ticket and
    # admins; others hear of no such team.
    Row(
        "stats", "sla of a team", "GET", "/api/v1/stats/sla/?team={team}", by_persona(403, 403, 403, 200, 200, 400, 200)
    ),
    Row(
        "stats",
        "sla, bad period",
        "GET",
        "/api/v1/stats/sla/?until=2020-13-01",
        by_persona(403, 403, 403, 400, 400, 400, 400),
    ),
    # --- views (issue 16): {view} is a view the admin shares with Billing
    Row("views", "list", "GET", "/api/v1/views/", AGENTS),
    Row(
        "views",
        "make a personal view",
        "POST",
        "/api/v1/views/",
        by_persona(403, 403, 403, 201, 201, 201, 201),
        body=lambda w: {
            "name": "Urgent",
            "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]},
        },
    ),
    Row(
        "views",
        "share a view",
        "POST",
        "/api/v1/views/",
        by_persona(403, 403, 403, 403, 403, 403, 201),
        body=lambda w: {"name": "Everyone's", "scope": "everyone"},
    ),
    Row(
        "views",
        "invalid view",
        "POST",
        "/api/v1/views/",
        by_persona(403, 403, 403, 400, 400, 400, 400),
        body=lambda w: {"name": "x", "sort": "up"},
    ),
    Row("views", "a built-in view", "GET", "/api/v1/views/mine/", AGENTS),
    Row("views", "a team's view", "GET", "/api/v1/views/{view}/", VIEW_SEE, setup=lambda w: _team_view(w)),
    Row("views", "its tickets", "GET", "/api/v1/views/{view}/tickets/", VIEW_SEE, setup=lambda w: _team_view(w)),
    Row("views", "its count", "GET", "/api/v1/views/{view}/count/", VIEW_SEE, setup=lambda w: _team_view(w)),
    Row("views", "a built-in's count", "GET", "/api/v1/views/all/count/", AGENTS),
    Row(
        "views",
        "rename a team's view",
        "PATCH",
        "/api/v1/views/{view}/",
        VIEW_MANAGE,
        body=lambda w: {"name": "Renamed"},
        setup=lambda w: _team_view(w),
    ),
    Row(
        "views",
        "delete a team's view",
        "DELETE",
        "/api/v1/views/{view}/",
        by_persona(403, 403, 403, 404, 403, 404, 204),
        setup=lambda w: _team_view(w),
    ),
    Row(
        "views",
        "change a built-in",
        "PATCH",
        "/api/v1/views/mine/",
        by_persona(403, 403, 403, 403, 403, 403, 403),
        body=lambda w: {"name": "Mine"},
    ),
    # --- people
    Row("people", "me", "GET", "/api/v1/me/", EVERYONE),
    Row(
        "people",
        "my language and time zone",
        "PATCH",
        "/api/v1/me/",
        EVERYONE,
        body=lambda w: {"language": "es", "time_zone": "Europe/Madrid"},
    ),
    Row("people", "users", "GET", "/api/v1/users/", AGENTS),
    Row(
        "people",
        "create user",
        "POST",
        "/api/v1/users/",
        ADMINS_CREATE,
        body=lambda w: {"email": "sam@desk.test", "name": "Sam New", "role": "agent"},
    ),
    Row("people", "teams", "GET", "/api/v1/teams/", AGENTS),
    Row("people", "create team", "POST", "/api/v1/teams/", ADMINS_CREATE, body=lambda w: {"name": "Escalations"}),
    Row("people", "team", "GET", "/api/v1/teams/{team}/", AGENTS),
    Row(
        "people",
        "rename team",
        "PATCH",
        "/api/v1/teams/{team}/",
        by_persona(403, 403, 403, 403, 403, 403, 200),
        body=lambda w: {"name": "Billing & invoices"},
    ),
    Row(
        "people",
        "delete empty team",
        "DELETE",
        "/api/v1/teams/{empty_team}/",
        by_persona(403, 403, 403, 403, 403, 403, 204),
    ),
    Row(
        "people",
        "delete team with tickets",
        "DELETE",
        "/api/v1/teams/{team}/",
        by_persona(403, 403, 403, 403, 403, 403, 409),
    ),
    Row("people", "invites", "GET", "/api/v1/invites/", ADMINS_READ),
    Row(
        "people",
        "invite",
        "POST",
        "/api/v1/invites/",
        ADMINS_CREATE,
        body=lambda w: {"email": "newbie@desk.test", "role": "agent", "team": w["team"].pk},
    ),
    # --- triggers and automations (issue 16)
    *_rule_rows("trigger", NEW_TRIGGER),
    *_rule_rows("automation", NEW_AUTOMATION),
]


def _billing_macro(world: dict) -> None:
    """A macro shared with Billing (Tom's team, the ticket's), made by the admin."""
    from tickets.services.macros import macro_create

    world["macro"] = macro_create(
        actor=world["people"]["admin"],
        name="Ask for the invoice number",
        actions=[
            {"action": "add_reply", "value": "Which invoice is it?"},
            {"action": "set_status", "value": "pending"},
        ],
        scope="team",
        team=world["team"],
    )


MACRO = {"name": "Thanks", "actions": [{"action": "add_reply", "value": "Thanks, {{requester.first_name}}!"}]}
# Billing's macro: agents outside Billing do not see it (404); the admin manages it but is in no team.
ROWS += [
    Row("macros", "list", "GET", "/api/v1/macros/", AGENTS, setup=_billing_macro),
    Row("macros", "create personal", "POST", "/api/v1/macros/", by_persona(403, 403, 403, 201, 201, 201, 201),
        body=lambda w: dict(MACRO)),
    Row("macros", "create shared", "POST", "/api/v1/macros/", by_persona(403, 403, 403, 400, 400, 400, 201),
        body=lambda w: {**MACRO, "scope": "everyone"}),
    Row("macros", "detail", "GET", "/api/v1/macros/{macro}/", by_persona(403, 403, 403, 404, 200, 404, 200),
        setup=_billing_macro),
    Row("macros", "rename", "PATCH", "/api/v1/macros/{macro}/", by_persona(403, 403, 403, 404, 403, 404, 200),
        setup=_billing_macro, body=lambda w: {"name": "Invoice number?"}),
    Row("macros", "delete", "DELETE", "/api/v1/macros/{macro}/", by_persona(403, 403, 403, 404, 403, 404, 204),
        setup=_billing_macro),
    Row("macros", "preview", "POST", "/api/v1/macros/{macro}/apply/", by_persona(403, 403, 403, 404, 200, 404, 404),
        setup=_billing_macro, body=lambda w: {"ticket": w["ticket"].pk, "preview": True}),
    Row("macros", "apply", "POST", "/api/v1/macros/{macro}/apply/", by_persona(403, 403, 403, 404, 200, 404, 404),
        setup=_billing_macro, body=lambda w: {"ticket": w["ticket"].pk}),
]  # fmt: skip


# --- SLA schedules and policies (tickets.sla.api): agents read, admins change.
def _sla(world: dict) -> None:
    from tickets.tests.sla.support import policy, weekday_schedule

    default = weekday_schedule("Office")
    spare = weekday_schedule("Spare", default=False)
    world["sla_ids"] = {"schedule": default.pk, "spare_schedule": spare.pk, "sla_policy": policy(schedule=default).pk}


SLA_SCHEDULE = {
    "name": "Night shift",
    "time_zone": "UTC",
    "intervals": [{"weekday": 0, "start": "22:00", "end": "23:59"}],
}
ADMINS_CHANGE = by_persona(403, 403, 403, 403, 403, 403, 200)
ROWS += [
    Row("sla", "schedules", "GET", "/api/v1/schedules/", AGENTS),
    Row("sla", "create schedule", "POST", "/api/v1/schedules/", ADMINS_CREATE, body=lambda w: dict(SLA_SCHEDULE)),
    Row("sla", "schedule", "GET", "/api/v1/schedules/{schedule}/", AGENTS, setup=_sla),
    Row(
        "sla",
        "change schedule",
        "PATCH",
        "/api/v1/schedules/{schedule}/",
        ADMINS_CHANGE,
        setup=_sla,
        body=lambda w: {"time_zone": "Europe/Lisbon"},
    ),
    Row(
        "sla",
        "delete unused schedule",
        "DELETE",
        "/api/v1/schedules/{spare_schedule}/",
        by_persona(403, 403, 403, 403, 403, 403, 204),
        setup=_sla,
    ),
    Row("sla", "policies", "GET", "/api/v1/sla-policies/", AGENTS),
    Row("sla", "create policy", "POST", "/api/v1/sla-policies/", ADMINS_CREATE, body=lambda w: {"name": "Gold"}),
    Row("sla", "policy", "GET", "/api/v1/sla-policies/{sla_policy}/", AGENTS, setup=_sla),
    Row(
        "sla",
        "change policy",
        "PATCH",
        "/api/v1/sla-policies/{sla_policy}/",
        ADMINS_CHANGE,
        setup=_sla,
        body=lambda w: {"position": 3},
    ),
    Row(
        "sla",
        "delete policy",
        "DELETE",
        "/api/v1/sla-policies/{sla_policy}/",
        by_persona(403, 403, 403, 403, 403, 403, 204),
        setup=_sla,
    ),
]


# --- outgoing webhooks (tickets.webhooks.api): admins only, 403 for everyone else.
def _webhook(world: dict) -> None:
    from tickets.tests.hostile import webhook_world

    endpoint, delivery = webhook_world()  # on an address the SSRF guard refuses: nothing is sent
    world.setdefault("ids", {}).update(webhook=endpoint.pk, webhook_delivery=delivery.pk)


WEBHOOK = {"name": "CRM", "url": "https://hooks.example.com/in", "events": ["ticket.created"]}
ROWS += [
    Row("webhooks", "list", "GET", "/api/v1/webhooks/", ADMINS_READ),
    Row("webhooks", "create", "POST", "/api/v1/webhooks/", ADMINS_CREATE, body=lambda w: dict(WEBHOOK)),
    Row("webhooks", "detail", "GET", "/api/v1/webhooks/{webhook}/", ADMINS_READ, setup=_webhook),
    Row("webhooks", "change", "PATCH", "/api/v1/webhooks/{webhook}/", ADMINS_CHANGE, setup=_webhook,
        body=lambda w: {"active": False}),
    Row("webhooks", "delete", "DELETE", "/api/v1/webhooks/{webhook}/", by_persona(403, 403, 403, 403, 403, 403, 204),
        setup=_webhook),
    Row("webhooks", "deliveries", "GET", "/api/v1/webhooks/{webhook}/deliveries/", ADMINS_READ, setup=_webhook),
    Row("webhooks", "redeliver", "POST", "/api/v1/webhooks/{webhook}/deliveries/{webhook_delivery}/redeliver/",
        by_persona(403, 403, 403, 403, 403, 403, 202), setup=_webhook),
    Row("webhooks", "test", "POST", "/api/v1/webhooks/{webhook}/test/", ADMINS_READ, setup=_webhook),
    Row("webhooks", "new secret", "POST", "/api/v1/webhooks/{webhook}/secret/", ADMINS_READ, setup=_webhook),
]  # fmt: skip


def rows(resource: str) -> list[Row]:
    """The rows of ``resource``."""
    return [row for row in ROWS if row.resource == resource]


def check(row: Row, world: dict, as_user, *, not_found: dict | None = None) -> None:
    """Send the row's request as every persona of the row, each from the same starting point, and
    fail naming every persona whose status differs from the table (with the start of the answer).

    One world serves the whole row: each persona's turn runs in a savepoint that is rolled back
    after it, on a deep copy of the world's objects and with an empty cache (throttle counters,
    cached counts), so a persona's write (a PATCH, a DELETE) is gone before the next one is sent.
    With ``not_found``, a 404 must also carry exactly that body (it tells nothing about the row)."""
    from django.core.cache import cache
    from django.db import transaction

    got: dict[str, object] = {}
    answers: dict[str, bytes] = {}
    settings = world["settings"]
    for persona in row.expected:
        cache.clear()
        with transaction.atomic():
            fresh = {**copy.deepcopy({k: v for k, v in world.items() if k != "settings"}), "settings": settings}
            response = run(row, persona, fresh, as_user)
            transaction.set_rollback(True)
        got[persona] = response.status_code
        answers[persona] = b"(a file)" if response.streaming else response.content[:300]
        if response.status_code == 404 and not_found is not None and response.json() != not_found:
            got[persona] = (404, response.json())
    cache.clear()
    wrong = {persona: (status, answers[persona]) for persona, status in got.items() if status != row.expected[persona]}
    assert got == row.expected, f"{row.method} {row.path} ({row.name}): {wrong}"


def case_id(value) -> str:
    if isinstance(value, Row):
        return f"{value.method} {value.path} ({value.name})"
    return str(value)


def run(row: Row, persona: str, world: dict, as_user):
    """Bring the world into the row's state, send the request as ``persona``; return the response."""
    for name, value in row.settings.items():
        setattr(world["settings"], name, value)
    if row.setup is not None:
        row.setup(world)
    ids = {
        "ticket": world["ticket"].pk,
        "public_attachment": world["public_attachment"].pk,
        "internal_attachment": world["internal_attachment"].pk,
        "team": world["team"].pk,
        "empty_team": world["empty_team"].pk,
        **{name: world[name].pk for name in ("trigger", "automation") if name in world},
        "macro": world["macro"].pk if "macro" in world else 0,
        **world.get("ids", {}),  # what a row's setup made (e.g. a saved view)
        "field": world["field"].pk,
        **world.get("sla_ids", {}),
    }
    client = as_user(world["people"][persona])
    body = row.body(world) if row.body else None
    send = getattr(client, row.method.lower())
    if body is None:
        return send(row.path.format(**ids))
    return send(row.path.format(**ids), body, format="multipart" if row.multipart else "json")
