"""Hostile input on every route of the Django admin (issue 13 §4): the table in
``tickets/tests/hostile.py`` is built from the registered ModelAdmins (change-list search, sort,
paging and filters; object ids; every editable field of the add and change forms)."""

from __future__ import annotations

import pytest

from tickets.tests import hostile
from tickets.tests.hostile_fixtures import check, hostile_world, shared_hostile_world  # noqa: F401

pytestmark = pytest.mark.django_db

ADMIN = [name for name in sorted(hostile.all_routes()) if name.startswith("admin:")]


@pytest.mark.parametrize("name", ADMIN)
def test_admin_answers_hostile_input_without_a_server_error(name, hostile_world):  # noqa: F811 (the imported fixture)
    check(name, hostile_world)
