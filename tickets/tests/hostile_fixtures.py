"""The fixtures and the check every ``test_hostile_input_*.py`` module shares: import them with
``from tickets.tests.hostile_fixtures import hostile_world, shared_hostile_world``."""

from __future__ import annotations

import copy

import pytest

from conftest import built_once
from tickets.tests import hostile


@pytest.fixture(scope="module")
def shared_hostile_world(django_db_setup, django_db_blocker):
    """``hostile.make_world()``, built once per module (``conftest.built_once``)."""
    yield from built_once(django_db_blocker, hostile.make_world)


@pytest.fixture
def hostile_world(shared_hostile_world, db, settings):
    """A deep copy of the module's world for one test, with the API's throttles out of the way
    (every route gets hundreds of requests)."""
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    return copy.deepcopy(shared_hostile_world)


def check(name: str, world: hostile.World) -> None:
    """Every hostile probe of route ``name`` as every persona: no 5xx, and a NUL byte is a 400."""
    sent, failures = hostile.check_route(name, world)
    assert sent > 0
    assert failures == [], "\n".join(failures[:20])
