"""Hostile input on every page of the settings area (issue 13 §4), as in ``test_hostile_input_pages.py``
(its own module so that the two run side by side): each route of the table in ``tickets/tests/hostile.py``,
as anonymous, customer, agent and admin, with hostile query, path and form values — never a 5xx,
and a NUL byte in a query or form is always a 400 (PostgreSQL cannot store it; SQLite answers the
same)."""

from __future__ import annotations

import pytest

from tickets.tests import hostile
from tickets.tests.hostile_fixtures import check, hostile_world, shared_hostile_world  # noqa: F401

pytestmark = pytest.mark.django_db

PAGES = [name for name in sorted(hostile.ROUTES) if name.startswith("settings:")]


@pytest.mark.parametrize("name", PAGES)
def test_page_answers_hostile_input_without_a_server_error(name, hostile_world):  # noqa: F811 (the imported fixture)
    check(name, hostile_world)
