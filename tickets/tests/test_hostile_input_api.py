"""Hostile input on every API endpoint (issue 13 §4), from the table in ``tickets/tests/hostile.py``:
hostile query and path values and JSON bodies (NUL bytes in strings and keys, lone surrogates,
deep nesting, wrong types, invalid JSON) as anonymous, customer, agent and admin — never a 5xx, and a
NUL byte is always a 400 in the API's error format. Schemathesis (``api/test_api_schema.py``) adds
generated values within the documented schema."""

from __future__ import annotations

import copy

import pytest

from conftest import built_once
from tickets.tests import hostile

pytestmark = pytest.mark.django_db

# The Zendesk-compatible /api/v2/ is in test_hostile_input_zendesk.py, so the two run side by side.
ENDPOINTS = sorted(name for name in hostile.ROUTES if name.startswith("api:") and not name.startswith("api:zendesk"))


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, hostile.make_world)


@pytest.fixture
def world(shared_world, settings):
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    return copy.deepcopy(shared_world)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_endpoint_answers_hostile_input_without_a_server_error(name, world):
    sent, failures = hostile.check_route(name, world)
    assert sent > 0
    assert failures == [], "\n".join(failures[:20])
