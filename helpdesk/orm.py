"""A cheaper identity for the ORM's column references (``django.db.models.expressions.Col``).

Django compares and hashes expressions by their *identity*: the class and the arguments the
expression was built with. The generic ``Expression.identity`` finds those arguments by binding
them to the constructor's ``inspect.Signature`` — tens of microseconds each. Since Django 4.2 the
SQL compiler hashes every selected column of every query that has an ORDER BY (to order by
position), so a list query over the ticket table's 22 columns spent about 0.4 ms just naming its
columns, and a page of ten such queries several milliseconds: 6 % of the agent queue's CPU in a
profile of the hostile-input tests.

``Col``'s constructor is ``(alias, target, output_field=None)``; ``col_identity`` builds the very
tuple the generic property would (``helpdesk/tests/test_orm.py`` compares the two for every
concrete column of every model), without the signature. Subclasses of ``Col`` keep Django's.
"""

from __future__ import annotations

from typing import Any

from django.db.models.expressions import Col, Expression
from django.utils.functional import cached_property

_GENERIC = Expression.__dict__["identity"].func  # Django's own, for subclasses and the test
_PARAMETERS = ("alias", "target", "output_field")


def _identify(value: Any) -> Any:
    """How Django's identity names one argument (a field by its model label and name)."""
    return Expression._identity(value)  # type: ignore[attr-defined]


def col_identity(col: Col) -> tuple[Any, ...]:
    if type(col) is not Col:
        return _GENERIC(col)
    args, kwargs = col._constructor_args  # type: ignore[attr-defined]  # set by @deconstructible
    bound = dict(zip(_PARAMETERS, args, strict=False))
    bound.update(kwargs)
    return (
        Col,
        ("alias", _identify(bound.get("alias"))),
        ("target", _identify(bound["target"])),
        ("output_field", _identify(bound.get("output_field"))),
    )


def install() -> None:
    """Give ``Col`` the cheaper identity (from ``HelpdeskConfig.ready``; idempotent)."""
    if getattr(Col.__dict__.get("identity"), "func", None) is col_identity:
        return
    prop = cached_property(col_identity)
    prop.__set_name__(Col, "identity")
    Col.identity = prop  # type: ignore[method-assign,assignment]
