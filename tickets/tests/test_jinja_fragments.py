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


@pytest.mark.django_db
def test_every_queue_column_writes_its_cell(client, agent, customer, acme, billing_team):
    """A saved view showing every column and a custom field: each cell of a ticket that has the
    value and of one that has none (``tickets.queue_rows``, which writes the rows in Python)."""
    from tickets.models import TicketField
    from tickets.services import saved_views as view_services

    TicketField.objects.create(key="plan", label="Plan <tier>", field_type="text")
    full = services.ticket_create(
        actor=customer, subject="Full <row>", description="Every column has a value here.", tags=["vip", "late-2"]
    )
    services.ticket_update(actor=agent, ticket=full, team=billing_team, assignee=agent, priority="urgent")
    Ticket = type(full)
    Ticket.objects.filter(pk=full.pk).update(custom_fields={"plan": "gold & co"}, organization=acme)
    bare = services.ticket_create(actor=customer, subject="Bare ticket", description="No team, no assignee, no tags.")
    Ticket.objects.filter(pk=bare.pk).update(organization=None)
    columns = ["subject", "requester", "organization", "status", "priority", "assignee", "team", "tags", "sla"]
    view = view_services.saved_view_create(
        actor=agent, name="Everything", columns=[*columns, "created", "updated", "custom.plan"]
    )
    client.force_login(agent)
    page = client.get(f"/agent/?view=saved-{view.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    def row(ticket):
        found = re.search(rf'<tr data-ticket-row data-href="/agent/tickets/{ticket.pk}/">(.*?)</tr>', page, re.S)
        assert found, page[:3000]
        return found.group(1)

    first = row(full)
    assert f'<td class="col-subject"><a href="/agent/tickets/{full.pk}/">Full &lt;row&gt;</a></td>' in first
    assert f'<td class="col-requester" data-label="Requester">{customer.name}</td>' in first
    assert f'<td class="col-org" data-label="Organization">{acme.name}</td>' in first
    assert '<td class="col-status"><span class="badge badge-status-open">Open</span></td>' in first
    assert (
        '<td class="col-priority"><span class="badge badge-priority-urgent">Urgent'
        '<span class="sr-only"> priority</span></span></td>'
    ) in first
    assert f'<td class="col-assignee" data-label="Assignee">{agent.name}</td>' in first
    assert f'<td class="col-team" data-label="Team">{billing_team.name}</td>' in first
    assert re.search(r'<td class="col-tags">(<span class="tag">(vip|late-2)</span>){2}</td>', first)
    assert '<td class="col-custom" data-label="Plan &lt;tier&gt;">gold &amp; co</td>' in first
    assert re.search(r'<td class="col-created" data-label="Created"><time datetime="[^"]+" title="[^"]+">', first)
    assert re.search(r'<td class="col-updated" data-label="Updated"><time datetime="[^"]+" title="[^"]+">', first)
    # The header has a cell for each of the row's cells.
    assert first.count("<td") == page.split("<thead>")[1].split("</thead>")[0].count("<th")

    second = row(bare)
    assert '<td class="col-org is-empty" data-label="Organization"><span class="muted">—</span></td>' in second
    assert '<td class="col-assignee" data-label="Assignee"><span class="muted">Unassigned</span></td>' in second
    assert '<td class="col-team is-empty" data-label="Team"><span class="muted">—</span></td>' in second
    assert '<td class="col-tags is-empty"></td>' in second
    assert '<td class="col-custom" data-label="Plan &lt;tier&gt;"></td>' in second
    assert '<td class="col-sla is-empty" data-label="Next breach"></td>' in second
