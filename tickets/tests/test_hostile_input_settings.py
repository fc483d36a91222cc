"""Hostile input on every page of the settings area (issue 13 §4), as in ``test_hostile_input_pages.py``
(its own module so that the two run side by side): each route of the table in ``tickets/tests/hostile.py``,
as anonymous, customer, agent and admin, with hostile query, path and form values — never a 5xx,
and a NUL byte in a query or form is always a 400 (PostgreSQL cannot store it; SQLite answers the
same)."""

from __future__ import annotations

import copy

import pytest

from conftest import built_once
from tickets.tests import hostile

pytestmark = pytest.mark.django_db

PAGES = [name for name in sorted(hostile.ROUTES) if name.startswith("settings:")]


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, hostile.make_world)


@pytest.fixture
def world(shared_world, db):
    return copy.deepcopy(shared_world)


@pytest.mark.parametrize("name", PAGES)
def test_page_answers_hostile_input_without_a_server_error(name, world):
    sent, failures = hostile.check_route(name, world)
    assert sent > 0
    assert failures == [], "\n".join(failures[:20])
