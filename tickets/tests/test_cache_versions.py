"""Cache versions read once per request, the desk-wide ones together (``tickets.caching.versions``)."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

from helpdesk import memo
from tickets import caching, directory
from tickets.queue_views import SAVED_VIEWS_KEY
from tickets.services.macros import MACROS_KEY

pytestmark = pytest.mark.django_db

READS: list[list[str]] = []


class CountedCache(LocMemCache):
    """The local-memory cache, with every read of versions written down."""

    def get_many(self, keys, version=None):
        keys = list(keys)
        READS.append(keys)
        return super().get_many(keys, version=version)


@pytest.fixture
def counted():
    READS.clear()
    backend = {"BACKEND": f"{__name__}.CountedCache", "LOCATION": "versions-test"}
    with override_settings(CACHES={"default": backend}):
        caches["default"].clear()
        yield READS


def test_a_request_reads_the_desk_wide_versions_in_one_round_trip(counted):
    with memo.scope():
        first = caching.versions([MACROS_KEY, caching.ACCESS_KEY])
        second = caching.versions([SAVED_VIEWS_KEY, caching.ACCESS_KEY])
        third = caching.version(directory.DIRECTORY_KEY)
        again = caching.versions([MACROS_KEY, caching.ACCESS_KEY])
    assert len(counted) == 1
    assert set(counted[0]) >= {MACROS_KEY, SAVED_VIEWS_KEY, directory.DIRECTORY_KEY, caching.ACCESS_KEY}
    assert again == first and second[1] == first[1] and third > 0
    # A version no page reads together (a team's) is read on its own, once.
    with memo.scope():
        caching.version(caching.team_key(7))
        caching.version(caching.team_key(7))
    assert [len(reads) for reads in counted[1:]] == [len({*caching._TOGETHER, caching.team_key(7)})]


def test_a_bump_in_the_request_is_read_again(counted):
    with memo.scope():
        before = caching.version(MACROS_KEY)
        caching.changed_now_and_at_commit(MACROS_KEY)
        after = caching.version(MACROS_KEY)
        assert after == before + 1
        assert caching.version(caching.ACCESS_KEY) == caching.version(caching.ACCESS_KEY)


def test_outside_a_request_every_read_asks_the_cache(counted):
    caching.version(MACROS_KEY)
    caches["default"].incr(MACROS_KEY)  # another process's change
    assert caching.versions([MACROS_KEY]) == [caches["default"].get(MACROS_KEY)]
    assert counted == [[MACROS_KEY], [MACROS_KEY]]


def test_a_kept_list_follows_a_change_made_earlier_in_the_same_request(counted, agent, admin):
    from accounts import services as account_services
    from accounts.models import Role

    with memo.scope():
        assert [row.name for row in directory.staff_rows()] == ["Alice Agent", "Ray Admin"]
        account_services.user_create(email="bo@desk.test", name="Bo Agent", password="x" * 12, role=Role.AGENT)
        assert [row.name for row in directory.staff_rows()] == ["Alice Agent", "Bo Agent", "Ray Admin"]
