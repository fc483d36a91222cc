"""Queue ergonomics and one navigation (issue 14 §2, §3): Previous/Next, release, empty views
explained, the bulk panel marked for the script, and the same menu on every signed-in page."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tickets import queue, services
from tickets.exceptions import Conflict
from tickets.models import Status, Ticket
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_previous_and_next_pages(client, agent, customer, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    for i in range(5):
        make_ticket(customer, subject=f"Paged ticket {i}")
    client.force_login(agent)
    first = client.get("/agent/?view=all").content.decode()
    assert "Previous page" not in first
    next_url = re.search(r'href="(\?[^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get("/agent/" + next_url).content.decode()
    previous_url = re.search(r'href="(\?[^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    back = client.get("/agent/" + previous_url).content.decode()
    subjects = lambda html: re.findall(r"Paged ticket \d", html)  # noqa: E731
    assert subjects(back) == subjects(first)
    assert set(subjects(second)).isdisjoint(subjects(first))


def test_release_gives_back_a_held_ticket(client, team_agent, ticket):
    services.ticket_claim(actor=team_agent, ticket=ticket)
    client.force_login(team_agent)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert f'action="/agent/tickets/{ticket.pk}/release/"' in page
    response = client.post(f"/agent/tickets/{ticket.pk}/release/", follow=True)
    assert "it is unassigned again" in response.content.decode()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.assignee is None and ticket.status == Status.OPEN
    assert "/release/" not in client.get(f"/agent/tickets/{ticket.pk}/").content.decode()


def test_release_is_only_for_the_holder(admin, team_agent, customer, ticket):
    services.ticket_claim(actor=team_agent, ticket=ticket)
    with pytest.raises(Conflict):
        services.ticket_release(actor=admin, ticket=ticket)
    with pytest.raises((PermissionDenied, Http404)):
        services.ticket_release(actor=customer, ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).assignee == team_agent


def test_empty_views_say_why(client, agent, team_agent):
    client.force_login(agent)
    assert (
        "You are not in a team yet — an admin adds you to teams" in client.get("/agent/?view=my_teams").content.decode()
    )
    assert "You hold no open tickets" in client.get("/agent/?view=mine").content.decode()
    client.force_login(team_agent)
    assert "Your teams have no open tickets right now." in client.get("/agent/?view=my_teams").content.decode()
    assert "No tickets match these filters" in client.get("/agent/?view=all&q=nothing").content.decode()


def test_my_teams_tab_is_left_out_for_an_agent_in_no_team(client, agent, team_agent):
    client.force_login(agent)  # in no team
    page = client.get("/agent/").content.decode()
    assert 'data-view-count="mine"' in page
    assert 'data-view-count="my_teams"' not in page
    # Asked for directly, the view is there (current) with its explanation.
    page = client.get("/agent/?view=my_teams").content.decode()
    assert 'data-view-count="my_teams"' in page and "You are not in a team yet" in page
    client.force_login(team_agent)
    assert 'data-view-count="my_teams"' in client.get("/agent/").content.decode()


def test_bulk_panel_is_marked_for_the_selection_script(client, agent, customer):
    make_ticket(customer)
    client.force_login(agent)
    page = client.get("/agent/").content.decode()
    # Without JavaScript the panel is there; the script hides it until something is selected.
    assert "data-bulk-bar" in page and "data-bulk-bar hidden" not in page


NAV = {
    "agent": ["Queue", "Statistics", "Profile"],
    "customer": ["My tickets", "New ticket", "Profile"],
}


@pytest.mark.parametrize("who", ["agent", "customer"])
@pytest.mark.parametrize(("url", "current"), [("/notifications/", "Notifications"), ("/accounts/profile/", "Profile")])
def test_every_signed_in_page_has_the_same_menu(client, request, who, url, current):
    client.force_login(request.getfixturevalue(who))
    html = client.get(url).content.decode()
    nav = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    for label in NAV[who]:
        assert f">{label}</a>" in nav, (who, url, label)
    other = NAV["customer" if who == "agent" else "agent"]
    assert not any(f">{label}</a>" in nav for label in other if label != "Profile")
    marked = re.findall(r'aria-current="page"[^>]*>(.*?)</a>', nav, re.S)
    assert len(marked) == 1 and current in marked[0]
