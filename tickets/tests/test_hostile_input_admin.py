"""Hostile input on every route of the Django admin (issue 13 §4): the table in
``tickets/tests/hostile.py`` is built from the registered ModelAdmins (change-list search, sort,
paging and filters; object ids; every editable field of the add and change forms)."""

from __future__ import annotations

import copy

import pytest

from conftest import built_once
from tickets.tests import hostile

pytestmark = pytest.mark.django_db

ADMIN = [name for name in sorted(hostile.all_routes()) if name.startswith("admin:")]


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, hostile.make_world)


@pytest.fixture
def world(shared_world, db):
    return copy.deepcopy(shared_world)


@pytest.mark.parametrize("name", ADMIN)
def test_admin_answers_hostile_input_without_a_server_error(name, world):
    sent, failures = hostile.check_route(name, world)
    assert sent > 0
    assert failures == [], "\n".join(failures[:20])
