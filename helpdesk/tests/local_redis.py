"""The local Redis the tests that need a real one use (``helpdesk.settings_test``: database 15)."""

from __future__ import annotations

import os

import pytest
import redis
from django.conf import settings


def redis_url() -> str:
    """The test Redis's URL; skips the test when no Redis runs here (fails it under ``CI=true``)."""
    url = settings.CELERY_BROKER_URL
    assert url, "helpdesk.settings_test names a broker"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {url}")
        pytest.skip(f"Redis is not running at {url} (start redis-server to run this test)")
    return url
