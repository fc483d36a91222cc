"""The SLA achievement tab of the statistics page, its CSV download and GET /api/v1/stats/sla/:
who may open them, what they show, and that they agree with each other."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role, User
from conftest import PASSWORD
from tickets import services
from tickets.models import EventKind
from tickets.sla.models import SlaClock
from tickets.sla.refresh import clock_event
from tickets.tests.api.support import token_client
from tickets.tests.sla.support import policy

pytestmark = pytest.mark.django_db

PAGE = reverse("agent:stats_sla")
EXPORT = reverse("agent:stats_sla_export")
API = "/api/v1/stats/sla/"


def _signed_in(client, user):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def _end(ticket, metric, fulfilled, *, used=600, target=60, hours_ago=2):
    at = timezone.now() - timedelta(hours=hours_ago)
    clock = SlaClock(ticket=ticket, metric=metric, target_minutes=target, used_seconds=used, started_at=at)
    clock_event(clock, EventKind.SLA_FULFILLED if fulfilled else EventKind.SLA_BREACHED, at)


def _file(customer, subject):
    return services.ticket_create(actor=customer, subject=subject, description="Something is broken, please help.")


@pytest.fixture
def worked(customer, admin, team_agent, other_team_agent, billing_team, tech_team):
    """Billing: Tom's ticket, first reply met 3 times of 4 (10, 20, 30 min of 60) and breached once.
    Technical: Tina's ticket, resolution breached."""
    billing = services.ticket_update(actor=admin, ticket=_file(customer, "Invoice is wrong"), team=billing_team)
    services.ticket_assign(actor=admin, ticket=billing, assignee=team_agent)
    tech = services.ticket_update(actor=admin, ticket=_file(customer, "Server is down"), team=tech_team)
    services.ticket_assign(actor=admin, ticket=tech, assignee=other_team_agent)
    for used in (600, 1200, 1800):
        _end(billing, "next_reply_time", True, used=used)
    _end(billing, "next_reply_time", False)
    _end(tech, "resolution_time", False)
    return {"billing": billing, "tech": tech}


# --- who may open them -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer", "org_member"])
def test_customers_get_404_on_the_page_and_the_csv_and_403_from_the_api(request, client, worked, who):
    person = request.getfixturevalue(who)
    _signed_in(client, person)
    assert client.get(PAGE).status_code == 404
    assert client.get(EXPORT).status_code == 404
    assert token_client(person).get(API).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get(PAGE).status_code == 302
    assert client.get(API).status_code == 401


def test_a_team_agent_sees_their_teams_figures_and_their_own_row(client, worked, team_agent, other_team_agent):
    _signed_in(client, team_agent)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "75 % achieved" in html  # Billing's 3 of 4; Technical's breach is not theirs to see
    assert "Tom Billing" in html and "Tina Technical" not in html and "Technical" not in html
    body = token_client(team_agent).get(API).json()
    assert body["overall"]["ended"] == 4
    assert [r["agent"]["name"] for r in body["agents"]] == ["Tom Billing"]
    assert [r["team"]["name"] for r in body["teams"]] == ["Billing"]


def test_an_admin_sees_every_agent_and_team(client, worked, admin):
    _signed_in(client, admin)
    html = client.get(PAGE).content.decode()
    assert "60 % achieved" in html  # 3 of 5 overall
    assert "0 % achieved" in html and "100 % achieved" not in html
    for name in ("Tom Billing", "Tina Technical", "Billing", "Technical", "Next reply time", "Urgent"):
        assert f'<th scope="row">{name}</th>' in html, name
    # colour and words together: the tone class sits on the worded figure
    assert '<span class="sla-rate sla-rate-poor">60 % achieved</span>' in html
    assert '<span class="sla-rate sla-rate-poor">0 % achieved</span>' in html


def test_a_team_the_agent_may_not_see_is_refused(worked, team_agent, tech_team):
    response = token_client(team_agent).get(API, {"team": tech_team.pk})
    assert response.status_code == 400 and "team" in response.json()
    assert token_client(team_agent).get(API, {"team": "x"}).status_code == 400
    assert token_client(team_agent).get(API, {"since": "yesterday"}).status_code == 400


# --- empty states -------------------------------------------------------------------------------


def test_without_a_policy_the_page_says_so(client, admin, agent):
    _signed_in(client, admin)
    html = client.get(PAGE).content.decode()
    assert "No SLA policy is active" in html
    assert reverse("settings:sla_policies") in html  # admins get the way to set one up
    _signed_in(client, agent)
    html = client.get(PAGE).content.decode()
    assert "An administrator can set up SLA policies." in html
    assert reverse("settings:sla_policies") not in html


def test_with_a_policy_but_no_clock_ended(client, admin):
    policy(targets=[("normal", "first_reply_time", 60, True)])
    _signed_in(client, admin)
    html = client.get(PAGE).content.decode()
    assert "No SLA clock ended in this period" in html
    assert token_client(admin).get(API).json()["policies_active"] is True


# --- the API ---------------------------------------------------------------------------------------


def test_api_shape(worked, admin, billing_team):
    body = token_client(admin).get(API, {"team": billing_team.pk}).json()
    assert set(body) == {
        "since",
        "until",
        "team",
        "policies_active",
        "overall",
        "metrics",
        "teams",
        "agents",
        "priorities",
    }
    assert body["team"] == {"id": billing_team.pk, "name": "Billing"}
    assert body["overall"] == {
        "ended": 4,
        "achieved": 3,
        "breached": 1,
        "achievement_percent": 75.0,
        "elapsed_of_target": {
            "median": {"percent": 33, "over_target": False},  # 2nd of 4: 20 of 60 minutes
            "p90": {"percent": None, "over_target": True},  # 4th of 4: the breach
        },
    }
    assert [m["metric"] for m in body["metrics"]] == [
        "first_reply_time",
        "next_reply_time",
        "periodic_update",
        "requester_wait_time",
        "resolution_time",
    ]
    assert body["metrics"][0]["achievement_percent"] is None and body["metrics"][0]["ended"] == 0
    assert [p["priority"] for p in body["priorities"]] == ["urgent", "high", "normal", "low"]
    assert body["priorities"][2]["ended"] == 4
    assert [t["team"]["name"] for t in body["teams"]] == ["Billing"]


def test_api_and_page_agree(client, worked, admin):
    body = token_client(admin).get(API).json()
    _signed_in(client, admin)
    page = client.get(PAGE).context
    assert page["result"]["overall"] == body["overall"]
    assert [r["ended"] for r in page["result"]["agents"]] == [r["ended"] for r in body["agents"]]


# --- the CSV ------------------------------------------------------------------------------------


def test_csv_has_every_breakdown(client, worked, admin):
    account_services.team_create(name='=HYPERLINK("http://evil.test")')
    _signed_in(client, admin)
    html = client.get(PAGE).content.decode()
    assert f'href="{EXPORT}"' in html
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="sla-achievement-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Breakdown",
        "Name",
        "Clocks ended",
        "Achieved",
        "Breached",
        "Achievement (%)",
        "Median target used (%)",
        "90th percentile target used (%)",
    ]
    by_name = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert by_name[("Metric", "Next reply time")] == ["4", "3", "1", "75.0", "33", ">100"]
    assert by_name[("Metric", "Resolution time")] == ["1", "0", "1", "0.0", ">100", ">100"]
    assert by_name[("Metric", "First reply time")] == ["0", "0", "0", "", "", ""]
    assert by_name[("Team", "Technical")] == ["1", "0", "1", "0.0", ">100", ">100"]
    assert by_name[("Assignee", "Tom Billing")] == ["4", "3", "1", "75.0", "33", ">100"]
    assert by_name[("Priority", "Normal")] == ["5", "3", "2", "60.0", "50", ">100"]  # 3rd of 5: 30 of 60 min
    assert ("Team", '\'=HYPERLINK("http://evil.test")') in by_name  # a formula is text
    assert len(rows) == 1 + 5 + 3 + 3 + 4  # header, metrics, 3 teams, Tom, Tina and Ray, priorities


def test_csv_refuses_what_the_page_would(client, admin):
    _signed_in(client, admin)
    response = client.get(EXPORT, {"period": "custom", "since": "2026-02-01", "until": "2026-01-01"})
    assert response.status_code == 400
    assert response.content.decode().startswith("since:")


# --- cost -----------------------------------------------------------------------------------------


def test_page_csv_and_api_queries_do_not_grow(client, customer, admin):
    """At most 12 queries each, and the same with 40 clocks and agents as with 2 (first look:
    the cache emptied, so the figures are computed inside the request)."""
    _signed_in(client, admin)
    api = token_client(admin)

    def grow(start, stop):
        User.objects.bulk_create(
            [User(email=f"a{i}@desk.test", name=f"Agent {i:03}", role=Role.AGENT) for i in range(start, stop)]
        )
        for i in range(start, stop):
            _end(_file(customer, f"Ticket number {i}"), "first_reply_time", i % 3 != 0, used=60 * i)

    def counts():
        found = []
        for url, get in ((PAGE, client.get), (EXPORT, client.get), (API, api.get)):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                assert get(url).status_code == 200
            found.append(len(captured.captured_queries))
        return found

    grow(0, 2)
    few = counts()
    grow(2, 40)
    assert counts() == few
    assert max(few) <= 12, few
