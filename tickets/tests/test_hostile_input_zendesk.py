"""Hostile input on every endpoint of the Zendesk-compatible API (/api/v2/, issue 18), as in
``test_hostile_input_api.py`` (its own module so that the two run side by side); from the table in
``tickets/tests/hostile.py``:
hostile query and path values and JSON bodies (NUL bytes in strings and keys, lone surrogates,
deep nesting, wrong types, invalid JSON) as anonymous, customer, agent and admin — never a 5xx, and a
NUL byte is always a 400 in the API's error format. Schemathesis (``api/test_api_schema.py``) adds
generated values within the documented schema."""

from __future__ import annotations

import pytest

from tickets.tests import hostile
from tickets.tests.hostile_fixtures import check, hostile_world, shared_hostile_world  # noqa: F401

pytestmark = pytest.mark.django_db

ENDPOINTS = sorted(name for name in hostile.ROUTES if name.startswith("api:zendesk"))


@pytest.mark.parametrize("name", ENDPOINTS)
def test_endpoint_answers_hostile_input_without_a_server_error(name, hostile_world):  # noqa: F811 (the imported fixture)
    check(name, hostile_world)
