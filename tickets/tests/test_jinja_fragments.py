"""The Jinja2 fragments of the busy pages (tickets.jinja, issue 19) speak the person's language and
time zone and escape what people typed, as the Django templates they replaced did."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tickets import services


@pytest.mark.django_db
def test_queue_rows_in_the_agents_language_and_time_zone(client, agent, customer):
    agent.language, agent.time_zone = "es", "America/Mexico_City"
    agent.save(update_fields=["language", "time_zone"])
    ticket = services.ticket_create(
        actor=customer, subject="Broken <script>alert(1)</script> & more", description="Nothing works at all here."
    )
    client.force_login(agent)
    page = client.get("/agent/?view=all").content.decode()
    row = re.search(rf'<tr data-ticket-row data-href="/agent/tickets/{ticket.pk}/">.*?</tr>', page, re.S)
    assert row, page[:2000]
    html = row.group(0)
    assert f'aria-label="Seleccionar el ticket #{ticket.pk}"' in html
    assert "Sin asignar" in html and "Unassigned" not in html
    assert "Broken &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html and "<script>" not in html
    stamp = re.search(r'<td class="col-updated"[^>]*><time datetime="([^"]+)"', html)
    assert stamp, html
    shown = datetime.fromisoformat(stamp.group(1))
    assert shown.utcoffset() == ticket.updated_at.astimezone(ZoneInfo("America/Mexico_City")).utcoffset()
    assert shown == ticket.updated_at


@pytest.mark.django_db
def test_queue_rows_in_english_by_default(client, agent, ticket):
    client.force_login(agent)
    page = client.get("/agent/?view=all", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'aria-label="Select ticket #{ticket.pk}"' in page
    assert 'data-label="Requester"' in page


@pytest.mark.django_db
def test_fragments_escape_as_django_templates_do(client, customer):
    """A quote is written ``&#x27;`` as Django writes it (markupsafe would write ``&#39;``)."""
    services.ticket_create(
        actor=customer, subject="Ada's <b>bold</b> question", description="Nothing works here at all."
    )
    client.force_login(customer)
    html = client.get("/portal/").content.decode()
    assert "Ada&#x27;s &lt;b&gt;bold&lt;/b&gt; question" in html


def test_makemessages_reads_the_jinja_fragments():
    """The Jinja2 fragments' strings reach the catalog (helpdesk/management/commands/makemessages.py),
    keyword arguments and contexts included."""
    from pathlib import Path

    from helpdesk.management.commands.makemessages import python_calls

    templates = Path(__file__).resolve().parents[2] / "templates/jinja2"
    calls = python_calls(str(templates / "portal/ticket_rows.html"))
    assert "gettext('asked by %(name)s')" in calls
    assert "pgettext('ticket', 'Updated')" in calls
    assert "pgettext('history event', 'internal')" in python_calls(str(templates / "agent/timeline.html"))


@pytest.mark.django_db
def test_the_rows_link_each_ticket_where_its_own_url_points(ticket):
    from tickets.queue_rows import agent_ticket_url

    url_of = agent_ticket_url()
    assert url_of(ticket.pk) == ticket.get_absolute_url()
    assert url_of(123456) == ticket.get_absolute_url().replace(f"/{ticket.pk}/", "/123456/")


def test_the_breach_time_is_worded_escaped_and_marked_safe():
    from datetime import timedelta

    from django.utils import translation

    from tickets.templatetags.sla_tags import sla_due_html

    now = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
    assert sla_due_html(None, now) == ""
    soon = sla_due_html(now + timedelta(minutes=25), now)
    assert soon == (
        '<time class="sla-due sla-soon" datetime="2026-12-01T09:25:00+00:00" title="2026-12-01 09:25 UTC">in 25 min</time>'
    )
    assert hasattr(soon, "__html__")  # a safe string: the row template writes it as it is
    with translation.override("es"):
        late = sla_due_html(now - timedelta(hours=3), now)
    assert late.startswith('<time class="sla-due sla-overdue"') and late.endswith(">3 h de retraso</time>")
