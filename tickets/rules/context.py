"""Which rule or macro is acting right now, so the history a service writes says so.

``acting_for(kind, rule)`` wraps the service calls a macro, trigger or automation makes; every
history event written inside it carries ``data["via"] = {"kind", "id", "name"}`` and the
timeline shows "(via macro “Refund sent”)". A context variable, so concurrent requests and
threads never see each other's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

_via: ContextVar[dict[str, Any] | None] = ContextVar("helpdesk_rule_via", default=None)

MACRO, TRIGGER, AUTOMATION = "macro", "trigger", "automation"
#: An SLA policy's breach actions (``tickets.sla.escalation``).
SLA_POLICY = "sla_policy"


@contextlib.contextmanager
def acting_for(kind: str, rule: Any) -> Iterator[dict[str, Any]]:
    via = {"kind": kind, "id": rule.pk, "name": str(rule.name)}
    token = _via.set(via)
    try:
        yield via
    finally:
        _via.reset(token)


def current() -> dict[str, Any] | None:
    return _via.get()
