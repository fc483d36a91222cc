"""Hostile input on every page (issue 13 §4): each route of the table in ``tickets/tests/hostile.py``,
as anonymous, customer, agent and admin, with hostile query, path and form values — never a 5xx,
and a NUL byte in a query or form is always a 400 (PostgreSQL cannot store it; SQLite answers the
same). The settings area's routes are in ``test_hostile_input_settings.py``, the admin's in
``test_hostile_input_admin.py``, the API's in ``test_hostile_input_api.py`` and
``test_hostile_input_zendesk.py``, so that they run side by side."""

from __future__ import annotations

import pytest

from tickets.tests import hostile
from tickets.tests.hostile_fixtures import check, hostile_world, shared_hostile_world  # noqa: F401

pytestmark = pytest.mark.django_db

PAGES = [name for name in sorted(hostile.ROUTES) if not name.startswith(("api:", "admin:", "settings:"))]


@pytest.mark.parametrize("name", PAGES)
def test_page_answers_hostile_input_without_a_server_error(name, hostile_world):  # noqa: F811 (the imported fixture)
    check(name, hostile_world)


def test_every_route_is_in_the_hostile_input_table():
    names = {p.name for p in hostile.url_patterns()}
    tabled = set(hostile.all_routes()) | set(hostile.EXEMPT)
    assert names - tabled == set(), "add the new routes to tickets/tests/hostile.py (ROUTES, or EXEMPT with why)"
    assert tabled - names == set(), "tickets/tests/hostile.py lists routes that no longer exist"
