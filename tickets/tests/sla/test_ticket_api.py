"""The ticket API's SLA side: the ``sla`` block (detail and list, agents only), the
``sla_breached`` / ``sla_breach_before`` filters and the ``sla`` sort, documented in the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import Priority, Ticket
from tickets.sla.models import Metric
from tickets.sla.refresh import sla_refresh
from tickets.tests.api.support import token_client
from tickets.tests.sla.support import FrozenClock, policy

T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)
H = timedelta(hours=1)
TARGETS = [
    (Priority.NORMAL, Metric.FIRST_REPLY_TIME, 60, False),
    (Priority.NORMAL, Metric.RESOLUTION_TIME, 600, True),
]


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch, T0)


@pytest.fixture
def desk(db, customer, frozen):
    made = policy("Standard support", targets=TARGETS)
    under = services.ticket_create(actor=customer, subject="Printer on fire", description="x" * 20)
    sla_refresh(under)
    late = services.ticket_create(actor=customer, subject="Late ticket", description="x" * 20)
    sla_refresh(late)
    Ticket.objects.filter(pk=late.pk).update(sla_breach_at=T0 - H)
    # No target for low priority: the policy applies, no clock runs.
    plain = services.ticket_create(
        actor=customer, subject="Outside any SLA", description="x" * 20, priority=Priority.LOW
    )
    return {"policy": made, "under": under, "late": late, "plain": plain}


def test_agents_read_the_sla_block_on_the_detail(desk, agent):
    body = token_client(agent).get(f"/api/v1/tickets/{desk['under'].pk}/").json()
    assert body["sla"]["policy"] == {"id": desk["policy"].pk, "name": "Standard support"}
    assert body["sla"]["metrics"][0] == {
        "metric": "first_reply_time",
        "target_minutes": 60,
        "business_hours": False,
        "breach_at": "2026-06-01T09:00:00Z",
        "state": "running",
    }
    assert [m["metric"] for m in body["sla"]["metrics"]] == ["first_reply_time", "resolution_time"]
    assert token_client(agent).get(f"/api/v1/tickets/{desk['plain'].pk}/").json()["sla"] is None


def test_customers_never_see_the_sla(desk, customer):
    client = token_client(customer)
    assert "sla" not in client.get(f"/api/v1/tickets/{desk['under'].pk}/").json()
    assert all("sla" not in t for t in client.get("/api/v1/tickets/").json()["results"])
    refused = client.get("/api/v1/tickets/", {"sla_breached": "true"})
    assert refused.status_code == 400 and "sla_breached" in refused.json()
    assert client.get("/api/v1/tickets/", {"sla_breach_before": "2026-06-02"}).status_code == 400
    assert client.get("/api/v1/tickets/", {"ordering": "sla"}).status_code == 400


def test_the_list_carries_the_block_in_one_query_a_page(desk, agent, customer):
    client = token_client(agent)
    client.get("/api/v1/tickets/")
    with CaptureQueriesContext(connection) as three:
        results = client.get("/api/v1/tickets/").json()["results"]
    assert {t["id"]: (t["sla"] or {}).get("policy", {}).get("name") for t in results} == {
        desk["under"].pk: "Standard support",
        desk["late"].pk: "Standard support",
        desk["plain"].pk: None,
    }
    for i in range(4):
        sla_refresh(services.ticket_create(actor=customer, subject=f"More tickets {i}", description="x" * 20))
    with CaptureQueriesContext(connection) as seven:
        assert len(client.get("/api/v1/tickets/").json()["results"]) == 7
    assert len(seven) == len(three)
    assert sum('FROM "tickets_slaclock"' in q["sql"] for q in seven.captured_queries) == 1


def test_filters_and_sort(desk, agent):
    client = token_client(agent)

    def ids(**params):
        response = client.get("/api/v1/tickets/", params)
        assert response.status_code == 200, response.json()
        return [t["id"] for t in response.json()["results"]]

    assert ids(sla_breached="true") == [desk["late"].pk]
    assert set(ids(sla_breached="false")) == {desk["under"].pk, desk["plain"].pk}
    assert ids(sla_breach_before="2026-06-01T08:30:00Z") == [desk["late"].pk]
    assert set(ids(sla_breach_before="2026-06-01T10:00:00Z")) == {desk["late"].pk, desk["under"].pk}
    assert ids(ordering="sla") == [desk["late"].pk, desk["under"].pk, desk["plain"].pk]
    bad = client.get("/api/v1/tickets/", {"sla_breach_before": "soon"})
    assert bad.status_code == 400 and "sla_breach_before" in bad.json()
    assert ids(sla_breached="1") == [desk["late"].pk]
    for wrong in ("maybe", "yes please"):
        bad = client.get("/api/v1/tickets/", {"sla_breached": wrong})
        assert bad.status_code == 400 and bad.json() == {"sla_breached": ["Give true or false."]}


def test_the_schema_documents_the_block_and_the_filters(db, agent):
    schema = token_client(agent).get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "name: sla_breached" in text and "name: sla_breach_before" in text
    assert "SlaOut:" in text and "SlaMetricOut:" in text
