"""Personas of DESIGN §10 and shared fixtures, built through services as a user would."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from accounts.models import Role, TicketScope
from helpdesk.browsers import CHROMIUM_ARGS
from helpdesk.browsers import chromium_path as _chromium_path

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached counts keyed by user id must not cross tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _desk_language():
    """Each test starts in the desk's language and time zone: a request as a Spanish reader leaves
    Spanish (and their zone) active in the thread, which a later test's direct service calls and
    their messages would otherwise speak."""
    from django.utils import timezone, translation

    translation.deactivate()
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()


def built_once(django_db_blocker, build):
    """The body of a module-scoped fixture whose data all of a module's tests share:
    ``yield from built_once(django_db_blocker, make_world)``.

    ``build()`` runs inside a transaction that stays open while the module runs and is rolled back
    at its end (what Django's ``TestCase.setUpTestData`` does for a class): each test's own
    transaction nests in it as a savepoint, so a test's writes are undone after it and the next
    test finds the data as built. Hand each test a ``copy.deepcopy`` of what this yields, so
    changes a test makes to the objects in memory do not reach the next one either. Only for
    modules whose tests are not transactional (``transaction=True`` cannot nest)."""
    from django.test import TestCase

    with django_db_blocker.unblock():
        atomics = TestCase._enter_atomics()
        try:
            yield build()
        finally:
            TestCase._rollback_atomics(atomics)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def acme(db):
    """A customer organization that shares tickets among its members."""
    return account_services.organization_create(name="Acme Corp", share_tickets=True)


@pytest.fixture
def globex(db):
    """A customer organization that does not share tickets."""
    return account_services.organization_create(name="Globex", share_tickets=False)


@pytest.fixture
def billing_team(db):
    return account_services.team_create(name="Billing")


@pytest.fixture
def tech_team(db):
    return account_services.team_create(name="Technical")


@pytest.fixture
def customer(db, acme):
    """The requester of most test tickets; a member of Acme (which shares tickets)."""
    return account_services.user_create(
        email="ada@acme.test", name="Ada Customer", password=PASSWORD, organization=acme
    )


@pytest.fixture
def org_member(db, acme):
    """Ada's colleague at Acme: sees Acme's tickets, may not act on them."""
    return account_services.user_create(
        email="bob@acme.test", name="Bob Colleague", password=PASSWORD, organization=acme
    )


@pytest.fixture
def other_customer(db, globex):
    return account_services.user_create(
        email="eve@globex.test", name="Eve Outsider", password=PASSWORD, organization=globex
    )


@pytest.fixture
def agent(db):
    """An agent who works every ticket."""
    return account_services.user_create(
        email="alice@desk.test", name="Alice Agent", password=PASSWORD, role=Role.AGENT, ticket_scope=TicketScope.ALL
    )


@pytest.fixture
def team_agent(db, billing_team):
    """An agent who works only Billing's tickets."""
    return account_services.user_create(
        email="tom@desk.test",
        name="Tom Billing",
        password=PASSWORD,
        role=Role.AGENT,
        ticket_scope=TicketScope.TEAMS,
        teams=[billing_team],
    )


@pytest.fixture
def other_team_agent(db, tech_team):
    """An agent who works only Technical's tickets."""
    return account_services.user_create(
        email="tina@desk.test",
        name="Tina Technical",
        password=PASSWORD,
        role=Role.AGENT,
        ticket_scope=TicketScope.TEAMS,
        teams=[tech_team],
    )


@pytest.fixture
def admin(db):
    return account_services.user_create(email="root@desk.test", name="Ray Admin", password=PASSWORD, role=Role.ADMIN)


@pytest.fixture
def ticket(db, customer, admin, billing_team):
    """Ada's ticket, filed in the portal and routed to Billing by an admin."""
    from tickets import services

    created = services.ticket_create(
        actor=customer,
        subject="Cannot download invoice",
        description="When I click the download link nothing happens at all.",
    )
    return services.ticket_update(actor=admin, ticket=created, team=billing_team)


# --- browser tests ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (the Playwright browser download does not work here).

    Skips only when Chromium is missing on a developer's machine; under CI=true that is a failure.
    """
    import os

    path = _chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
    # browser steps are ordinary synchronous code, so Django's async guard does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(live_server):
    """pytest-django's server (one per session), quieted after each test that used it: the live
    hub's streams are ended and the server's request threads allowed to finish before the test
    database is flushed. A stream or presence request still querying when the flush's TRUNCATE
    runs can deadlock with it on PostgreSQL (seen in CI on a live-updates browser test)."""
    yield live_server
    _quiet_live_server()


def _quiet_live_server(timeout: float = 10.0) -> None:
    import threading
    import time

    from tickets.live.hub import hub

    hub.shutdown()
    busy = ("process_request_thread", "helpdesk-live-")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(any(name in thread.name for name in busy) for thread in threading.enumerate()):
            return
        time.sleep(0.05)


@pytest.fixture
def browser_context(chromium, live_server):
    """A fresh browser profile pointed at the live test server; call ``.new_page()`` on it."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def pytest_collection_modifyitems(config, items):
    """Tests of PostgreSQL-only code paths (COPY loading, trigger handling) are deselected, not
    skipped, on the SQLite run: there is nothing on SQLite for them to test."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session, exitstatus):
    """End the live streams' listener (it holds a connection to the test database)."""
    from tickets.live.hub import hub

    hub.shutdown()
