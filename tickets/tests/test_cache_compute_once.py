"""A missing cached value is computed in one place at a time (``tickets.caching.cached``): the
requests asking meanwhile wait for it instead of running the same queries together."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from tickets import caching


@pytest.fixture(autouse=True)
def own_cache():
    backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "compute-once-test"}
    with override_settings(CACHES={"default": backend}):
        caches["default"].clear()
        yield


class SlowFigure:
    """A computation that, the first time, holds until released (and may then fail)."""

    def __init__(self, *, first_fails: bool = False) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.first_fails = first_fails

    def __call__(self) -> str:
        self.calls += 1
        if self.calls == 1:
            self.started.set()
            assert self.release.wait(10)
            if self.first_fails:
                raise RuntimeError("the database went away")
        return f"figure {self.calls}"


def ask(compute, answers: list, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            answers.append(caching.cached("stats:test", compute, timeout=60, scope=[caching.STATISTICS_KEY]))
        except RuntimeError as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_requests_asking_while_it_is_computed_wait_for_the_one_value():
    compute, answers, errors = SlowFigure(), [], []
    first = ask(compute, answers, errors)
    assert compute.started.wait(10)
    others = [ask(compute, answers, errors) for _ in range(3)]
    time.sleep(0.3)  # the others find the value missing and the lock taken
    compute.release.set()
    for thread in (first, *others):
        thread.join(10)
    assert compute.calls == 1
    assert answers == ["figure 1"] * 4 and not errors
    assert caching.cached("stats:test", compute, timeout=60, scope=[caching.STATISTICS_KEY]) == "figure 1"
    # A change: a new value is computed, once.
    caching._bump([caching.STATISTICS_KEY])
    assert caching.cached("stats:test", compute, timeout=60, scope=[caching.STATISTICS_KEY]) == "figure 2"


def test_when_the_computing_request_fails_a_waiting_one_computes_for_itself():
    compute, answers, errors = SlowFigure(first_fails=True), [], []
    first = ask(compute, answers, errors)
    assert compute.started.wait(10)
    waiting = ask(compute, answers, errors)
    time.sleep(0.3)
    compute.release.set()
    first.join(10)
    waiting.join(10)
    assert [str(error) for error in errors] == ["the database went away"]
    assert answers == ["figure 2"]
    assert compute.calls == 2
    # Nothing is left locked: the next miss computes at once.
    caching._bump([caching.STATISTICS_KEY])
    started = time.monotonic()
    assert caching.cached("stats:test", compute, timeout=60, scope=[caching.STATISTICS_KEY]) == "figure 3"
    assert time.monotonic() - started < caching.COMPUTING_SECONDS / 10
