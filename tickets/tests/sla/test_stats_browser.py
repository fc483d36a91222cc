"""SLA achievement in a real browser, on a phone (issue 17): an agent opens Statistics, switches to
the SLA tab and reads figures that real clocks made — one first reply met, one breached by the
sweeper — and downloads them as CSV. Real commits: the hook starts and stops the clocks."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import sign_in
from tickets import services
from tickets.models import Priority
from tickets.sla.models import Metric
from tickets.sla.sweeper import sweep_sla
from tickets.tests.factories import make_ticket
from tickets.tests.sla.support import policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_reads_sla_achievement_on_a_phone(page, live_server, agent, customer):
    policy("Standard support", targets=[(Priority.NORMAL, Metric.FIRST_REPLY_TIME, 30, False)])
    answered = make_ticket(customer, subject="Scanner offline under SLA")
    make_ticket(customer, subject="Nobody answered this one")
    services.message_add(actor=agent, ticket=answered, body="Restarted the scanner for you.")
    assert sweep_sla(now=timezone.now() + timedelta(hours=1)).breached == 1
    # The breach is stamped when the target ran out (30 minutes from now): a period to tomorrow holds it.
    today = timezone.localdate()
    query = f"?period=custom&since={today - timedelta(days=1)}&until={today + timedelta(days=1)}"

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, agent.email)
    page.goto(f"{live_server.url}/agent/stats/{query}")
    page.get_by_role("link", name="SLA achievement").click()
    expect(page.get_by_role("heading", name="By metric")).to_be_visible()
    expect(page.locator(".sla-overall")).to_contain_text("50 % achieved")
    expect(page.locator(".sla-overall")).to_contain_text("1 of 2 clocks met their target, 1 breached.")
    row = page.get_by_role("region", name="By metric").get_by_role("row", name="First reply time")
    expect(row).to_contain_text("50 % achieved")
    expect(row).to_contain_text("0 % of target")  # the median: answered at once
    expect(row).to_contain_text("over target")  # the 90th percentile: the breach
    expect(row.locator(".sla-rate")).to_have_class("sla-rate sla-rate-poor")
    mine = page.get_by_role("region", name="By agent").get_by_role("row")
    expect(mine).to_have_count(2)  # the header and the agent's own row
    # Nothing sticks out sideways at 390 px: wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the SLA figures as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = {(r[0], r[1]): r[2:] for r in list(csv.reader(io.StringIO(text)))[1:]}
    assert rows[("Metric", "First reply time")] == ["2", "1", "1", "50.0", "0", ">100"]
