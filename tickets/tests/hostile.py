"""The hostile-input fuzz table (issue 13 §4): every URL route of the site, what it takes, and the
hostile values sent to it. Used by the ``test_hostile_input_*.py`` modules.

Every route the resolver knows must be in ``ROUTES`` (or in ``EXEMPT`` with a reason), so a new
page or endpoint is fuzzed the day it is added. Each route says which query parameters it reads,
which path parameters it has (with a valid value, so the query and body are fuzzed against a real
record), and which form fields or JSON body it takes by POST (or PATCH/DELETE for the API).

The values are one representative per kind of hostile input rather than a cartesian product:
every query parameter gets every value; bodies get every value in every field once.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.signup import signup_token

# --- values -----------------------------------------------------------------------------------


def _cursor(keys: list[str], values: list[Any]) -> str:
    payload = json.dumps({"d": "next", "k": keys, "v": values}).encode()
    return quote(base64.urlsafe_b64encode(payload).decode().rstrip("="))


LONG = "x" * 10_000
RLO = "Invoice \u202egpj.exe\u202c"
# Values of a query parameter, each as the percent-encoded text that goes after "name=". Every
# value is sent in every known parameter of every route (and in a parameter no route reads).
QUERY_VALUES: dict[str, str] = {
    "nul": quote("a\x00b"),
    "nul-only": "%00",
    "huge": "99999999999999999999",
    "huger": "9" * 5000,  # past Python's 4,300-digit int() limit
    "negative": "-1",
    "zero": "0",
    "superscript": "%C2%B2",  # "²".isdigit() is True, int("²") a ValueError
    "float": "1e309",
    "word": "abc",
    "long": LONG,
    "bad-utf8": "%ff%fe",
    "surrogate": "%ed%a0%80",  # a lone surrogate, UTF-8-encoded (invalid UTF-8)
    "rlo": quote(RLO),
    "sql": quote("' OR 1=1 --"),
    "traversal": quote("../../etc/passwd"),
    "empty": "",
    "json": quote('{"a": [1, null], "b": {"$gt": ""}}'),
    # Cursors of the right shape (helpdesk.keyset) with hostile edge values.
    **{
        f"cursor-{label}": _cursor(keys, values)
        for label, keys, values in (
            ("nulls", ["updated_at", "id"], [None, None]),
            ("nul", ["updated_at", "id"], ["2026-01-01T00:00:00+00:00\x00", "1\x00"]),
            ("huge", ["id"], [99999999999999999999]),
            ("far", ["created_at", "id"], ["9999-12-31T23:59:59+14:00", -1]),
            ("types", ["status_rank", "id"], [{"a": 1}, [1]]),
        )
    },
    "date": "2026-02-30T25:61:00%2B99:00",
}
# The values sent in each parameter on its own (the others go into all parameters at once): the
# kinds that take a different path through a parser.
SINGLE = {"nul", "huge", "huger", "superscript", "word", "long", "bad-utf8", "empty", "json", "date", "cursor-nul"}
# Sent instead of "name=value": the parameter twice, and a bare name.
QUERY_SHAPES: dict[str, Callable[[str], str]] = {
    "array": lambda name: f"{name}=1&{name}=2",
    "array-nul": lambda name: f"{name}=1&{name}=%00",
    "bare": lambda name: name,
    "nul-name": lambda name: f"{name}%00=1",
}
# Values of a path parameter (percent-encoded path segments).
PATH_VALUES: dict[str, str] = {
    "zero": "0",
    "huge": "99999999999999999999",
    "huger": "9" * 5000,
    "negative": "-1",
    "superscript": "%C2%B2",
    "word": "abc",
    "nul": "1%00",
    "bad-utf8": "%ff%fe",
    "rlo": quote(RLO),
    "traversal": "..%2F..%2Fetc%2Fpasswd",
    "sql": quote("1' OR 1=1 --"),
    "long": LONG,
}
# Values of a form field (sent urlencoded by the test client).
FORM_VALUES: dict[str, Any] = {
    "nul": "a\x00b",
    "huge": "99999999999999999999",
    "negative": "-1",
    "word": "abc",
    "long": LONG,
    "rlo": RLO,
    "sql": "' OR 1=1 --",
    "traversal": "../../etc/passwd",
    "empty": "",
    "array": ["1", "2"],
    "json": '{"a": [1, null]}',
}
# Values of a JSON field: wrong types, NUL bytes, lone surrogates, out-of-range numbers, nesting.
JSON_VALUES: dict[str, Any] = {
    "nul": "a\x00b",
    "lone-surrogate": "a\ud800b",
    "null": None,
    "true": True,
    "huge": 99999999999999999999,
    "negative": -1,
    "float": 1.5,
    "long": LONG,
    "rlo": RLO,
    "list": ["a\x00", None, 1],
    "object": {"a\x00": "b", "n": {"m": [None]}},
    "empty": "",
    "nested": json.loads("[" * 50 + "]" * 50),
}
DEEP = "[" * 100_000 + "]" * 100_000
# Whole JSON bodies, as raw text.
JSON_BODIES: dict[str, str] = {
    "invalid": '{"subject": ',
    "deep": DEEP,
    "deep-object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "array": "[1, 2]",
    "string": '"\\u0000"',
    "null": "null",
    "nul-key": '{"\\u0000": 1}',
    "nul-value": '{"subject": "\\u0000"}',
    "surrogate-key": '{"\\ud800": 1}',
    "raw-nul": '{"subject": "a\x00b"}',
    "nan": '{"subject": NaN}',
    "bigint": '{"id": ' + "9" * 5000 + "}",
    "empty": "",
}

# --- the table ----------------------------------------------------------------------------------

World = dict[str, Any]


@dataclass(frozen=True)
class Route:
    """What a route takes. ``path`` gives a valid value for each path parameter, from the world."""

    query: tuple[str, ...] = ()
    path: dict[str, Callable[[World], Any]] = field(default_factory=dict)
    form: dict[str, Any] | None = None  # POSTed form fields (a valid-looking baseline)
    json: dict[str, Any] | None = None  # a JSON body (baseline), sent with each of json_methods
    json_methods: tuple[str, ...] = ("post",)
    get: bool = True
    signs_out: bool = False  # a POST ends the session: sign in again before the next request
    personas: tuple[str, ...] | None = None  # who is sent (default: everyone in PERSONAS)
    fan_out: bool = True  # each value in each parameter on its own (else: all parameters at once)
    fixed: tuple[str, ...] = ()  # form fields sent only with their baseline value (see the route)


def _pk(key: str) -> Callable[[World], Any]:
    return lambda world: world[key].pk


def _ticket(world: World) -> Any:
    return world["ticket"].pk


def _person(persona: str) -> Callable[[World], Any]:
    return lambda world: world["people"][persona].pk


def _organization(world: World) -> Any:
    return world["people"]["customer"].organization_id


LIST = ("cursor", "page_size", "ordering")
TICKET_FILTERS = (
    "status", "priority", "assignee", "team", "requester", "organization", "tag", "category", "channel", "q",
    "created_after", "created_before", "updated_after", "updated_before", "field", "value", "cf_order_number",
)  # fmt: skip
PK_TICKET: dict[str, Callable[[World], Any]] = {"pk": _ticket}
ZD_CURSOR = ("page[size]", "page[after]", "page[before]", "sort")
ZD_TICKET = {
    "ticket": {"subject": "Printer", "priority": "normal", "tags": ["a"], "comment": {"body": "It jams on every page."},
               "custom_fields": [{"id": 1, "value": "AB-1234"}], "requester": {"email": "x@example.com", "name": "X"}},
}  # fmt: skip
ZD_UPDATE = {
    "ticket": {"status": "open", "priority": "high", "tags": ["a"], "assignee_id": None, "group_id": None,
               "comment": {"body": "Hello", "public": False, "uploads": []}},
}  # fmt: skip
MACRO_JSON = {
    "name": "Tag it", "description": "d", "actions": [{"action": "add_tags", "value": ["a"]}], "scope": "personal",
    "team": None, "active": True, "position": 0,
}  # fmt: skip
MAILBOX_FORM = {
    "address": "sales@desk.test", "team": "1", "default_priority": "normal", "default_tags": "sales",
    "allow_unknown_senders": "on", "add_cc_as_collaborators": "on", "active": "on", "imap_host": "imap.desk.test",
    "imap_port": "993", "imap_security": "ssl", "imap_username": "sales", "imap_password": "secret",
}  # fmt: skip
MAILGUN_FORM = {"timestamp": "1", "token": "t", "signature": "s", "recipient": "support@localhost", "body-mime": "x"}

TRIGGER_JSON = {
    "name": "Refunds", "on": "created", "position": 1, "active": True,
    "conditions": {"any": [{"field": "subject", "operator": "contains", "value": "refund"}]},
    "actions": [{"action": "add_tags", "value": ["refund"]}],
}  # fmt: skip
AUTOMATION_JSON = {
    "name": "Quiet", "position": 1, "active": True,
    "conditions": {"all": [{"field": "hours_since_updated", "operator": "greater_than", "value": 168}]},
    "actions": [{"action": "add_tags", "value": ["quiet"]}],
}  # fmt: skip
VIEW_FORM = {
    "name": "Urgent", "scope": "personal", "team": "", "sort": "-updated", "columns": "status", "action": "test",
    "conditions": '{"all": [{"field": "priority", "operator": "is", "value": "urgent"}]}',
}  # fmt: skip
TICKET_FIELD_FORM = {
    "key": "size", "field_type": "dropdown", "label": "Size", "description": "d", "options": "big | Big\nsmall | Small",
    "pattern": "", "visible_to_customers": "on", "required_in_portal": "on", "required_on_solve": "on", "teams": "1",
    "position": "3", "active": "on",
}  # fmt: skip
SCHEDULE_FORM = {
    "name": "Office", "time_zone": "Europe/Madrid", "is_default": "on", "country": "ES", "subdivision": "MD",
    "holidays": "2026-12-24 Christmas Eve", "day_0": "09:00-12:30, 13:30-18:00", "day_4": "09:00-15:00",
}  # fmt: skip
POLICY_FORM = {
    "name": "Standard", "description": "d", "position": "1", "active": "on", "schedule": "",
    "conditions": '{"all": [{"field": "priority", "operator": "is", "value": "high"}]}',
    "target_first_reply_time_high": "60", "business_first_reply_time": "on",
}  # fmt: skip
SCHEDULE_JSON = {
    "name": "Office", "time_zone": "Europe/Madrid", "country": "ES", "subdivision": "",
    "intervals": [{"weekday": 0, "start": "09:00", "end": "17:00"}], "holidays": [{"date": "2026-12-24", "name": "x"}],
}  # fmt: skip
POLICY_JSON = {
    "name": "Gold", "position": 1, "conditions": {"all": []}, "schedule": None,
    "targets": [{"priority": "high", "metric": "first_reply_time", "minutes": 60, "business_hours": True}],
}  # fmt: skip

TRIGGER_FORM = {
    "name": "Refunds", "description": "", "on": "created", "owner": "1",
    "conditions": json.dumps(TRIGGER_JSON["conditions"]), "actions": json.dumps(TRIGGER_JSON["actions"]),
}  # fmt: skip
MACRO_FORM = {
    "name": "Ask for the model", "description": "", "scope": "everyone", "team": "", "preview_ticket": "",
    "actions": json.dumps([{"action": "add_reply", "value": "Which model, {{requester.first_name}}?"}]),
}  # fmt: skip
AUTOMATION_FORM = {
    "name": "Quiet", "description": "", "owner": "1",
    "conditions": json.dumps(AUTOMATION_JSON["conditions"]), "actions": json.dumps(AUTOMATION_JSON["actions"]),
}  # fmt: skip

WEBHOOK_FORM = {"name": "CRM", "url": "https://hooks.example.com/in", "events": "ticket.created", "internal": ""}
WEBHOOK_JSON = {"name": "CRM", "url": "https://hooks.example.com/in", "events": ["ticket.created"], "internal": False}
WEBHOOK = {"pk": _pk("webhook")}
WEBHOOK_DELIVERY = {"pk": _pk("webhook"), "delivery_id": _pk("webhook_delivery")}

ROUTES: dict[str, Route] = {
    "home": Route(),
    "health": Route(),
    "ready": Route(),
    "metrics": Route(),
    "favicon": Route(),
    # Accounts (the views belong to the authentication work; only their input is fuzzed here).
    "accounts:login": Route(query=("next",), form={"username": "ada@acme.test", "password": "x", "next": "/"}),
    "accounts:logout": Route(get=False, form={"next": "/"}, signs_out=True),
    "accounts:invite_accept": Route(
        path={"token": lambda w: w["invite"].token}, form={"name": "New Agent", "password": "x", "password_again": "x"}
    ),
    "accounts:signup": Route(form={"email": "new@example.com", "name": "New"}),
    "accounts:signup_confirm": Route(
        path={"token": lambda w: w["signup"]}, form={"name": "New Person", "password": "x", "password_again": "x"}
    ),
    "accounts:profile": Route(),
    "accounts:profile_name": Route(get=False, form={"name": "Ada Customer"}),
    "accounts:profile_locale": Route(get=False, form={"language": "es", "time_zone": "Europe/Madrid"}),
    "accounts:password_change": Route(
        get=False, form={"old_password": "x", "new_password1": "y", "new_password2": "y"}
    ),
    "accounts:token_regenerate": Route(get=False, form={}),
    "accounts:notification_preferences": Route(get=False, form={"notify_team_tickets": "1"}),
    "accounts:profile_export": Route(get=False, form={}),
    "accounts:password_reset": Route(form={"email": "ada@acme.test"}),
    "accounts:password_reset_done": Route(),
    "accounts:password_reset_confirm": Route(
        path={"uidb64": lambda w: w["reset"][0], "token": lambda w: w["reset"][1]},
        form={"new_password1": "x", "new_password2": "x"},
    ),
    "accounts:password_reset_complete": Route(),
    # Customer portal.
    "portal:my_tickets": Route(query=("status", "q", "cursor")),
    "portal:new_ticket": Route(
        query=("follow_up",),
        form={
            "subject": "Printer",
            "description": "The printer jams on every single page.",
            "priority": "normal",
            "category": "",
            "follow_up_of": "",
        },
    ),  # fmt: skip
    "portal:ticket": Route(path=PK_TICKET),
    "portal:reply": Route(path=PK_TICKET, get=False, form={"body": "Thanks", "seen_event_id": ""}),
    "portal:solve": Route(path=PK_TICKET, get=False, form={}),
    "portal:reopen": Route(path=PK_TICKET, get=False, form={}),
    # Agent workspace.
    "agent:queue": Route(query=("view", *TICKET_FILTERS, "sort", "cursor")),
    "agent:bulk": Route(
        get=False,
        form={
            "action": "assign",
            "tickets": "1",
            "assignee": "",
            "team": "",
            "status": "",
            "priority": "",
            "tags": "",
            "next": "/agent/",
        },
    ),  # fmt: skip
    "agent:stats": Route(query=("period", "since", "until", "team", "granularity")),
    "agent:stats_export": Route(query=("table", "period", "since", "until", "team", "granularity")),
    "agent:stats_sla": Route(query=("period", "since", "until", "team")),
    "agent:stats_sla_export": Route(query=("period", "since", "until", "team")),
    "agent:counts": Route(),
    "agent:view_new": Route(query=("view", *TICKET_FILTERS, "sort"), form=VIEW_FORM),
    "agent:view_edit": Route(path={"pk": _pk("saved_view")}, form=VIEW_FORM),
    "agent:view_delete": Route(path={"pk": _pk("saved_view")}, get=False, form={}),
    "agent:ticket": Route(path=PK_TICKET),
    "agent:message": Route(
        path=PK_TICKET, get=False, form={"mode": "reply", "body": "Hello", "status": "", "seen_event_id": ""}
    ),
    "agent:message_original": Route(path={"pk": _ticket, "message_id": lambda w: w["emailed"].pk}),
    "agent:fields": Route(
        path=PK_TICKET,
        get=False,
        form={"status": "open", "priority": "high", "assignee": "", "team": "", "category": "", "tags": "a, b"},
    ),
    "agent:custom_fields": Route(
        path=PK_TICKET,
        get=False,
        form={"cf_order_number": "AB-1234", "cf_plan": "gold", "cf_seats": "3", "cf_renewal": "2027-01-31"},
    ),
    "agent:claim": Route(path=PK_TICKET, get=False, form={"force": "1"}),
    "agent:release": Route(path=PK_TICKET, get=False, form={"force": "1"}),  # fields it ignores
    "agent:collaborator_add": Route(path=PK_TICKET, get=False, form={"email": "new@example.com", "name": "New"}),
    "agent:collaborator_remove": Route(
        path={"pk": _ticket, "user_id": lambda w: w["collaborator"].pk}, get=False, form={}
    ),
    "agent:macro_preview": Route(path={"pk": _ticket, "macro_id": _pk("macro")}, query=("fragment",)),
    "agent:macro_apply": Route(path={"pk": _ticket, "macro_id": _pk("macro")}, get=False, form={"reply": "Hello"}),
    "agent:macro_bulk": Route(get=False, form={"macro": "1", "ids": "1", "next": "/agent/"}),
    "agent:my_macros": Route(),
    "agent:my_macro_new": Route(form=MACRO_FORM),
    "agent:my_macro": Route(path={"pk": _pk("my_macro")}, form={**MACRO_FORM, "preview": "1", "preview_ticket": "1"}),
    "agent:my_macro_active": Route(path={"pk": _pk("my_macro")}, get=False, form={"active": "0", "back": "macro"}),
    "agent:my_macro_delete": Route(path={"pk": _pk("my_macro")}, form={"confirmed": "1"}),
    "attachments:download": Route(path={"pk": _pk("attachment")}),
    "attachments:preview": Route(path={"pk": _pk("attachment")}),
    "live:events": Route(query=("after", "ticket")),
    "live:presence": Route(path=PK_TICKET, get=False, form={"typing": "1", "leave": "0"}),
    "notifications:list": Route(query=("before",)),
    "notifications:open": Route(path={"pk": _pk("notification")}, get=False, form={"next": "/"}),
    "notifications:read_all": Route(get=False, form={"next": "/"}),
    # The satisfaction survey (the signed token is the credential; GET confirms, POST records).
    "satisfaction:rate": Route(
        path={"token": lambda w: w["survey"]},
        query=("score", "saved"),
        form={"score": "good", "comment": "Quick and kind.", "from": "portal"},
    ),
    # The settings area (admins; everyone else gets a 404 at the door).
    "settings:index": Route(),
    "settings:people": Route(query=("q", "role", "state", "organization", "page")),
    "settings:person": Route(
        path={"pk": _person("agent")},
        form={
            "name": "Alice",
            "role": "agent",
            "ticket_scope": "all",
            "organization": "",
            "teams": "",
            "confirmed": "1",
        },
    ),
    "settings:person_active": Route(path={"pk": _person("agent")}, form={"confirmed": "1"}),
    "settings:person_export": Route(path={"pk": _person("customer")}, get=False, form={}),
    "settings:person_erase": Route(path={"pk": _person("customer")}, form={"confirmed": "1", "erase_messages": "1"}),
    "settings:retention": Route(),
    "settings:retention_apply": Route(form={"confirmed": "1"}),
    "settings:teams": Route(),
    "settings:team_new": Route(form={"name": "Returns", "description": "Parcels"}),
    "settings:team": Route(path={"pk": _pk("team")}, form={"name": "Billing", "description": "Invoices"}),
    "settings:team_member_add": Route(path={"pk": _pk("team")}, get=False, form={"user": "1"}),
    "settings:team_member_remove": Route(path={"pk": _pk("team"), "user_id": _person("agent")}, get=False, form={}),
    "settings:team_delete": Route(path={"pk": _pk("team")}, form={"confirmed": "1"}),
    "settings:organizations": Route(query=("page",)),
    "settings:organization_new": Route(form={"name": "Initech", "share_tickets": "on"}),
    "settings:organization": Route(path={"pk": _organization}, form={"name": "Acme Corp", "share_tickets": "on"}),
    "settings:organization_member_add": Route(path={"pk": _organization}, get=False, form={"email": "ada@acme.test"}),
    "settings:organization_member_remove": Route(
        path={"pk": _organization, "user_id": _person("customer")}, get=False, form={}
    ),
    "settings:organization_delete": Route(path={"pk": _organization}, form={"confirmed": "1"}),
    "settings:invitations": Route(query=("state", "page")),
    "settings:invitation_new": Route(form={"email": "new.agent2@desk.test", "role": "agent", "team": ""}),
    "settings:invitation_resend": Route(path={"pk": _pk("invite")}, get=False, form={}),
    "settings:invitation_revoke": Route(path={"pk": _pk("invite")}, form={"confirmed": "1"}),
    "settings:audit": Route(query=("actor", "type", "object", "page")),
    "settings:mailboxes": Route(),
    "settings:views": Route(),
    "settings:mailbox_new": Route(form=MAILBOX_FORM),
    "settings:mailbox": Route(path={"pk": _pk("mailbox")}, form=MAILBOX_FORM),
    "settings:inbound_messages": Route(query=("state", "page")),
    "settings:inbound_process": Route(path={"pk": _pk("inbound")}, get=False, form={}),
    "settings:ticket_fields": Route(),
    "settings:ticket_field_new": Route(form=TICKET_FIELD_FORM),
    "settings:ticket_field": Route(path={"pk": _pk("ticket_field")}, form=TICKET_FIELD_FORM),
    "settings:ticket_field_deactivate": Route(path={"pk": _pk("ticket_field")}, get=False, form={}),
    # SLA schedules and policies (tickets.sla.settings, tickets.sla.policy_settings).
    "settings:sla_schedules": Route(),
    "settings:sla_schedule_new": Route(form=SCHEDULE_FORM),
    "settings:sla_schedule": Route(path={"pk": _pk("schedule")}, form=SCHEDULE_FORM),
    "settings:sla_policies": Route(),
    "settings:sla_policy_new": Route(form=POLICY_FORM),
    "settings:sla_policy": Route(path={"pk": _pk("sla_policy")}, form=POLICY_FORM),
    # Provider webhooks (tickets.mail.webhooks): posts from a mail service, never a person's session.
    "mail:inbound_mailgun": Route(get=False, form=MAILGUN_FORM, personas=("anonymous",)),
    "mail:inbound_mailgun_mime": Route(get=False, form=MAILGUN_FORM, personas=("anonymous",)),
    "mail:inbound_sendgrid": Route(
        get=False, form={"email": "Subject: x\r\n\r\nx", "envelope": "{}"}, personas=("anonymous",)
    ),
    "mail:inbound_postmark": Route(get=False, json={"RawEmail": "Subject: x\r\n\r\nx"}, personas=("anonymous",)),
    "mail:inbound_amazon_ses": Route(
        get=False, json={"Type": "Notification", "Message": "{}"}, personas=("anonymous",)
    ),
    # Outgoing webhooks (tickets.webhooks.settings_pages); the world's endpoint is on a refused address.
    "settings:webhooks": Route(),
    "settings:webhook_new": Route(form=WEBHOOK_FORM),
    "settings:webhook": Route(path=WEBHOOK, form=WEBHOOK_FORM),
    "settings:webhook_active": Route(path=WEBHOOK, get=False, form={"active": "0"}),
    "settings:webhook_test": Route(path=WEBHOOK, get=False, form={}),
    "settings:webhook_secret": Route(path=WEBHOOK, get=False, form={}),
    "settings:webhook_delete": Route(path=WEBHOOK, form={"confirmed": "1"}),
    "settings:webhook_deliveries": Route(path=WEBHOOK, query=("state", "page")),
    "settings:webhook_redeliver": Route(path=WEBHOOK_DELIVERY, get=False, form={}),
    "settings:triggers": Route(),
    "settings:trigger_new": Route(form=TRIGGER_FORM),
    "settings:trigger": Route(path={"pk": _pk("trigger")}, form={**TRIGGER_FORM, "test": "1"}),
    "settings:trigger_move": Route(path={"pk": _pk("trigger")}, get=False, form={"direction": "up"}),
    "settings:trigger_active": Route(path={"pk": _pk("trigger")}, get=False, form={"active": "0", "back": "rule"}),
    "settings:trigger_delete": Route(path={"pk": _pk("trigger")}, form={"confirmed": "1"}),
    "settings:macros": Route(),
    "settings:macro_new": Route(form=MACRO_FORM),
    "settings:macro": Route(path={"pk": _pk("macro")}, form={**MACRO_FORM, "preview": "1", "preview_ticket": "1"}),
    "settings:macro_active": Route(path={"pk": _pk("macro")}, get=False, form={"active": "0", "back": "macro"}),
    "settings:macro_delete": Route(path={"pk": _pk("macro")}, form={"confirmed": "1"}),
    "settings:automations": Route(),
    "settings:automation_new": Route(form=AUTOMATION_FORM),
    "settings:automation": Route(path={"pk": _pk("automation")}, form=AUTOMATION_FORM),
    "settings:automation_move": Route(path={"pk": _pk("automation")}, get=False, form={"direction": "down"}),
    "settings:automation_active": Route(path={"pk": _pk("automation")}, get=False, form={"active": "1"}),
    "settings:automation_delete": Route(path={"pk": _pk("automation")}, form={"confirmed": "1"}),
    # The API (schemathesis covers its documented parameters as well; this adds the hostile kinds).
    "api:ticket-list": Route(
        query=(*TICKET_FILTERS, *LIST),
        json={
            "subject": "Printer",
            "description": "The printer jams on every single page.",
            "priority": "normal",
            "tags": ["a"],
            "metadata": {"k": "v"},
            "requester": {"email": "x@example.com", "name": "X"},
        },
    ),  # fmt: skip
    "api:ticket-bulk": Route(get=False, json={"ids": [1], "changes": {"priority": "high", "tags": ["a"]}}),
    "api:ticket-detail": Route(
        path=PK_TICKET,
        json={"priority": "high", "status": "open", "tags": ["a"], "assignee": None, "team": None},
        json_methods=("patch", "delete"),
    ),
    "api:ticket-claim": Route(path=PK_TICKET, get=False, json={"force": True}),
    "api:ticket-messages": Route(path=PK_TICKET, query=LIST, json={"body": "Hello", "internal": False}),
    "api:ticket-attachments": Route(path=PK_TICKET, query=LIST),
    "api:ticket-events": Route(path=PK_TICKET, query=LIST),
    "api:view-list": Route(
        json={"name": "Urgent", "conditions": {"all": []}, "columns": ["subject"], "sort": "-updated"}
    ),
    "api:view-detail": Route(
        path={"ref": _pk("saved_view")}, json={"name": "Urgent", "sort": "created"}, json_methods=("patch", "delete")
    ),
    "api:view-tickets": Route(path={"ref": _pk("saved_view")}, query=LIST),
    "api:view-count": Route(path={"ref": _pk("saved_view")}),
    "api:ticket-field-list": Route(
        query=("active",),
        json={"key": "size", "field_type": "dropdown", "label": "Size", "options": [{"value": "big", "label": "Big"}]},
    ),
    "api:ticket-field-detail": Route(
        path={"pk": _pk("ticket_field")},
        json={"label": "Order no.", "options": [{"value": "a", "label": "A"}], "teams": [1], "position": 2},
        json_methods=("patch", "delete"),
    ),
    "api:stats-agents": Route(query=("since", "until", "team", "period")),
    "api:stats-satisfaction": Route(query=("since", "until", "team")),
    "api:stats-trend": Route(query=("since", "until", "team", "granularity")),
    "api:stats-sla": Route(query=("since", "until", "team")),
    "api:attachment-download": Route(path={"pk": _pk("attachment")}),
    "api:attachment-preview": Route(path={"pk": _pk("attachment")}),
    "api:auth-token": Route(get=False, json={"email": "ada@acme.test", "password": "x"}),
    "api:me": Route(json={"language": "es", "time_zone": "Europe/Madrid"}, json_methods=("patch",)),
    "api:user-list": Route(
        query=(*LIST, "q", "role"), json={"email": "new@example.com", "name": "New", "role": "customer"}
    ),
    "api:team-list": Route(query=LIST, json={"name": "Team", "description": "d"}),
    "api:team-detail": Route(
        path={"pk": _pk("team")},
        json={"name": "Team", "description": "d", "members": [1]},
        json_methods=("patch", "delete"),
    ),
    "api:invite-list": Route(query=LIST, json={"email": "new@example.com", "role": "agent", "team": None}),
    "api:trigger-list": Route(query=LIST, json=TRIGGER_JSON),
    "api:trigger-detail": Route(path={"pk": _pk("trigger")}, json=TRIGGER_JSON, json_methods=("patch", "delete")),
    "api:automation-list": Route(query=LIST, json=AUTOMATION_JSON),
    "api:automation-detail": Route(
        path={"pk": _pk("automation")}, json=AUTOMATION_JSON, json_methods=("patch", "delete")
    ),
    "api:macro-list": Route(json=MACRO_JSON),
    "api:macro-detail": Route(path={"pk": _pk("macro")}, json=MACRO_JSON, json_methods=("patch", "delete")),
    "api:macro-apply": Route(
        path={"pk": _pk("macro")}, get=False, json={"ticket": 1, "preview": True, "reply": "Hello"}
    ),
    "api:schedule-list": Route(json=SCHEDULE_JSON),
    "api:schedule-detail": Route(path={"pk": _pk("schedule")}, json=SCHEDULE_JSON, json_methods=("patch", "delete")),
    "api:sla-policy-list": Route(json=POLICY_JSON),
    "api:sla-policy-detail": Route(path={"pk": _pk("sla_policy")}, json=POLICY_JSON, json_methods=("patch", "delete")),
    "api:webhook-list": Route(query=LIST, json=WEBHOOK_JSON),
    "api:webhook-detail": Route(path=WEBHOOK, json=WEBHOOK_JSON, json_methods=("patch", "delete")),
    "api:webhook-test": Route(path=WEBHOOK, get=False, json={}),
    "api:webhook-secret": Route(path=WEBHOOK, get=False, json={}),
    "api:webhook-deliveries": Route(path=WEBHOOK, query=LIST),
    "api:webhook-redeliver": Route(path=WEBHOOK_DELIVERY, get=False, json={}),
    # Public and the same for everyone (and the schema is slow to build): anonymous only.
    # The Zendesk-compatible API (tickets.zendesk), with a Bearer token (``_client``).
    "api:zendesk-tickets": Route(query=ZD_CURSOR, json=ZD_TICKET),
    "api:zendesk-tickets-show-many": Route(query=("ids",)),
    "api:zendesk-tickets-create-many": Route(get=False, json={"tickets": [ZD_TICKET["ticket"]]}),
    "api:zendesk-tickets-update-many": Route(
        query=("ids",), get=False, json={"tickets": [{"id": 1, "priority": "high"}]}, json_methods=("put",)
    ),
    "api:zendesk-ticket": Route(path=PK_TICKET, json=ZD_UPDATE, json_methods=("put", "delete")),
    "api:zendesk-ticket-comments": Route(path=PK_TICKET, query=(*ZD_CURSOR, "sort_order")),
    "api:zendesk-ticket-audits": Route(path=PK_TICKET, query=(*ZD_CURSOR, "sort_order")),
    "api:zendesk-job-status": Route(path={"job_id": lambda world: "0" * 32}),
    "api:zendesk-search": Route(query=("query", "page", "per_page", "sort_by", "sort_order")),
    "api:zendesk-incremental-tickets": Route(query=("start_time", "cursor", "per_page")),
    "api:zendesk-uploads": Route(query=("filename", "token"), get=False, json={"x": 1}),
    "api:zendesk-upload": Route(path={"token": lambda world: "token"}, get=False, json={}, json_methods=("delete",)),
    "api:zendesk-attachment": Route(path={"pk": _pk("attachment")}),
    "api:zendesk-attachment-download": Route(path={"pk": _pk("attachment")}),
    "api:zendesk-me": Route(),
    "api:zendesk-users": Route(query=(*ZD_CURSOR, "role", "role[]")),
    "api:zendesk-user-search": Route(query=("query", "email", "page", "per_page")),
    "api:zendesk-user": Route(path={"pk": _person("customer")}),
    "api:zendesk-organizations": Route(
        query=ZD_CURSOR, json={"organization": {"name": "Initech", "shared_tickets": False}}
    ),
    "api:zendesk-organization": Route(path={"pk": _organization}),
    "api:zendesk-groups": Route(query=ZD_CURSOR),
    "api:zendesk-group": Route(path={"pk": _pk("team")}),
    "api:zendesk-group-memberships": Route(query=ZD_CURSOR),
    "api:zendesk-ticket-fields": Route(query=ZD_CURSOR),
    "api:schema": Route(query=("format", "lang"), personas=("anonymous",)),
    "api:docs": Route(query=("script",), personas=("anonymous",)),
}

# The Django admin's routes are generic views: the table below is built from the registered
# ModelAdmins (search, ordering, paging, filters and popups on change lists; the object id on
# change, history and delete pages; every editable field on the add form).
# The Django admin (admins only; everyone else is sent to its sign-in page, so only anonymous
# and admin are sent): each value goes into all parameters at once — the views are Django's, the
# same for every model. ``_to_field`` and ``_selected_action`` are sent too: Django's own views turn
# an empty one and non-ids into server errors, which ``helpdesk.admin_site`` refuses with a 400.
ADMIN: dict[str, Any] = {"personas": ("anonymous", "admin"), "fan_out": False}
ADMIN_SITE_ROUTES: dict[str, Route] = {
    "admin:index": Route(**ADMIN),
    "admin:login": Route(
        query=("next",), form={"username": "root@desk.test", "password": "x", "next": "/admin/"}, **ADMIN
    ),
    "admin:logout": Route(get=False, form={}, signs_out=True, **ADMIN),
    "admin:password_change": Route(form={"old_password": "x", "new_password1": "y", "new_password2": "y"}, **ADMIN),
    "admin:password_change_done": Route(**ADMIN),
    "admin:autocomplete": Route(query=("term", "app_label", "model_name", "field_name", "page"), **ADMIN),
    "admin:jsi18n": Route(**ADMIN),
    "admin:view_on_site": Route(
        path={"content_type_id": lambda w: w["content_type"].pk, "object_id": _ticket}, **ADMIN
    ),
    "admin:app_list": Route(path={"app_label": lambda w: "tickets"}, **ADMIN),
}
# Form fields of Django's own admins not sent, with the reason.
ADMIN_UNSENT_FIELDS = {
    "auth.group.permissions": "Django's ModelMultipleChoiceField passes an id past 64 bits to SQLite, which raises "
    "OverflowError (a 500 on SQLite only; PostgreSQL answers 'not a valid choice')",
}
ADMIN_CHANGELIST = ("q", "o", "p", "e", "all", "_popup", "_to_field")
ADMIN_OBJECT = ("_changelist_filters", "_popup", "_to_field")

# Routes not fuzzed here, each with the reason.
EXEMPT: dict[str, str] = {
    "admin:None@catch-all": "the admin's catch-all only redirects to the sign-in page or answers 404",
}


def _first_pk(model: Any) -> Callable[[World], Any]:
    def first(world: World) -> Any:
        row = model._default_manager.order_by("pk").first()
        return row.pk if row is not None else 1

    return first


def _admin_routes() -> dict[str, Route]:
    routes = dict(ADMIN_SITE_ROUTES)
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        filters = tuple(f"{name}__exact" for name in model_admin.list_filter if isinstance(name, str))
        object_id = {"object_id": _first_pk(model)}
        editable = {
            f.name: "x"
            for f in model._meta.get_fields()
            if getattr(f, "editable", False)
            and getattr(f, "concrete", False)
            and not getattr(f, "primary_key", False)
            and f"{model._meta.label_lower}.{f.name}" not in ADMIN_UNSENT_FIELDS
        }
        routes[f"{prefix}_changelist"] = Route(
            query=(*ADMIN_CHANGELIST, *filters),
            form={"action": "delete_selected", "_selected_action": "999999", "index": "0"},
            **ADMIN,
        )
        routes[f"{prefix}_add"] = Route(query=ADMIN_OBJECT, form=editable, **ADMIN)
        routes[f"{prefix}_history"] = Route(path=object_id, query=ADMIN_OBJECT, **ADMIN)
        routes[f"{prefix}_delete"] = Route(path=object_id, query=ADMIN_OBJECT, **ADMIN)
        routes[f"{prefix}_change"] = Route(path=object_id, query=ADMIN_OBJECT, form=editable, **ADMIN)
        routes[f"{prefix}_change@redirect"] = Route(path=object_id, **ADMIN)  # <object_id>/ → …/change/
    return routes


# --- the resolver -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str
    route: str  # e.g. "portal/tickets/<int:pk>/" or "accounts/^invite/(?P<token>…)/$"


def url_patterns() -> list[Pattern]:
    """Every URL pattern the site answers, with its full route; unnamed admin patterns are named
    after their neighbour ("…_change@redirect") or their role ("admin:None@catch-all")."""
    found: list[Pattern] = []

    def walk(patterns: list, prefix: str, ns: str | None) -> None:
        previous = None
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{ns}:{entry.namespace}" if ns and entry.namespace else (entry.namespace or ns)
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = entry.name
                if name is None:
                    name = f"{previous}@redirect" if previous and previous.endswith("_change") else "None@catch-all"
                found.append(Pattern(f"{ns}:{name}" if ns else name, prefix + str(entry.pattern)))
                previous = entry.name
        return None

    walk(get_resolver().url_patterns, "", None)
    return found


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def build_path(route: str, values: dict[str, str]) -> str:
    """``route`` with each parameter replaced by its (already percent-encoded) value."""
    path = _PARAM.sub(lambda m: values[m.group(1) or m.group(2)], route)
    return "/" + path.replace("^", "").replace("$", "")


def path_params(route: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in _PARAM.finditer(route)]


def all_routes() -> dict[str, Route]:
    return {**ROUTES, **_admin_routes()}


# --- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    label: str  # what is hostile, for the failure message
    data: Any = None
    content_type: str | None = None


def _encoded(value: Any) -> str:
    return quote(str(value), safe="")


def probes(pattern: Pattern, spec: Route, world: World, *, fan_out: bool) -> Iterator[Probe]:
    """The hostile requests for one route. With ``fan_out`` (the caller reaches the view) every
    value goes into every parameter on its own; without it (the caller is turned away at the door)
    each value goes into all parameters at once."""
    names = path_params(pattern.route)
    valid = {name: _encoded(spec.path[name](world)) for name in names}
    base = build_path(pattern.route, valid)
    params = (*spec.query, "x")
    # Query parameters.
    if spec.get:
        for label, value in QUERY_VALUES.items():
            groups: list[tuple[str, ...]] = [(p,) for p in params] if fan_out and label in SINGLE else [params]
            for group in groups:
                yield Probe("get", base + "?" + "&".join(f"{p}={value}" for p in group), f"{group} = {label}")
        for label, shape in QUERY_SHAPES.items():
            groups = [(p,) for p in params] if fan_out else [params]
            for group in groups:
                yield Probe("get", base + "?" + "&".join(shape(p) for p in group), f"{group} as {label}")
    # Path parameters.
    for name in names:
        for label, value in PATH_VALUES.items():
            path = build_path(pattern.route, {**valid, name: value})
            if spec.get:
                yield Probe("get", path, f"path {name} = {label}")
            if spec.form is not None:
                yield Probe("post", path, f"path {name} = {label}", data=spec.form)
            if spec.json is not None:
                yield Probe(spec.json_methods[0], path, f"path {name} = {label}", data=spec.json, content_type="json")
    # Form bodies.
    if spec.form is not None:
        fields = [name for name in spec.form if name not in spec.fixed] or ["x"]
        for label, value in FORM_VALUES.items():
            if fan_out:
                for name in fields:
                    yield Probe("post", base, f"form {name} = {label}", data={**spec.form, name: value})
            else:
                yield Probe("post", base, f"form * = {label}", data={**spec.form, **dict.fromkeys(fields, value)})
        yield Probe("post", base, "form key with NUL", data={**spec.form, "a\x00b": "1"})
        yield Probe("post", base + "?x=%00", "query NUL on a POST", data=spec.form)
    # JSON bodies.
    if spec.json is not None:
        for method in spec.json_methods:
            fields = list(spec.json) or ["x"]
            for label, value in JSON_VALUES.items() if method != "delete" else ():  # DELETE reads no body
                json_groups = [[name] for name in fields] if fan_out else [fields]
                for json_group in json_groups:
                    body = {**spec.json, **dict.fromkeys(json_group, value)}
                    yield Probe(method, base, f"json {json_group} = {label}", data=_dumps(body), content_type="json")
            for label, text in JSON_BODIES.items():
                yield Probe(method, base, f"json body {label}", data=text, content_type="json")
            yield Probe(method, base, "form body to a JSON endpoint", data="subject=%00", content_type="form")


def _dumps(body: Any) -> str:
    # ensure_ascii keeps lone surrogates as \ud800 escapes: the text itself is valid UTF-8.
    return json.dumps(body)


# --- running ------------------------------------------------------------------------------------

PERSONAS = ("anonymous", "customer", "agent", "admin")
# Probes with a NUL byte in the query string, a form or a JSON body: always exactly 400 (a NUL in a
# path is a 404 where the route's converter does not match it).
NUL_LABELS = re.compile(r"^(?!path).*(= nul\b|= nul-only|as array-nul|as nul-name|key with NUL|query NUL|body nul-)")
_LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def make_world() -> World:
    """Ada's ticket routed to Billing with a public file, a collaborator, a notification, an
    invite and a password-reset link; the four personas."""
    from django.contrib.auth.tokens import default_token_generator
    from django.contrib.contenttypes.models import ContentType
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from accounts import services as account_services
    from accounts.models import Role, TicketScope
    from tickets import services
    from tickets.models import Notification, Ticket
    from tickets.tests.factories import upload

    password = "correct-horse-battery-staple"
    acme = account_services.organization_create(name="Acme Corp", share_tickets=True)
    team = account_services.team_create(name="Billing")
    customer = account_services.user_create(email="ada@acme.test", name="Ada", password=password, organization=acme)
    agent = account_services.user_create(
        email="alice@desk.test", name="Alice", password=password, role=Role.AGENT, ticket_scope=TicketScope.ALL,
        teams=[team],
    )  # fmt: skip
    admin_user = account_services.user_create(email="root@desk.test", name="Ray", password=password, role=Role.ADMIN)
    ticket = services.ticket_create(
        actor=customer, subject="Cannot print", description="The printer jams on every single page."
    )
    ticket = services.ticket_update(actor=admin_user, ticket=ticket, team=team)
    reply = services.message_add(
        actor=agent, ticket=ticket, body="Try this.", attachments=[upload("notes.txt", b"The number is 42.\n")]
    )
    collaborator = services.collaborator_add(actor=agent, ticket=ticket, email="carl@acme.test", name="Carl")
    event = ticket.events.order_by("pk").first()
    assert event is not None
    notification = Notification.objects.create(recipient=agent, ticket=ticket, event=event, kind="team_ticket")
    invite = account_services.invite_create(actor=admin_user, email="new.agent@desk.test", role=Role.AGENT)
    reset = (urlsafe_base64_encode(force_bytes(customer.pk)), default_token_generator.make_token(customer))
    # The email channel: a mailbox, and Ada's emailed reply on her ticket (its original is viewable
    # by agents), stored quarantined once so the settings page offers "Process again".
    mailbox, emailed, inbound = _mail(ticket)
    from tickets.models import Automation, Trigger
    from tickets.services.macros import macro_create
    from tickets.services.saved_views import saved_view_create

    trigger = Trigger.objects.create(owner=admin_user, **TRIGGER_JSON)
    automation = Automation.objects.create(owner=admin_user, **AUTOMATION_JSON)
    macro = macro_create(
        actor=admin_user,
        name="Ask for the model",
        actions=[
            {"action": "add_reply", "value": "Which printer model is it?"},
            {"action": "add_tags", "value": ["printer"]},
        ],
        scope="everyone",
    )
    my_macro = macro_create(  # Alice's own (My macros)
        actor=agent, name="My printer reply", actions=[{"action": "add_reply", "value": "Which printer is it?"}]
    )
    saved_view = saved_view_create(
        actor=agent, name="Urgent", conditions={"all": [{"field": "priority", "operator": "is", "value": "urgent"}]}
    )
    from tickets.models import TicketField

    ticket_field = TicketField.objects.create(
        key="order_number",
        label="Order number",
        field_type="regex",
        pattern=r"[A-Z]{2}-\d{4}",
        visible_to_customers=True,
    )
    from tickets.tests.sla.support import policy, weekday_schedule

    schedule = weekday_schedule()
    sla_policy = policy(schedule=schedule)
    webhook, webhook_delivery = webhook_world()
    solved, survey = _solved_with_survey(customer, agent)
    return {
        "webhook": webhook,
        "webhook_delivery": webhook_delivery,
        "solved_ticket": solved,
        "survey": survey,
        "trigger": trigger,
        "automation": automation,
        "macro": macro,
        "my_macro": my_macro,
        "saved_view": saved_view,
        "schedule": schedule,
        "sla_policy": sla_policy,
        "people": {"customer": customer, "agent": agent, "admin": admin_user},
        "ticket": Ticket.objects.get(pk=ticket.pk),
        "attachment": reply.attachments.get(),
        "collaborator": collaborator,
        "notification": notification,
        "invite": invite,
        "reset": reset,
        "signup": signup_token(email="newcomer@example.com", name="Newcomer"),
        "team": team,
        "content_type": ContentType.objects.get_for_model(Ticket),
        "mailbox": mailbox,
        "inbound": inbound,
        "emailed": emailed,
        "ticket_field": ticket_field,
    }


def webhook_world() -> tuple[Any, Any]:
    """A webhook endpoint on an address the SSRF guard refuses (a test event is never sent
    anywhere) with one delivery in its log."""
    from tickets.webhooks import signing
    from tickets.webhooks.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        name="Refused receiver",
        url="http://127.0.0.1:9/hooks/helpdesk/incoming-ticket-events?token=abcdefghijklmnopqrstuvwxyz0123456789",
        events=["ticket.created"],
        secret=signing.seal(signing.new_secret()),
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id=signing.new_message_id(),
        event_type="webhook.test",
        payload={"type": "webhook.test"},
    )
    return endpoint, delivery


def _solved_with_survey(customer: Any, agent: Any) -> tuple[Any, str]:
    """Ada's second ticket, solved by Alice: its satisfaction survey's signed token (issue 18 §4)."""
    from tickets import services
    from tickets.satisfaction import links
    from tickets.satisfaction.models import SatisfactionRating

    solved = services.ticket_create(
        actor=customer, subject="Paper tray squeaks", description="The paper tray squeaks when it opens."
    )
    services.ticket_change_status(actor=agent, ticket=solved, status="solved")
    solved.refresh_from_db()
    return solved, links.make_token(SatisfactionRating.objects.get(ticket=solved))


def _mail(ticket: Any) -> tuple[Any, Any, Any]:
    """A mailbox, and a reply from Ada to ``ticket`` that arrived by email and was quarantined
    first (then processed): the message it became, and the stored original."""
    from tickets.mail import intake, processing
    from tickets.mail.models import InboundState, Mailbox
    from tickets.notifications.mailthread import reply_address

    mailbox = Mailbox.objects.create(address="sales@desk.test", imap_host="imap.desk.test", imap_username="sales")
    raw = (
        f"From: Ada <ada@acme.test>\r\nTo: {reply_address(ticket.pk)}\r\nSubject: Re: Cannot print\r\n"
        "Message-ID: <ada-reply-1@acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "It still jams. <script>alert(1)</script>\r\n"
    ).encode()
    inbound = intake.receive(raw, door="smtp").inbound
    processing.process(inbound.pk)
    inbound.refresh_from_db()
    assert inbound.state == InboundState.PROCESSED and inbound.ticket_message is not None, inbound.reason
    waiting = intake.receive(
        b"From: Nora <nora@example.com>\r\nTo: sales@desk.test\r\nSubject: Chairs\r\n\r\nA quote?\r\n",
        door="smtp",
    ).inbound
    type(waiting).objects.filter(pk=waiting.pk).update(state=InboundState.QUARANTINED, reason="Tried once.")
    return mailbox, inbound.ticket_message, waiting


def _client(world: World, persona: str, path: str) -> Any:
    from django.test import Client

    from accounts import services as account_services

    client = Client()
    if persona == "anonymous":
        return client
    user = world["people"][persona]
    if path.startswith("/api/v1/"):
        token = account_services.api_token_get_or_create(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    elif path.startswith("/api/v2/"):  # the Zendesk-compatible API takes no session
        token = account_services.api_token_get_or_create(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.key}"
    else:
        client.force_login(user)
    return client


def _send(client: Any, probe: Probe) -> Any:
    if probe.content_type == "json":
        response = client.generic(probe.method.upper(), probe.path, probe.data, content_type="application/json")
    elif probe.content_type == "form":
        response = client.generic(
            probe.method.upper(), probe.path, probe.data, content_type="application/x-www-form-urlencoded"
        )
    elif probe.method == "get":
        response = client.get(probe.path)
    else:
        response = client.post(probe.path, probe.data)
    if getattr(response, "streaming", False):
        # A live stream: end its generator unread (response.close() would also signal the end of
        # the request, which closes the test's database connection).
        close = getattr(response.streaming_content, "close", None)
        if close is not None:
            close()
    return response


def _turned_away(response: Any) -> bool:
    """The door refused the caller before the view looked at its input."""
    if response.status_code in (401, 403, 404, 405):
        return True
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    return location == "/" or location.startswith(_LOGIN_PATHS)


def check_route(name: str, world: World) -> tuple[int, list[str]]:
    """Send every hostile probe of route ``name`` as every persona. Returns the number of requests
    and the failures: any 5xx, and a NUL byte in a query, form or JSON body that is not a 400.

    Each value goes into each parameter on its own for the first persona the view lets in; for
    the others, each value goes into all parameters at once (the same code parses them)."""
    pattern = next(p for p in url_patterns() if p.name == name)
    spec = all_routes()[name]
    sent = 0
    failures: list[str] = []
    fanned_out = False
    for persona in spec.personas or PERSONAS:
        valid = {n: _encoded(spec.path[n](world)) for n in path_params(pattern.route)}
        base = build_path(pattern.route, valid)
        client = _client(world, persona, base)
        baselines = []
        if spec.get:
            baselines.append(("get", _send(client, Probe("get", base, "baseline"))))
        if spec.form is not None:
            baselines.append(("post", _send(client, Probe("post", base, "baseline", spec.form))))
            if spec.signs_out and persona != "anonymous":
                client = _client(world, persona, base)
        for method in spec.json_methods if spec.json is not None else ():
            if method != "delete":
                baselines.append((method, _send(client, Probe(method, base, "baseline", _dumps(spec.json), "json"))))
        sent += len(baselines)
        failures += [
            f"{persona}: baseline {m.upper()} {base} -> {r.status_code}" for m, r in baselines if r.status_code >= 500
        ]
        status_of = {method: response.status_code for method, response in baselines}
        refused = all(_turned_away(response) for _, response in baselines)
        fan_out = spec.fan_out and not refused and not fanned_out
        fanned_out = fanned_out or fan_out
        for probe in probes(pattern, spec, world, fan_out=fan_out):
            if spec.signs_out and persona != "anonymous":
                client = _client(world, persona, base)
            response = _send(client, probe)
            sent += 1
            status = response.status_code
            where = f"{persona}: {probe.method.upper()} {probe.path[:120]} [{probe.label}]"
            if status >= 500:
                failures.append(f"{where} -> {status}")
            elif NUL_LABELS.search(probe.label) and status != 400:
                # A door that turns the caller away before reading the body may answer first.
                before = status_of.get(probe.method)
                if not (probe.content_type == "json" and (before is None or before >= 300 or status == before)):
                    failures.append(f"{where} -> {status}, expected 400 for a NUL byte")
            elif status == 400 and probe.path.startswith("/api/") and "json" not in response.get("Content-Type", ""):
                failures.append(f"{where} -> a 400 that is not the API's JSON error")
    failures.sort(key=lambda line: " -> 5" not in line)  # server errors first
    return sent, failures
