"""A memo that lives for one request (or one explicit block of work), and no longer.

Some answers are asked for many times while one request is served — which ticket permissions a
user holds, which teams they are in — and are expensive enough to read once. They must never
outlive the request: the next request may find access changed. ``RequestMemoMiddleware`` opens a
fresh memo for every request; code outside a request (jobs, commands, tests calling services)
may open one with ``scope()``, and without one nothing is remembered.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Hashable, Iterator
from typing import Any, ParamSpec, TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")
P = ParamSpec("P")

_memo: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar("helpdesk_memo", default=None)


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """Remember answers inside this block; forget them all when it ends."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def scoped(func: Callable[P, T]) -> Callable[P, T]:
    """Run ``func`` in a scope of its own unless one is already open: a service call is one unit
    of work, so a job, a command or an importer calling it outside a request still reads each
    answer (the actor's access profile, their levels on the ticket) once per call, not once per
    check. Inside a request the request's scope is used."""

    @functools.wraps(func)
    def in_scope(*args: P.args, **kwargs: P.kwargs) -> T:
        if _memo.get() is not None:
            return func(*args, **kwargs)
        with scope():
            return func(*args, **kwargs)

    return in_scope


def active() -> bool:
    """Whether a scope is open (a request, or a ``scope()`` block)."""
    return _memo.get() is not None


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, computed once per scope for ``key`` (every time when no scope is open)."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def put(key: Hashable, value: Any) -> None:
    """Remember ``value`` for ``key`` in the open scope (nothing without one)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def forget(key: Hashable) -> None:
    """Drop what is remembered for ``key`` in the open scope (after a change it depends on)."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


def forget_all() -> None:
    """Drop everything remembered in the open scope (after a change the answers depend on)."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()


class RequestMemoMiddleware:
    """Serve each request inside its own memo ``scope()``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with scope():
            return self.get_response(request)
