"""Issue 7: one table of identities × routes × tickets, with canary strings.

Every page route is listed in ROUTES (a new route fails ``test_every_route_is_in_the_matrix``
until someone decides how it is checked), every OpenAPI operation must appear in the API table
(``tickets/tests/api/table.py``), and every GET a person could make is swept for canary strings
they must never see: other people's tickets, internal notes, attachments on notes.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import services as account_services
from tickets import services
from tickets.models import Attachment
from tickets.tests.factories import upload

IDENTITIES = [
    "anonymous",
    "ada",
    "bob",
    "gus",
    "eve",
    "agent",
    "team_agent",
    "other_team_agent",
    "admin",
    "inactive",
]
# Who may see what (DESIGN §5): T1 is Ada's (Acme shares tickets; routed to Billing), T2 is Eve's
# (Globex does not share; routed to Technical).
SEES_T1 = {"ada", "bob", "agent", "team_agent", "admin"}
SEES_T2 = {"eve", "agent", "other_team_agent", "admin"}
AGENTS = {"agent", "team_agent", "other_team_agent", "admin"}
CANARIES = {
    "CANARY-T1-PUBLIC": SEES_T1,
    "CANARY-T1-NOTE": SEES_T1 & AGENTS,
    "CANARY-T1-FILE-PUBLIC": SEES_T1,
    "CANARY-T1-FILE-NOTE": SEES_T1 & AGENTS,
    "CANARY-T2-PUBLIC": SEES_T2,
    "CANARY-T2-NOTE": SEES_T2 & AGENTS,
}


@pytest.fixture
def world(
    db,
    customer,
    org_member,
    other_customer,
    agent,
    team_agent,
    other_team_agent,
    admin,
    globex,
    billing_team,
    tech_team,
    password,
):
    gus = account_services.user_create(
        email="gus@globex.test", name="Gus Colleague", password=password, organization=globex
    )
    inactive = account_services.user_create(
        email="gone@desk.test", name="Gone Agent", password=password, role="agent", ticket_scope="all"
    )
    t1 = services.ticket_create(
        actor=customer, subject="Ada subject CANARY-T1-PUBLIC", description="Ada's problem, CANARY-T1-PUBLIC in full."
    )
    services.ticket_update(actor=admin, ticket=t1, team=billing_team)
    services.message_add(
        actor=agent,
        ticket=t1,
        body="Public answer CANARY-T1-PUBLIC",
        attachments=[upload("public-CANARY-T1-FILE-PUBLIC.txt", b"CANARY-T1-FILE-PUBLIC inside")],
    )
    services.message_add(
        actor=agent,
        ticket=t1,
        body="Secret note CANARY-T1-NOTE",
        internal=True,
        attachments=[upload("note-CANARY-T1-FILE-NOTE.txt", b"CANARY-T1-FILE-NOTE inside")],
    )
    t2 = services.ticket_create(
        actor=other_customer,
        subject="Eve subject CANARY-T2-PUBLIC",
        description="Eve's problem, CANARY-T2-PUBLIC in full.",
    )
    services.ticket_update(actor=admin, ticket=t2, team=tech_team)
    services.message_add(actor=other_team_agent, ticket=t2, body="Secret note CANARY-T2-NOTE", internal=True)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    people = {
        "ada": customer,
        "bob": org_member,
        "gus": gus,
        "eve": other_customer,
        "agent": agent,
        "team_agent": team_agent,
        "other_team_agent": other_team_agent,
        "admin": admin,
        "inactive": inactive,
    }
    files = {a.filename: a.pk for a in Attachment.objects.all()}
    return {"people": people, "t1": t1.pk, "t2": t2.pk, "files": files}


def _client(client, world, identity):
    if identity != "anonymous":
        client.force_login(world["people"][identity])
    return client


def _pages(world) -> list[str]:
    t1, t2 = world["t1"], world["t2"]
    files = list(world["files"].values())
    return [
        "/",
        "/portal/",
        "/portal/?q=CANARY",
        "/portal/?status=all",
        f"/portal/tickets/{t1}/",
        f"/portal/tickets/{t2}/",
        "/agent/",
        "/agent/?view=all",
        "/agent/?view=all&q=CANARY",
        f"/agent/tickets/{t1}/",
        f"/agent/tickets/{t2}/",
        "/agent/stats/",
        "/agent/stats/export/?table=trend",
        "/agent/stats/export/?table=agents",
        "/agent/stats/export/?table=teams",
        "/agent/stats/sla/",
        "/agent/stats/sla/export/",
        "/agent/counts/",
        "/agent/views/new/?view=all&q=CANARY",
        "/notifications/",
        "/accounts/profile/",
        *[f"/attachments/{pk}/download/" for pk in files],
        *[f"/attachments/{pk}/preview/" for pk in files],
        "/api/v1/tickets/",
        "/api/v1/tickets/?q=CANARY",
        f"/api/v1/tickets/{t1}/",
        f"/api/v1/tickets/{t2}/",
        f"/api/v1/tickets/{t1}/messages/",
        f"/api/v1/tickets/{t2}/messages/",
        f"/api/v1/tickets/{t1}/attachments/",
        f"/api/v1/tickets/{t1}/events/",
        f"/api/v1/tickets/{t2}/events/",
        *[f"/api/v1/attachments/{pk}/download/" for pk in files],
        *[f"/api/v1/attachments/{pk}/preview/" for pk in files],
        "/api/v1/stats/trend/",
        "/api/v1/stats/sla/",
        "/api/v1/views/",
        "/api/v1/views/all/tickets/",
        # The Zendesk-compatible API (with a Bearer token: ``_headers``).
        "/api/v2/tickets.json",
        f"/api/v2/tickets/{t1}.json",
        f"/api/v2/tickets/{t2}.json",
        f"/api/v2/tickets/show_many.json?ids={t1},{t2}",
        f"/api/v2/tickets/{t1}/comments.json",
        f"/api/v2/tickets/{t2}/comments.json",
        f"/api/v2/tickets/{t1}/audits.json",
        f"/api/v2/tickets/{t2}/audits.json",
        "/api/v2/search.json?query=CANARY",
        "/api/v2/search.json?query=type:ticket",
        "/api/v2/incremental/tickets/cursor.json?start_time=0",
        *[f"/api/v2/attachments/{pk}.json" for pk in files],
        *[f"/api/v2/attachments/{pk}/content" for pk in files],
    ]


def _headers(world, identity, path) -> dict[str, str]:
    """/api/v2/ takes no session: the identity's API token instead."""
    if not path.startswith("/api/v2/") or identity == "anonymous":
        return {}
    token = account_services.api_token_get_or_create(user=world["people"][identity])
    return {"HTTP_AUTHORIZATION": f"Bearer {token.key}"}


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("identity", IDENTITIES)
def test_no_canary_reaches_anyone_who_may_not_see_it(client, world, identity):
    """Every page and API read, for every identity: the canaries they may not see never appear —
    not in bodies, search results, lists, history, file listings or downloads."""
    client = _client(client, world, identity)
    leaks = []
    for path in _pages(world):
        response = client.get(path, follow=False, **_headers(world, identity, path))
        assert response.status_code < 500, (identity, path, response.status_code)
        body = _body(response)
        for canary, allowed in CANARIES.items():
            if identity not in allowed and canary in body:
                leaks.append((path, canary))
    assert leaks == []


@pytest.mark.parametrize("identity", IDENTITIES)
def test_denied_reads_are_404_and_never_403(client, world, identity):
    client = _client(client, world, identity)
    for ticket, seers in ((world["t1"], SEES_T1), (world["t2"], SEES_T2)):
        for path in (
            f"/agent/tickets/{ticket}/",
            f"/portal/tickets/{ticket}/",
            f"/api/v1/tickets/{ticket}/",
            f"/api/v2/tickets/{ticket}.json",
        ):
            status = client.get(path, **_headers(world, identity, path)).status_code
            if identity in ("anonymous", "inactive"):
                assert status in (302, 401), (path, status)
            elif path.startswith("/portal/") and identity in AGENTS:
                assert status == 302, (identity, path, status)  # agents are sent to their queue
            elif identity not in seers or (path.startswith("/agent/") and identity not in AGENTS):
                # (The agent workspace does not exist for customers: 404 there too.)
                assert status == 404, (identity, path, status)
            else:
                assert status == 200, (identity, path, status)


# Writes on the pages: (route name, path builder, form data, who may do it on T1).
PAGE_WRITES = [
    ("portal:reply", lambda w: f"/portal/tickets/{w['t1']}/reply/", {"body": "Hello"}, {"ada"}),
    ("portal:solve", lambda w: f"/portal/tickets/{w['t1']}/solve/", {}, {"ada"}),
    (
        "agent:message",
        lambda w: f"/agent/tickets/{w['t1']}/messages/",
        {"mode": "note", "body": "Note", "status": ""},
        {"agent", "team_agent", "admin"},
    ),
    (
        "agent:fields",
        lambda w: f"/agent/tickets/{w['t1']}/fields/",
        {"status": "open", "priority": "high", "assignee": "", "team": "", "category": "", "tags": ""},
        {"agent", "team_agent", "admin"},
    ),
    (
        "agent:custom_fields",
        lambda w: f"/agent/tickets/{w['t1']}/custom-fields/",
        {"cf_order_number": "A-1"},
        {"agent", "team_agent", "admin"},
    ),
    ("agent:claim", lambda w: f"/agent/tickets/{w['t1']}/claim/", {}, {"agent", "team_agent", "admin"}),
    ("agent:release", lambda w: f"/agent/tickets/{w['t1']}/release/", {}, {"agent", "team_agent", "admin"}),
    (
        "agent:collaborator_add",
        lambda w: f"/agent/tickets/{w['t1']}/collaborators/",
        {"email": "new@example.com"},
        {"agent", "team_agent", "admin"},
    ),
    ("live:presence", lambda w: f"/live/tickets/{w['t1']}/presence/", {}, {"agent", "team_agent", "admin"}),
]


def _expected_write_statuses(name: str, allowed: set[str], identity: str) -> set[int]:
    if identity in ("anonymous", "inactive"):
        return {302}  # to the sign-in page
    if identity in allowed:
        return {200, 302}
    if name.startswith("portal:") and identity in AGENTS:
        return {302}  # the portal sends agents to their queue, whatever the ticket
    if identity not in SEES_T1 or (name.startswith("agent:") and identity not in AGENTS):
        return {404}  # cannot see it, or a customer in the agent workspace
    return {403}  # sees it, may not do this


@pytest.mark.parametrize(("name", "build", "data", "allowed"), PAGE_WRITES, ids=[w[0] for w in PAGE_WRITES])
def test_page_writes(world, name, build, data, allowed):
    """Each write as every identity, each from the same world: one identity's write is rolled back
    (a savepoint) before the next identity sends it."""
    from django.core.cache import cache
    from django.db import transaction
    from django.test import Client

    wrong = {}
    for identity in IDENTITIES:
        cache.clear()
        with transaction.atomic():
            status = _client(Client(), world, identity).post(build(world), data).status_code
            transaction.set_rollback(True)
        expected = _expected_write_statuses(name, allowed, identity)
        if status not in expected:
            wrong[identity] = (status, sorted(expected))
    assert wrong == {}, f"{name}: identity -> (status, expected)"


# --- route coverage -----------------------------------------------------------------------------

# How each page route is checked. A new route fails the test below until it is added here.
ROUTES = {
    "home": "canary sweep",
    "health": "helpdesk/tests/test_site.py",
    "ready": "helpdesk/tests/test_health.py",
    "metrics": "helpdesk/tests/test_metrics.py (loopback or token only)",
    "favicon": "helpdesk/tests/test_site.py",
    "accounts:login": "canary sweep (anonymous) and accounts tests",
    "accounts:logout": "accounts tests",
    "accounts:invite_accept": "accounts/tests/test_invites.py",
    "accounts:signup": "accounts tests",
    "accounts:signup_confirm": "accounts/tests/test_signup.py",
    "accounts:profile": "canary sweep",
    "accounts:profile_name": "accounts tests",
    "accounts:profile_locale": "accounts/tests/test_language.py",
    "accounts:password_change": "accounts tests",
    "accounts:token_regenerate": "accounts tests",
    "accounts:profile_export": "tickets/tests/test_privacy.py (customers only; agents 404)",
    "accounts:notification_preferences": "test_notifications.py",
    "accounts:password_reset": "accounts tests",
    "accounts:password_reset_done": "accounts tests",
    "accounts:password_reset_confirm": "accounts tests",
    "accounts:password_reset_complete": "accounts tests",
    "portal:my_tickets": "canary sweep",
    "portal:new_ticket": "test_portal.py",
    "portal:ticket": "canary sweep, 404 test",
    "portal:reply": "PAGE_WRITES",
    "portal:solve": "PAGE_WRITES",
    "portal:reopen": "test_portal.py",
    "agent:queue": "canary sweep",
    "agent:bulk": "test_agent_queue.py",
    "agent:stats": "canary sweep",
    "agent:stats_export": "canary sweep, test_trends_page.py",
    "agent:stats_sla": "canary sweep, tickets/tests/sla/test_stats_pages.py",
    "agent:stats_sla_export": "canary sweep, tickets/tests/sla/test_stats_pages.py",
    "agent:counts": "canary sweep, test_agent_queue.py",
    "agent:view_new": "canary sweep, test_saved_views.py",
    "agent:view_edit": "test_saved_views.py",
    "agent:view_delete": "test_saved_views.py",
    "agent:ticket": "canary sweep, 404 test",
    "agent:message": "PAGE_WRITES",
    "agent:message_original": "tickets/tests/mail/test_original_email.py",
    "agent:fields": "PAGE_WRITES",
    "agent:custom_fields": "PAGE_WRITES, tickets/tests/test_custom_fields_pages.py",
    "agent:claim": "PAGE_WRITES",
    "agent:release": "PAGE_WRITES, test_queue_ergonomics.py",
    "agent:collaborator_add": "PAGE_WRITES",
    "agent:collaborator_remove": "test_agent.py",
    "agent:macro_preview": "tickets/tests/test_macros_pages.py",
    "agent:macro_apply": "tickets/tests/test_macros_pages.py",
    "agent:macro_bulk": "tickets/tests/test_macros_pages.py",
    "agent:my_macros": "tickets/tests/test_macro_settings.py",
    "agent:my_macro_new": "tickets/tests/test_macro_settings.py",
    "agent:my_macro": "tickets/tests/test_macro_settings.py",
    "agent:my_macro_active": "tickets/tests/test_macro_settings.py",
    "agent:my_macro_delete": "tickets/tests/test_macro_settings.py",
    "attachments:download": "canary sweep",
    "attachments:preview": "canary sweep, test_thumbnails.py",
    "live:events": "test_live.py",
    "live:presence": "PAGE_WRITES",
    "notifications:list": "canary sweep",
    "notifications:open": "test_notifications.py",
    "notifications:read_all": "test_notifications.py",
    "satisfaction:rate": "tickets/tests/satisfaction/test_surveys.py (token, wrong user, CSRF, window)",
    # The settings area: admins only, 404 for everyone else on every route, GET and POST.
    "settings:index": "accounts/tests/test_settings_pages.py",
    "settings:people": "accounts/tests/test_settings_pages.py",
    "settings:person": "accounts/tests/test_settings_pages.py",
    "settings:person_active": "accounts/tests/test_settings_pages.py",
    "settings:person_export": "accounts/tests/test_settings_pages.py, tickets/tests/test_privacy.py",
    "settings:person_erase": "accounts/tests/test_settings_pages.py, tickets/tests/test_privacy.py",
    "settings:retention": "accounts/tests/test_settings_pages.py, tickets/tests/test_privacy.py",
    "settings:retention_apply": "accounts/tests/test_settings_pages.py, tickets/tests/test_privacy.py",
    "settings:teams": "accounts/tests/test_settings_pages.py",
    "settings:team_new": "accounts/tests/test_settings_pages.py",
    "settings:team": "accounts/tests/test_settings_pages.py",
    "settings:team_member_add": "accounts/tests/test_settings_pages.py",
    "settings:team_member_remove": "accounts/tests/test_settings_pages.py",
    "settings:team_delete": "accounts/tests/test_settings_pages.py",
    "settings:organizations": "accounts/tests/test_settings_pages.py",
    "settings:organization_new": "accounts/tests/test_settings_pages.py",
    "settings:organization": "accounts/tests/test_settings_pages.py",
    "settings:organization_member_add": "accounts/tests/test_settings_pages.py",
    "settings:organization_member_remove": "accounts/tests/test_settings_pages.py",
    "settings:organization_delete": "accounts/tests/test_settings_pages.py",
    "settings:invitations": "accounts/tests/test_settings_pages.py",
    "settings:invitation_new": "accounts/tests/test_settings_pages.py",
    "settings:invitation_resend": "accounts/tests/test_settings_pages.py",
    "settings:invitation_revoke": "accounts/tests/test_settings_pages.py",
    "settings:audit": "accounts/tests/test_settings_pages.py",
    "settings:mailboxes": "accounts/tests/test_settings_pages.py, tickets/tests/mail/test_mail_settings.py",
    "settings:mailbox_new": "accounts/tests/test_settings_pages.py, tickets/tests/mail/test_mail_settings.py",
    "settings:mailbox": "accounts/tests/test_settings_pages.py, tickets/tests/mail/test_mail_settings.py",
    "settings:inbound_messages": "accounts/tests/test_settings_pages.py, tickets/tests/mail/test_mail_settings.py",
    "settings:inbound_process": "accounts/tests/test_settings_pages.py, tickets/tests/mail/test_mail_settings.py",
    "settings:views": "accounts/tests/test_settings_pages.py, tickets/tests/test_saved_views.py",
    "settings:ticket_fields": "accounts/tests/test_settings_pages.py, tickets/tests/test_custom_fields_settings.py",
    "settings:ticket_field_new": "accounts/tests/test_settings_pages.py, tickets/tests/test_custom_fields_settings.py",
    "settings:ticket_field": "accounts/tests/test_settings_pages.py, tickets/tests/test_custom_fields_settings.py",
    "settings:ticket_field_deactivate": (
        "accounts/tests/test_settings_pages.py, tickets/tests/test_custom_fields_settings.py"
    ),
    "settings:sla_schedules": "accounts/tests/test_settings_pages.py, tickets/tests/sla/test_settings.py",
    "settings:sla_schedule_new": "accounts/tests/test_settings_pages.py, tickets/tests/sla/test_settings.py",
    "settings:sla_schedule": "accounts/tests/test_settings_pages.py, tickets/tests/sla/test_settings.py",
    "settings:sla_policies": "accounts/tests/test_settings_pages.py, tickets/tests/sla/test_settings.py",
    "settings:sla_policy_new": "accounts/tests/test_settings_pages.py, tickets/tests/sla/test_settings.py",
    "settings:sla_policy": "accounts/tests/test_settings_pages.py, tickets/tests/sla/test_settings.py",
    # Outgoing webhooks (tickets.webhooks.settings_pages): admins only, 404 for everyone else.
    "settings:webhooks": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook_new": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook_active": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook_test": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook_secret": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook_delete": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook_deliveries": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    "settings:webhook_redeliver": "accounts/tests/test_settings_pages.py, tickets/tests/webhooks/test_pages.py",
    # Provider webhooks: no session; basic auth and signatures (404 until configured).
    "mail:inbound_mailgun": "tickets/tests/mail/test_webhooks.py",
    "mail:inbound_mailgun_mime": "tickets/tests/mail/test_webhooks.py",
    "mail:inbound_sendgrid": "tickets/tests/mail/test_webhooks.py",
    "mail:inbound_postmark": "tickets/tests/mail/test_webhooks.py",
    "mail:inbound_amazon_ses": "tickets/tests/mail/test_webhooks.py",
    "settings:triggers": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:trigger_new": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:trigger": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:trigger_move": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:trigger_active": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:trigger_delete": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:macros": "tickets/tests/test_macro_settings.py, accounts/tests/test_settings_pages.py",
    "settings:macro_new": "tickets/tests/test_macro_settings.py, accounts/tests/test_settings_pages.py",
    "settings:macro": "tickets/tests/test_macro_settings.py, accounts/tests/test_settings_pages.py",
    "settings:macro_active": "tickets/tests/test_macro_settings.py, accounts/tests/test_settings_pages.py",
    "settings:macro_delete": "tickets/tests/test_macro_settings.py, accounts/tests/test_settings_pages.py",
    "settings:automations": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:automation_new": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:automation": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:automation_move": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:automation_active": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
    "settings:automation_delete": "tickets/tests/test_rule_settings.py, accounts/tests/test_settings_pages.py",
}


def _routes(patterns, ns=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{ns}:{pattern.namespace}" if ns and pattern.namespace else (pattern.namespace or ns)
            yield from _routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{ns}:{pattern.name}" if ns else pattern.name


def test_every_route_is_in_the_matrix():
    names = {name for name in _routes(get_resolver().url_patterns) if not name.startswith(("admin:", "api:"))}
    assert names - set(ROUTES) == set(), "add the new routes to ROUTES with how they are checked"
    assert set(ROUTES) - names == set(), "ROUTES lists routes that no longer exist"


def test_every_api_operation_is_in_the_api_table():
    import re

    from drf_spectacular.generators import SchemaGenerator

    from tickets.tests.api.table import ROWS

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    tabled = {(row.method.upper(), re.sub(r"\{[^}]+\}", "{}", row.path.split("?")[0])) for row in ROWS}
    # Operations whose callers are not the personas of the table, checked in their own module.
    elsewhere = {("POST", "/api/v1/auth/token/"): "tickets/tests/api/test_api_settings.py and accounts tests"}
    assert operations - tabled - set(elsewhere) == set(), (
        "every OpenAPI operation needs rows in tickets/tests/api/table.py"
    )


# --- revocation takes effect on the next request (sessions and tokens) ---------------------------


def test_revocation_applies_to_the_next_request(client, world, billing_team):
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    t1 = world["t1"]
    tom = world["people"]["team_agent"]
    ada = world["people"]["ada"]
    token = Token.objects.create(user=ada)
    api = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get(f"/api/v1/tickets/{t1}/", **api).status_code == 200
    # A token-only customer sees exactly what the session sees, and nothing once deactivated.
    ada.is_active = False
    ada.save(update_fields=["is_active"])
    assert client.get(f"/api/v1/tickets/{t1}/", **api).status_code == 401
    # An agent removed from the team loses the ticket at once, on the pages and the API.
    client.force_login(tom)
    assert client.get(f"/agent/tickets/{t1}/").status_code == 200
    account_services.team_remove_member(team=billing_team, user=User.objects.get(pk=tom.pk))
    assert client.get(f"/agent/tickets/{t1}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{t1}/").status_code == 404
    # A demoted agent is a customer on the next request: no agent workspace, no internal notes.
    agent = world["people"]["agent"]
    client.force_login(agent)
    assert "CANARY-T1-NOTE" in client.get(f"/agent/tickets/{t1}/").content.decode()
    account_services.user_set_role(user=User.objects.get(pk=agent.pk), role="customer")
    assert client.get(f"/agent/tickets/{t1}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{t1}/").status_code == 404
