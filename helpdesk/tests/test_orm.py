"""``helpdesk.orm``: the cheaper identity of a column reference is Django's own, value for value."""

from __future__ import annotations

from django.apps import apps
from django.db.models import CharField, F
from django.db.models.expressions import Col, Expression

from helpdesk import orm
from tickets.models import Ticket


def _columns() -> list[Col]:
    text: CharField[str, str] = CharField()
    cols: list[Col] = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            cols += [
                Col(model._meta.db_table, field),
                Col(None, field),  # type: ignore[arg-type]  # a column without a table alias
                Col("T3", field, text),
                Col(alias="T4", target=field),
                Col("T5", field, output_field=field),
            ]
    return cols


def test_installed_on_col_only():
    assert Col.__dict__["identity"].func is orm.col_identity
    assert "identity" not in Expression.__dict__ or Expression.__dict__["identity"].func is not orm.col_identity


def test_every_column_of_every_model_has_djangos_identity():
    cols = _columns()
    assert len(cols) > 500
    for col in cols:
        assert orm.col_identity(col) == orm._GENERIC(col), col
        assert col.identity == orm._GENERIC(col)


def test_equality_and_hashing_follow_the_identity():
    subject = Ticket._meta.get_field("subject")
    status = Ticket._meta.get_field("status")
    assert Col("t", subject) == Col("t", subject)
    assert hash(Col("t", subject)) == hash(Col("t", subject))
    assert Col("t", subject) != Col("u", subject)
    assert Col("t", subject) != Col("t", status)
    assert Col("t", subject) != Col("t", subject, CharField())
    assert len({Col("t", subject), Col("t", subject), Col("t", status)}) == 2


def test_queries_compile_to_the_same_sql_as_with_djangos_identity(db):
    querysets = [
        Ticket.objects.order_by("-updated_at", "-id"),
        Ticket.objects.values("id", "subject").order_by("subject"),
        Ticket.objects.annotate(who=F("requester__name")).order_by("who", "id"),
        Ticket.objects.select_related("requester", "team").order_by("-priority_rank", "created_at"),
    ]
    ours = [str(qs.query) for qs in querysets]
    saved = Col.__dict__["identity"]
    try:
        del Col.identity  # Django's generic property, inherited from Expression
        generic = [str(qs.all().query) for qs in querysets]
    finally:
        Col.identity = saved
    assert ours == generic
