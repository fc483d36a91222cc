"""axe-core over every page of the site, in real Chromium, at desktop and phone sizes (issue 14 §4).

axe-core is the real library from a pinned package (``axe-playwright-python`` in
requirements-dev.txt bundles ``axe.min.js``); it is loaded from the installed package into every
page at test time. The list of pages is checked against the URL conf: every named route answered
by GET with an HTML page is either in ``PAGES`` or in ``EXEMPT`` with the reason, so a new page
cannot escape the check.

Serious and critical violations fail the test, except the named expectations in ``EXPECTED``
(page + rule + reason); an expectation that no longer fires fails too, so the list only shrinks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest

from conftest import sign_in
from tickets.tests import hostile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The phone pass runs at the narrowest phone width the layouts promise (360 px): it also checks
# that nothing scrolls sideways (test_accessibility_phone_browser.py).
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 360, "height": 740}}
FAILING_IMPACTS = {"serious", "critical"}


@dataclass(frozen=True)
class Page:
    route: str  # the URL name
    persona: str  # anonymous, customer, agent or admin (hostile.make_world's people)
    path: Callable[[hostile.World], dict[str, Any]] | None = None  # path parameters, from the world
    query: str = ""
    ready: str | None = None  # a selector to wait for (pages that render with JavaScript)


def _ticket(world: hostile.World) -> dict[str, Any]:
    return {"pk": world["ticket"].pk}


def _first(model_label: str) -> Callable[[hostile.World], dict[str, Any]]:
    def first(world: hostile.World) -> dict[str, Any]:
        from django.apps import apps

        return {"object_id": apps.get_model(model_label)._default_manager.order_by("pk").first().pk}

    return first


# Each page once per persona that sees it (the layout differs between customers and agents).
PAGES: dict[str, Page] = {
    # Account pages.
    "login": Page("accounts:login", "anonymous"),
    "signup": Page("accounts:signup", "anonymous"),
    "signup-confirm": Page("accounts:signup_confirm", "anonymous", lambda w: {"token": w["signup"]}),
    "invite-accept": Page("accounts:invite_accept", "anonymous", lambda w: {"token": w["invite"].token}),
    "satisfaction-rate": Page("satisfaction:rate", "anonymous", lambda w: {"token": w["survey"]}, query="?score=good"),
    "portal-ticket-survey": Page("portal:ticket", "customer", lambda w: {"pk": w["solved_ticket"].pk}),
    "agent-ticket-survey": Page("agent:ticket", "agent", lambda w: {"pk": w["solved_ticket"].pk}),
    "password-reset": Page("accounts:password_reset", "anonymous"),
    "password-reset-done": Page("accounts:password_reset_done", "anonymous"),
    "password-reset-confirm": Page(
        "accounts:password_reset_confirm", "anonymous", lambda w: {"uidb64": w["reset"][0], "token": w["reset"][1]}
    ),
    "password-reset-complete": Page("accounts:password_reset_complete", "anonymous"),
    "profile-customer": Page("accounts:profile", "customer"),
    "profile-agent": Page("accounts:profile", "agent"),
    "notifications-customer": Page("notifications:list", "customer"),
    "notifications-agent": Page("notifications:list", "agent"),
    # The portal.
    "my-tickets": Page("portal:my_tickets", "customer"),
    "new-ticket": Page("portal:new_ticket", "customer"),
    "portal-ticket": Page("portal:ticket", "customer", _ticket),
    # The agent workspace.
    "queue": Page("agent:queue", "agent", query="?view=all"),
    "agent-ticket": Page("agent:ticket", "agent", _ticket),
    "stats": Page("agent:stats", "agent"),
    "saved-view-new": Page("agent:view_new", "agent", query="?view=mine&status=open&q=printer"),
    "saved-view-edit": Page("agent:view_edit", "agent", lambda w: {"pk": w["saved_view"].pk}),
    "stats-weeks": Page("agent:stats", "admin", query="?period=90"),
    "stats-sla": Page("agent:stats_sla", "admin"),
    "stats-sla-agent": Page("agent:stats_sla", "agent", query="?period=7"),
    # The API's interactive docs (Swagger UI renders with JavaScript).
    "api-docs": Page("api:docs", "anonymous", ready=".swagger-ui .opblock"),
    # The settings area (admins).
    "settings-people": Page("settings:people", "admin"),
    "settings-person": Page("settings:person", "admin", lambda w: {"pk": w["people"]["agent"].pk}),
    "settings-person-active": Page("settings:person_active", "admin", lambda w: {"pk": w["people"]["agent"].pk}),
    "settings-person-erase": Page("settings:person_erase", "admin", lambda w: {"pk": w["people"]["agent"].pk}),
    "settings-retention": Page("settings:retention", "admin"),
    "settings-retention-apply": Page("settings:retention_apply", "admin"),
    "settings-teams": Page("settings:teams", "admin"),
    "settings-team-new": Page("settings:team_new", "admin"),
    "settings-team": Page("settings:team", "admin", lambda w: {"pk": w["team"].pk}),
    "settings-team-delete": Page("settings:team_delete", "admin", lambda w: {"pk": w["team"].pk}),
    "settings-organizations": Page("settings:organizations", "admin"),
    "settings-organization-new": Page("settings:organization_new", "admin"),
    "settings-organization": Page(
        "settings:organization", "admin", lambda w: {"pk": w["people"]["customer"].organization_id}
    ),
    "settings-organization-delete": Page(
        "settings:organization_delete", "admin", lambda w: {"pk": w["people"]["customer"].organization_id}
    ),
    "settings-invitations": Page("settings:invitations", "admin"),
    "settings-invitation-new": Page("settings:invitation_new", "admin"),
    "settings-invitation-revoke": Page("settings:invitation_revoke", "admin", lambda w: {"pk": w["invite"].pk}),
    "settings-audit": Page("settings:audit", "admin"),
    "agent-message-original": Page(
        "agent:message_original", "agent", lambda w: {"pk": w["ticket"].pk, "message_id": w["emailed"].pk}
    ),
    "agent-macro-preview": Page(
        "agent:macro_preview", "agent", lambda w: {"pk": w["ticket"].pk, "macro_id": w["macro"].pk}
    ),
    "settings-mailboxes": Page("settings:mailboxes", "admin"),
    "settings-views": Page("settings:views", "admin"),
    "settings-mailbox-new": Page("settings:mailbox_new", "admin"),
    "settings-mailbox": Page("settings:mailbox", "admin", lambda w: {"pk": w["mailbox"].pk}),
    "settings-inbound-messages": Page("settings:inbound_messages", "admin"),
    "settings-ticket-fields": Page("settings:ticket_fields", "admin"),
    "settings-ticket-field-new": Page("settings:ticket_field_new", "admin"),
    "settings-ticket-field": Page("settings:ticket_field", "admin", lambda w: {"pk": w["ticket_field"].pk}),
    "settings-sla-schedules": Page("settings:sla_schedules", "admin"),
    "settings-sla-schedule-new": Page("settings:sla_schedule_new", "admin"),
    "settings-sla-schedule": Page("settings:sla_schedule", "admin", lambda w: {"pk": w["schedule"].pk}),
    "settings-sla-policies": Page("settings:sla_policies", "admin"),
    "settings-sla-policy-new": Page("settings:sla_policy_new", "admin"),
    "settings-sla-policy": Page("settings:sla_policy", "admin", lambda w: {"pk": w["sla_policy"].pk}),
    "settings-triggers": Page("settings:triggers", "admin"),
    "settings-trigger-new": Page("settings:trigger_new", "admin"),
    "settings-trigger": Page("settings:trigger", "admin", lambda w: {"pk": w["trigger"].pk}),
    "settings-trigger-delete": Page("settings:trigger_delete", "admin", lambda w: {"pk": w["trigger"].pk}),
    "settings-macros": Page("settings:macros", "admin"),
    "settings-macro-new": Page("settings:macro_new", "admin"),
    "settings-macro": Page("settings:macro", "admin", lambda w: {"pk": w["macro"].pk}),
    "settings-macro-delete": Page("settings:macro_delete", "admin", lambda w: {"pk": w["macro"].pk}),
    "agent-my-macros": Page("agent:my_macros", "agent"),
    "agent-my-macro-new": Page("agent:my_macro_new", "agent"),
    "agent-my-macro": Page("agent:my_macro", "agent", lambda w: {"pk": w["my_macro"].pk}),
    "agent-my-macro-delete": Page("agent:my_macro_delete", "agent", lambda w: {"pk": w["my_macro"].pk}),
    "settings-automations": Page("settings:automations", "admin"),
    "settings-automation-new": Page("settings:automation_new", "admin"),
    "settings-automation": Page("settings:automation", "admin", lambda w: {"pk": w["automation"].pk}),
    "settings-automation-delete": Page("settings:automation_delete", "admin", lambda w: {"pk": w["automation"].pk}),
    "settings-webhooks": Page("settings:webhooks", "admin"),
    "settings-webhook-new": Page("settings:webhook_new", "admin"),
    "settings-webhook": Page("settings:webhook", "admin", lambda w: {"pk": w["webhook"].pk}),
    "settings-webhook-delete": Page("settings:webhook_delete", "admin", lambda w: {"pk": w["webhook"].pk}),
    "settings-webhook-deliveries": Page("settings:webhook_deliveries", "admin", lambda w: {"pk": w["webhook"].pk}),
    # The admin.
    "admin-login": Page("admin:login", "anonymous"),
    "admin-index": Page("admin:index", "admin"),
    "admin-app": Page("admin:app_list", "admin", lambda w: {"app_label": "tickets"}),
    "admin-changelist": Page("admin:tickets_ticket_changelist", "admin"),
    "admin-change": Page("admin:tickets_ticket_change", "admin", _first("tickets.Ticket")),
    "admin-add": Page("admin:accounts_user_add", "admin"),
    "admin-user-change": Page("admin:accounts_user_change", "admin", _first("accounts.User")),
    "admin-history": Page("admin:tickets_ticket_history", "admin", _first("tickets.Ticket")),
    "admin-delete": Page("admin:tickets_ticket_delete", "admin", _first("tickets.Ticket")),
    "admin-password-change": Page("admin:password_change", "admin"),
}

# Named routes that are not pages to check, each with the reason.
EXEMPT: dict[str, str] = {
    "home": "only redirects to the person's start page (portal, queue or sign-in)",
    "health": "a plain-text health check, not a page",
    "ready": "a JSON readiness check, not a page",
    "metrics": "Prometheus's text format, not a page",
    "favicon": "redirects to the favicon image, not a page",
    "agent:counts": "JSON for the queue's live counts",
    "agent:stats_export": "a CSV download",
    "agent:stats_sla_export": "a CSV download",
    "attachments:download": "a file download",
    "attachments:preview": "an image, not a page",
    "live:events": "a server-sent event stream",
    "api:schema": "the OpenAPI document (YAML/JSON), not a page",
    "admin:autocomplete": "JSON for the admin's autocomplete widgets",
    "admin:jsi18n": "JavaScript (the admin's translation catalogue)",
    "admin:view_on_site": "only redirects to the object's page on the site",
    "settings:index": "only redirects to the first section of the settings area",
    "admin:password_change_done": "Django's stock admin template, the same blocks as admin:password_change",
}
# Whole families of routes exempt by pattern, each with the reason.
EXEMPT_PATTERNS: dict[str, str] = {
    r"^api:(?!docs$)": "the REST API answers JSON, not pages",
    r"^admin:\w+_(changelist|add|change|history|delete)(@redirect)?$": (
        "every ModelAdmin renders the same stock admin templates: one change list, change form, add form, "
        "history and delete page are checked (PAGES['admin-*'])"
    ),
    r"^admin:None@catch-all$": "the admin's catch-all only redirects or answers 404",
}

# Serious/critical violations known and not yet fixed: (page, rule) -> reason. Both sizes.
EXPECTED: dict[tuple[str, str], str] = {}
# Rules not run on one page, with the reason: markup of a third-party UI that we cannot change.
RULES_OFF: dict[str, dict[str, str]] = {
    "api-docs": {
        "nested-interactive": (
            "Swagger UI (drf-spectacular-sidecar) renders each operation's summary as a button-like "
            "control holding the copy and lock buttons; the markup is built by its React bundle"
        ),
    },
}


def _get_routes() -> set[str]:
    """Named routes answered by GET (the hostile-input table says which routes are POST only)."""
    table = hostile.all_routes()
    return {p.name for p in hostile.url_patterns() if p.name in table and table[p.name].get}


def test_every_page_route_is_checked_or_exempt():
    names = {p.name for p in hostile.url_patterns()}
    get_routes = _get_routes()
    checked = {page.route for page in PAGES.values()}
    exempt = set(EXEMPT) | {n for n in get_routes if any(re.search(p, n) for p in EXEMPT_PATTERNS)}
    missing = get_routes - checked - exempt
    assert missing == set(), "add these pages to PAGES in test_accessibility_browser.py (or EXEMPT with why)"
    assert (checked | set(EXEMPT)) - names == set(), "PAGES/EXEMPT name routes that no longer exist"


def _url(page: Page, world: hostile.World) -> str:
    from django.urls import reverse

    kwargs = page.path(world) if page.path else {}
    return reverse(page.route, kwargs=kwargs) + page.query


AXE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def _decorate(world: hostile.World) -> None:
    """Every state the colours are about: a Pending ticket, an internal note, unread notifications."""
    from tickets import services
    from tickets.models import Notification, Status

    agent, customer = world["people"]["agent"], world["people"]["customer"]
    ticket = world["ticket"]
    services.message_add(actor=agent, ticket=ticket, body="Checked the printer logs.", internal=True)
    services.message_add(actor=agent, ticket=ticket, body="Could you try once more?", status=Status.PENDING)
    event = ticket.events.order_by("-pk").first()
    Notification.objects.create(recipient=customer, ticket=ticket, event=event, kind="agent_replied")
    # SLA achievement in each tone: first reply met (100 %), next reply 4 of 5 (80 %), resolution breached.
    from datetime import timedelta

    from django.utils import timezone

    from tickets.models import EventKind
    from tickets.sla.models import SlaClock
    from tickets.sla.refresh import clock_event

    at = timezone.now() - timedelta(hours=2)
    for metric, outcomes in (("first_reply_time", "F"), ("next_reply_time", "FFFFB"), ("resolution_time", "B")):
        for outcome in outcomes:
            clock = SlaClock(ticket=ticket, metric=metric, target_minutes=60, used_seconds=1500, started_at=at)
            clock_event(clock, EventKind.SLA_FULFILLED if outcome == "F" else EventKind.SLA_BREACHED, at)


def _violations(page, key: str) -> list[dict[str, Any]]:
    rules = {rule: {"enabled": False} for rule in RULES_OFF.get(key, {})}
    results = page.evaluate("(rules) => axe.run(document, {resultTypes: ['violations'], rules})", rules)
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


@pytest.fixture
def world(settings):
    world = hostile.make_world()
    _decorate(world)
    world["ticket"].refresh_from_db()
    return world


def test_no_serious_axe_violations_on_a_desktop(chromium, live_server, world, password):
    check_size("desktop", chromium, live_server, world, password)


def check_size(
    size: str, chromium, live_server, world, password, *, also: Callable[[Any, str], None] | None = None
) -> None:
    """Every page of ``PAGES`` at ``size``, each persona signed in once: no serious or critical
    violation beyond ``EXPECTED``, and every expectation still fires. ``also(tab, key)`` runs on
    each page once it is loaded (the phone pass checks the layout in the same visit). (The phone
    size runs in ``test_accessibility_phone_browser.py``, so that the two sizes run side by side.)"""
    found: dict[tuple[str, str], str] = {}
    by_persona: dict[str, list[tuple[str, Page]]] = {}
    for key, page_spec in PAGES.items():
        by_persona.setdefault(page_spec.persona, []).append((key, page_spec))
    for persona, pages in by_persona.items():
        context = chromium.new_context(base_url=live_server.url, viewport=SIZES[size])
        context.set_default_timeout(15_000)
        context.add_init_script(script=AXE)
        try:
            tab = context.new_page()
            if persona != "anonymous":
                sign_in(tab, world["people"][persona].email, password)
            for key, page_spec in pages:
                response = tab.goto(_url(page_spec, world))
                assert response is not None and response.ok, f"{key}: {response and response.status}"
                if page_spec.ready:
                    tab.wait_for_selector(page_spec.ready)
                if also is not None:
                    also(tab, key)
                for violation in _violations(tab, key):
                    nodes = "; ".join(
                        f"{n['target'][-1]} ({n.get('failureSummary', '').splitlines()[-1].strip()})"
                        for n in violation["nodes"][:3]
                    )
                    found[(key, violation["id"])] = f"{violation['impact']}: {nodes}"
        finally:
            context.close()
    unexpected = {k: v for k, v in found.items() if k not in EXPECTED}
    stale = set(EXPECTED) - set(found)
    report = "\n".join(f"{page} {rule}: {detail}" for (page, rule), detail in sorted(unexpected.items()))
    assert not unexpected, f"serious/critical axe-core violations at {size}:\n{report}"
    assert not stale, f"fixed, remove from EXPECTED: {sorted(stale)}"


def test_shortcut_dialog_keeps_focus_inside_and_returns_it(chromium, live_server, world, password):
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=live_server.url, viewport=SIZES["desktop"])
    try:
        tab = context.new_page()
        sign_in(tab, world["people"]["agent"].email, password)
        tab.goto(f"/agent/tickets/{world['ticket'].pk}/")
        opener = tab.get_by_role("button", name="Keyboard shortcuts (?)")
        opener.focus()
        tab.keyboard.press("Enter")
        dialog = tab.get_by_role("dialog", name="Keyboard shortcuts")
        expect(dialog).to_be_visible()
        close = dialog.get_by_role("button", name="Close")
        expect(close).to_be_focused()
        for key in ("Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"):
            tab.keyboard.press(key)
            assert tab.evaluate("() => document.getElementById('shortcut-help').contains(document.activeElement)")
        tab.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(opener).to_be_focused()
        # Closed with its button, focus goes back to the opener too.
        opener.click()
        expect(close).to_be_focused()
        close.click()
        expect(opener).to_be_focused()
    finally:
        context.close()


def test_unread_notifications_are_marked_in_text(chromium, live_server, world, password):
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=live_server.url, viewport=SIZES["phone"])
    try:
        tab = context.new_page()
        sign_in(tab, world["people"]["customer"].email, password)
        tab.goto("/notifications/")
        unread = tab.locator(".notification-unread")
        expect(unread.first).to_be_visible()
        count = unread.count()
        expect(tab.locator(".unread-marker")).to_have_count(count)
        for i in range(count):
            expect(unread.nth(i).locator(".unread-marker")).to_be_visible()
            expect(unread.nth(i).get_by_role("button")).to_contain_text("Unread")
        # Read ones carry no marker.
        tab.get_by_role("button", name="Mark all as read").click()
        expect(tab.locator(".unread-marker")).to_have_count(0)
    finally:
        context.close()
