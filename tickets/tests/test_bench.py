"""The benchmark's own tools (issue 6): query plans, the bench accounts and the report."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tickets.generate import generate
from tickets.models import SavedView, Ticket, TicketField

pytestmark = pytest.mark.django_db(transaction=False)
ROOT = Path(__file__).resolve().parents[2]


def _load(relative: str):
    spec = importlib.util.spec_from_file_location(relative.replace("/", "_").removesuffix(".py"), ROOT / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def desk():
    generate(200, seed=3, workers=0, progress=False, password=None)


def test_explain_hot_queries_writes_one_plan_per_query(desk, tmp_path, capsys):
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("explain_hot_queries", out=str(tmp_path))
        return
    call_command("explain_hot_queries", out=str(tmp_path))
    index = (tmp_path / "README.md").read_text()
    plans = sorted(p.name for p in tmp_path.glob("*.txt"))
    assert len(plans) == 23
    assert {
        "queue_most_urgent_all_open",
        "sla_breaching_agent",
        "sla_breached_team_agent",
        "portal_my_tickets_rows",
    } <= {p.removesuffix(".txt") for p in plans}
    for name in plans:
        text = (tmp_path / name).read_text()
        assert "Execution Time:" in text and "Buffers:" in text  # EXPLAIN (ANALYZE, BUFFERS)
        assert f"[{name.removesuffix('.txt')}]({name})" in index
    assert "200 tickets" in index


@pytest.mark.postgres  # EXPLAIN (ANALYZE, BUFFERS) is PostgreSQL's; deselected on SQLite
def test_explain_hot_queries_adds_the_custom_field_plans_once_prepared(desk, tmp_path):
    _load("loadtest/prepare.py").main(tmp_path / "bench")
    call_command("explain_hot_queries", out=str(tmp_path))
    plans = {p.name.removesuffix(".txt") for p in tmp_path.glob("*.txt")}
    extra = {
        "saved_view_page_agent",
        "saved_view_page_team_agent",
        "saved_view_count_agent",
        "saved_view_count_team_agent",
        "api_list_custom_field",
        "saved_view_page_plan_set",
    }
    assert len(plans) == 23 + len(extra) and extra <= plans
    page = (tmp_path / "saved_view_page_agent.txt").read_text()
    assert """custom_fields" @> '{"plan": "gold"}'""" in page and "Execution Time:" in page
    assert """custom_fields" ? 'plan'""" in (tmp_path / "saved_view_page_plan_set.txt").read_text()


def test_bench_accounts_and_long_timelines(desk, tmp_path):
    prepare = _load("loadtest/prepare.py")
    prepare.main(tmp_path)
    accounts = json.loads((tmp_path / "accounts.json").read_text())
    assert {"agent", "team_agent", "customer", "long_tickets", "rare_number", "password"} <= set(accounts)
    assert len(accounts["long_tickets"]) == prepare.LONG_TICKETS
    for pk in accounts["long_tickets"]:
        ticket = Ticket.objects.get(pk=pk)
        assert ticket.messages.count() + ticket.events.count() >= prepare.ENTRIES
    # Custom field values: a plan on ids ending in 0, an order number on ids ending in 0, 3 or 6.
    ids = list(Ticket.objects.values_list("pk", "custom_fields"))
    planned = {pk for pk, values in ids if "plan" in values}
    numbered = {pk for pk, values in ids if "order_number" in values}
    assert planned == {pk for pk, _v in ids if pk % 10 == 0}
    assert numbered == {pk for pk, _v in ids if pk % 10 in (0, 3, 6)}
    assert accounts["custom_field_values"] == {"plan": len(planned), "order_number": len(numbered)}
    assert {values["plan"] for pk, values in ids if pk in planned} <= set(prepare.PLANS)
    assert all(re.fullmatch(r"ORD-\d{7}", values["order_number"]) for pk, values in ids if pk in numbered)
    assert set(TicketField.objects.values_list("key", flat=True)) >= {"plan", "order_number"}
    # Each agent's saved view: three conditions, one of them on the custom field.
    for role in ("agent", "team_agent"):
        view = SavedView.objects.get(pk=accounts["saved_views"][role]["id"])
        assert view.owner.email == accounts[role]["email"]
        assert len(view.conditions["all"]) == 3 and view.conditions["all"][2]["field"] == "custom.plan"
    gold = [pk for pk, values in ids if values.get("plan") == "gold"]
    matching = Ticket.objects.filter(status__in=["open", "pending"], priority="high", pk__in=gold)
    assert accounts["saved_views"]["agent"]["matches"] == matching.count()  # the agent sees every ticket
    # A second run reuses the long tickets, the fields, their values and the views.
    prepare.main(tmp_path)
    again = json.loads((tmp_path / "accounts.json").read_text())
    assert again["long_tickets"] == accounts["long_tickets"]
    assert again["custom_field_values"] == {"plan": 0, "order_number": 0}
    assert again["saved_views"] == accounts["saved_views"]
    assert SavedView.objects.count() == 2 and TicketField.objects.count() == 2


def _write_run(
    folder,
    samples: list[dict],
    *,
    rss: str = "1 1024\n",
    loadavg: str = "start 1 1 1\nend 1 1 1\n",
    cpu: str = "start 0 100\nend 100 100\n",
    machine: str = "start 0 0\nend 100 10\n",
) -> None:
    """What a bench run leaves for the report: the samples, the workers' memory, the load average,
    the workers' CPU ticks and the machine's busy ticks (``scripts/bench.sh``)."""
    (folder / "samples.jsonl").write_text("\n".join(json.dumps(s) for s in samples))
    for name, text in (("rss.txt", rss), ("loadavg.txt", loadavg), ("cpu.txt", cpu), ("machine.txt", machine)):
        (folder / name).write_text(text)


def test_report_fills_its_section_and_names_missed_targets(desk, tmp_path, capsys):
    report = _load("scripts/bench_report.py")
    (tmp_path / "accounts.json").write_text(
        json.dumps(
            {
                **{
                    role: {"email": f"{role}@x.test", "visible_tickets": 7}
                    for role in ("agent", "team_agent", "customer")
                },
                "long_tickets": [1, 2],
                "rare_number": "4242",
                "saved_views": {"agent": {"id": 5, "matches": 1234}, "team_agent": {"id": 6, "matches": 56}},
            }
        )
    )
    samples = [
        {"name": name, "ms": 20.0, "ok": True, "status": 200, "queries": 9, "db_ms": 3.0, "cpu_ms": 12.5}
        for name in report.TARGETS
    ]
    samples += [{"name": "stats, 30 days", "ms": 900.0, "ok": True, "status": 200, "queries": 9, "db_ms": 800.0}] * 30
    _write_run(
        tmp_path,
        samples,
        rss="101 81920\n102 92160\n101 102400\n",
        loadavg="start 1.50 1.20 0.90\nend 3.10 2.00 1.10\n",
        # The workers' CPU ticks before and after the load (at 100 ticks a second): 6 s of CPU.
        cpu="start 1000 100\nend 1600 100\n",
        # Every core's busy ticks and PostgreSQL's: 20 s busy in all, 8 s of it PostgreSQL.
        machine="start 50000 7000\nend 52000 7800\n",
    )
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"# Benchmarks\n\nHand-written.\n\n{report.BEGIN}\nold figures\n{report.END}\n\nMore prose.\n")
    report.main(["--dir", str(tmp_path), "--out", str(out), "--seconds", "10", "--clients", "4", "--workers", "2"])
    text = out.read_text()
    assert "Hand-written." in text and "More prose." in text and "old figures" not in text
    assert "**Targets missed**: stats, 30 days." in text
    assert "| API ticket create | 1 | 0 | 20 | 20 | 20 | 0.1 | 9–9 | 3.0 | 12.5 | ≤ 60 | yes |" in text
    requests = len(samples) + 4 * 6  # and two sign-in requests per person (three) and client (four)
    assert f"6.0 s of CPU for {requests:,} requests" in text
    assert f"**{6000 / requests:.1f} ms of worker CPU per request**" in text
    assert f"busy 20.0 s in all, **{20000 / requests:.1f} ms per request**" in text
    assert (
        f"web workers {6000 / requests:.1f}, PostgreSQL {8000 / requests:.1f}, everything else {6000 / requests:.1f}"
        in text
    )
    assert "100 MiB, 90 MiB (per worker)" in text
    assert "200 tickets" in text
    assert "start 1.50 / 1.20 / 0.90; end 3.10 / 2.00 / 1.10." in text
    assert "`saved-5` of the agent, 1,234 matching tickets; `saved-6` of the team agent, 56 matching" in text

    # One client: pages and API lists are judged by their median against the service-time targets.
    slow_page = [{"name": "customer ticket page", "ms": 35.0, "ok": True, "status": 200, "queries": 9, "db_ms": 3.0}]
    (tmp_path / "samples.jsonl").write_text("\n".join(json.dumps(s) for s in samples[:-30] + slow_page * 3))
    report.main(["--dir", str(tmp_path), "--out", str(out), "--seconds", "10", "--clients", "1", "--workers", "2"])
    text = out.read_text()
    assert (
        "| request | count | failed | p50 | p95 | p99 | req/s | SQL queries | SQL ms (p50) | CPU ms (p50) | target | met |"
        in text
    )
    assert "| customer ticket page | 4 | 0 | 35 | 35 | 35 | 0.4 | 9–9 | 3.0 | 12.5 | p50 ≤ 30 | **no** |" in text
    assert "| API ticket list (filtered) | 1 | 0 | 20 | 20 | 20 | 0.1 | 9–9 | 3.0 | 12.5 | p50 ≤ 15 | **no** |" in text
    assert "| API ticket create | 1 | 0 | 20 | 20 | 20 | 0.1 | 9–9 | 3.0 | 12.5 | ≤ 60 | yes |" in text
    assert "| stats, 30 days | 1 | 0 | 20 | 20 | 20 | 0.1 | 9–9 | 3.0 | 12.5 | p50 ≤ 30 | yes |" in text


def test_report_judges_each_request_by_its_own_query_budget(tmp_path):
    """The pages with a budget of their own in test_query_budgets.py are judged by it, not by 12;
    the create (a write, which no budget covers) by its time only."""
    report = _load("scripts/bench_report.py")
    budgets = _load("tickets/tests/test_query_budgets.py")
    assert report.QUERY_BUDGET == budgets.BUDGET
    assert report.QUERY_BUDGETS["stats, 30 days"] == budgets.PAGE_BUDGETS["/agent/stats/"]
    assert (
        report.QUERY_BUDGETS["agent ticket page (100-entry timeline)"]
        == budgets.PAGE_BUDGETS["/agent/tickets/{ticket}/"]
    )
    assert "/portal/tickets/{ticket}/" not in budgets.PAGE_BUDGETS  # within the twelve
    assert report.QUERY_BUDGETS["customer ticket page"] > budgets.BUDGET
    assert report.QUERY_BUDGETS["customer ticket page"] < budgets.PAGE_BUDGETS["/portal/tickets/{solved}/"]
    (tmp_path / "accounts.json").write_text(
        json.dumps(
            {
                **{
                    role: {"email": f"{role}@x.test", "visible_tickets": 7}
                    for role in ("agent", "team_agent", "customer")
                },
                "long_tickets": [1],
                "rare_number": "1",
                "saved_views": {"agent": {"id": 5, "matches": 1}, "team_agent": {"id": 6, "matches": 1}},
            }
        )
    )
    queries = {"stats, 30 days": 14, "agent ticket page (100-entry timeline)": 16, "customer ticket page": 14}
    queries |= {"API ticket create": 25, "agent queue (default view)": 13}
    samples = [
        {
            "name": name,
            "ms": 20.0,
            "ok": True,
            "status": 200,
            "queries": queries.get(name, 9),
            "db_ms": 3.0,
            "cpu_ms": 5.0,
        }
        for name in report.TARGETS
    ]
    _write_run(tmp_path, samples)
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"{report.BEGIN}\n{report.END}\n")
    report.main(["--dir", str(tmp_path), "--out", str(out), "--seconds", "10", "--clients", "4", "--workers", "2"])
    text = out.read_text()
    assert "**Targets missed**: agent queue (default view), customer ticket page." in text
    assert "| stats, 30 days | 1 | 0 | 20 | 20 | 20 | 0.1 | 14–14 |" in text
