"""The statistics page's "Over time" section and the CSV downloads: who gets what, form errors,
the file's content and headers, and cells a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role
from conftest import PASSWORD
from tickets import services, trends
from tickets.models import Status
from tickets.views.trend import safe_text

pytestmark = pytest.mark.django_db

PAGE = reverse("agent:stats")
EXPORT = reverse("agent:stats_export")


def _signed_in(client, user):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def worked(ticket, team_agent):
    """Ada's Billing ticket, answered and solved by Tom today."""
    services.message_add(actor=team_agent, ticket=ticket, body="Fixed, please try again.", status=Status.SOLVED)
    return ticket


# --- the page -------------------------------------------------------------------------------------


def test_the_section_renders_charts_and_the_table(client, worked, team_agent):
    response = _signed_in(client, team_agent).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    trend = response.context["trend"]
    assert "error" not in trend
    assert trend["result"]["granularity"] == "day" and len(trend["rows"]) == 30
    assert [(r["created"], r["solved"], r["backlog"]) for r in trend["rows"][-1:]] == [(1, 1, 0)]
    assert '<h2 id="trend-heading">Over time</h2>' in html
    # Three charts, each an image named by its title and described, and the table beneath.
    assert html.count('role="img"') >= 3
    for chart in ("trend-flow", "trend-backlog", "trend-times"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert 'viewBox="0 0 560 240"' in html and 'width="560"' not in html  # scales to its box
    assert '<caption id="trend-table-caption">Figures over time</caption>' in html
    assert f"{EXPORT}?table=trend" in html


def test_weeks_for_a_longer_period_and_by_choice(client, worked, admin):
    client = _signed_in(client, admin)
    assert client.get(PAGE, {"period": "90"}).context["trend"]["result"]["granularity"] == "week"
    weekly = client.get(PAGE, {"period": "7", "granularity": "week"}).context["trend"]
    assert weekly["result"]["granularity"] == "week" and 1 <= len(weekly["rows"]) <= 2
    daily = client.get(PAGE, {"period": "90", "granularity": "day"}).context["trend"]
    assert len(daily["rows"]) == 90


@pytest.mark.parametrize("who", ["customer", "org_member"])
def test_customers_are_refused_like_the_rest_of_the_page(client, request, who):
    client = _signed_in(client, request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 404
    assert client.get(EXPORT, {"table": "trend"}).status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(EXPORT, {"table": "trend"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_agent_filters_by_their_own_teams_only(client, worked, team_agent, tech_team, billing_team):
    client = _signed_in(client, team_agent)
    response = client.get(PAGE, {"team": tech_team.pk})
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert response.context["trend"]["result"]["team"] is None  # the error, and no Technical figures
    assert [value for value, _label in response.context["form"].fields["team"].choices] == ["", str(billing_team.pk)]
    own = client.get(PAGE, {"team": billing_team.pk}).context["trend"]["result"]
    assert own["team"] == billing_team and sum(b["created"] for b in own["buckets"]) == 1
    refused = client.get(EXPORT, {"table": "trend", "team": tech_team.pk})
    assert refused.status_code == 400 and refused["Content-Type"].startswith("text/plain")
    assert "team" in refused.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"granularity": "hour"}, "granularity"),
        ({"period": "custom", "since": "2026-02-30", "until": "2026-03-01"}, "since"),
        ({"period": "custom", "since": "2026-03-01"}, "__all__"),
        ({"period": "custom", "since": "2026-03-02", "until": "2026-03-01"}, "since"),
    ],
)
def test_bad_parameters_are_form_errors(client, agent, params, field):
    client = _signed_in(client, agent)
    response = client.get(PAGE, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    export = client.get(EXPORT, {"table": "trend", **params})
    assert export.status_code == 400 and "Content-Disposition" not in export


@pytest.mark.parametrize(
    ("params", "field"),
    [({"period": "fortnight"}, "period"), ({"granularity": "hour"}, "granularity"), ({"team": "x"}, "team")],
)
def test_each_refused_field_says_why_on_the_page(client, agent, params, field):
    """An unknown value is not silently replaced by the default: the page shows the field's error."""
    response = _signed_in(client, agent).get(PAGE, params)
    errors = response.context["form"].errors[field]
    assert errors and all(str(message) in response.content.decode() for message in errors)


def test_a_period_too_long_for_the_trend_says_so(client, agent):
    """Up to ten years for the tables; the trend takes at most 366 days and says why it is missing."""
    params = {"period": "custom", "since": "2024-01-01", "until": "2025-12-31"}
    response = _signed_in(client, agent).get(PAGE, params)
    assert response.status_code == 200 and not response.context["form"].errors
    assert response.context["trend"] == {"error": str(trends.TOO_LONG)}
    assert str(trends.TOO_LONG) in response.content.decode()
    export = client.get(EXPORT, {"table": "trend", **params})
    assert export.status_code == 400 and str(trends.TOO_LONG) in export.content.decode()
    assert client.get(EXPORT, {"table": "agents", **params}).status_code == 200  # the tables take it


def test_the_page_says_who_sees_what(client, agent, admin, team_agent, billing_team):
    html = _signed_in(client, agent).get(PAGE).content.decode()  # Alice works every ticket, in no team
    assert "You see your own figures and every team’s totals (you work every ticket)" in html
    assert '<h2 id="teams-heading">Teams</h2>' in html and "You are in no team" not in html
    html = _signed_in(client, team_agent).get(PAGE).content.decode()
    assert "You see your own figures and your teams’ totals" in html
    assert '<h2 id="teams-heading">Teams</h2>' in html and "You are in no team" not in html
    html = _signed_in(client, admin).get(PAGE).content.decode()
    assert "You see every agent’s figures and every team’s totals." in html


def test_a_desk_without_teams_says_so_to_an_admin(client, admin):
    html = _signed_in(client, admin).get(PAGE).content.decode()
    assert "There are no teams yet" in html


# --- CSV ------------------------------------------------------------------------------------------


def test_the_trend_as_csv(client, worked, team_agent, billing_team):
    today = timezone.localdate()
    since = today - timedelta(days=6)
    response = _signed_in(client, team_agent).get(
        EXPORT, {"table": "trend", "period": "custom", "since": since.isoformat(), "until": today.isoformat()}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="statistics-over-time-day-{since.isoformat()}_{today.isoformat()}.csv"'
    )
    rows = _csv(response)
    assert rows[0] == [
        "Period start",
        "Period end",
        "Created",
        "Solved",
        "Reopened",
        "Backlog",
        "Median first response (hours)",
        "Median resolution (hours)",
    ]
    assert len(rows) == 1 + 7
    assert rows[1][0].startswith(since.isoformat() + "T00:00:00")
    last = rows[-1]
    assert last[0].startswith(today.isoformat()) and last[1].startswith((today + timedelta(days=1)).isoformat())
    assert last[2:6] == ["1", "1", "0", "0"]
    assert float(last[6]) >= 0 and float(last[7]) >= 0
    assert rows[1][6:] == ["", ""]  # no first response that day: an empty cell, not zero
    # A team's file says so in its name.
    teamed = client.get(EXPORT, {"table": "trend", "team": billing_team.pk})
    assert f"-team-{billing_team.pk}.csv" in teamed["Content-Disposition"]


def test_the_agent_and_team_tables_as_csv(client, worked, team_agent, admin, billing_team):
    client = _signed_in(client, admin)
    agents = _csv(client.get(EXPORT, {"table": "agents", "period": "7"}))
    assert agents[0][:4] == ["Agent", "Assigned, open", "Solved", "Replies"]
    tom = next(row for row in agents if row[0] == "Tom Billing")
    assert tom[2:4] == ["1", "1"]
    teams = _csv(client.get(EXPORT, {"table": "teams"}))
    assert [row[0] for row in teams] == ["Team", "Billing"]
    # Tom's file of agents is his own row, as on the page.
    mine = _csv(_signed_in(client, team_agent).get(EXPORT, {"table": "agents"}))
    assert [row[0] for row in mine[1:]] == ["Tom Billing"]


def test_an_agent_who_works_every_ticket_sees_every_teams_totals_and_only_their_own_row(
    client, worked, agent, team_agent, billing_team, tech_team
):
    """Alice works every ticket and is in no team: the team table (page and CSV) has every team,
    the agent table her row only (issue 14; the rows' rule is issue 13's)."""
    client = _signed_in(client, agent)
    html = client.get(PAGE, {"period": "7"}).content.decode()
    teams = html.split('<h2 id="teams-heading">', 1)[1].split("</section>", 1)[0]
    assert "Billing" in teams and "Technical" in teams
    assert "Tom Billing" not in html.split('<h2 id="teams-heading">', 1)[0]
    assert [row[0] for row in _csv(client.get(EXPORT, {"table": "teams", "period": "7"}))] == [
        "Team",
        "Billing",
        "Technical",
    ]
    assert [row[0] for row in _csv(client.get(EXPORT, {"table": "agents", "period": "7"}))[1:]] == ["Alice Agent"]
    # Billing's totals are Billing's: Tom's solved ticket counts there.
    billing = next(row for row in _csv(client.get(EXPORT, {"table": "teams", "period": "7"})) if row[0] == "Billing")
    assert billing[2] == "1"


def test_names_that_look_like_formulas_are_defused(client, admin, billing_team):
    account_services.team_create(name='=HYPERLINK("http://evil.test","x")')
    account_services.team_create(name="@SUM(A1:A9)")
    account_services.user_create(email="plus@desk.test", name="+cmd|' /C calc'!A0", role=Role.AGENT)
    account_services.user_create(email="minus@desk.test", name="-2+3", role=Role.AGENT)
    client = _signed_in(client, admin)
    teams = [row[0] for row in _csv(client.get(EXPORT, {"table": "teams"}))[1:]]
    assert '\'=HYPERLINK("http://evil.test","x")' in teams and "'@SUM(A1:A9)" in teams
    assert "Billing" in teams  # ordinary names are left alone
    agents = [row[0] for row in _csv(client.get(EXPORT, {"table": "agents"}))[1:]]
    assert "'+cmd|' /C calc'!A0" in agents and "'-2+3" in agents and "Ray Admin" in agents


@pytest.mark.parametrize(
    ("text", "cell"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("a=b", "a=b"), ("", "")],
)
def test_safe_text(text, cell):
    assert safe_text(text) == cell


def test_an_unknown_table_is_a_400(client, agent):
    response = _signed_in(client, agent).get(EXPORT, {"table": "secrets"})
    assert response.status_code == 400 and "table" in response.content.decode()


def test_the_charts_and_tables_in_the_readers_language(client, worked, team_agent):
    """The page's loops (Jinja2 fragments: ``agent/stats_rows.html``, ``stats_charts.html``,
    ``trend_charts.html``, ``trend_rows.html``) speak the reader's language, mark their own row,
    escape names, keep SVG numbers in Python's notation whatever the language, and give each
    chart over time its own legend only."""
    import re

    team_agent.name, team_agent.language = "Tom <O'Neil>", "es"
    team_agent.save(update_fields=["name", "language"])
    html = _signed_in(client, team_agent).get(PAGE).content.decode()
    assert '<tr class="is-me">' in html and '<th scope="row">Tom &lt;O&#x27;Neil&gt;</th>' in html
    assert 'aria-label="Tickets resueltos por agente"' in html  # "%(title)s per agent", translated
    charts = {
        name: html.split(f'id="trend-{name}-caption"')[1].split("</figure>")[0] for name in ("flow", "backlog", "times")
    }
    assert ">Creados</text>" in charts["flow"] and "trend-first-point" not in charts["flow"]
    assert "trend-backlog-point" in charts["backlog"] and "trend-legend" not in charts["backlog"]
    assert ">Primera respuesta</text>" in charts["times"] and ">Creados</text>" not in charts["times"]
    numbers = re.findall(r' (?:x|y|cx|cy|width|height)="([^"]+)"', "".join(charts.values()))
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d+)?", n) for n in numbers), numbers
    assert any("." in n for n in numbers)
    rows = html.split('<caption id="trend-table-caption">')[1].split("</table>")[0]
    assert rows.count("<tr>") == 31  # the heading and one a day
