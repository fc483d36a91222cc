"""Tickets endpoints: the API.md rows × personas from the table, then behaviour in detail."""

from __future__ import annotations

import pytest

from tickets import services
from tickets.models import Channel, Status, Ticket
from tickets.tests.api.support import text_file
from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("tickets"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user, not_found={"detail": "Not found."})


def test_every_row_links_to_its_own_ticket(world, as_user, people):
    for n in range(2):
        created = as_user(people["customer"]).post(
            "/api/v1/tickets/",
            {"subject": f"Printer {n} jams", "description": "The printer jams on every second page."},
            format="json",
        )
        assert created.status_code == 201
    data = as_user(people["agent"]).get("/api/v1/tickets/?page_size=50").json()
    assert len(data["results"]) > 1
    for item in data["results"]:
        assert item["url"] == f"http://testserver/api/v1/tickets/{item['id']}/"
        assert as_user(people["agent"]).get(item["url"]).json()["id"] == item["id"]


def test_list_shape_and_message_count_per_role(world, as_user, people):
    ticket = world["ticket"]
    data = as_user(people["customer"]).get("/api/v1/tickets/").json()
    assert set(data) == {"next", "previous", "results"}
    (item,) = data["results"]
    assert item["id"] == ticket.pk
    assert item["url"].endswith(f"/api/v1/tickets/{ticket.pk}/")
    assert item["description"] == "When I click the download link nothing happens at all."
    assert item["requester"] == {"id": people["customer"].pk, "name": "Ada Customer", "email": "ada@acme.test"}
    assert "team" not in item and "tags" not in item  # the agents' classification: internal
    assert item["organization"]["name"] == "Acme Corp"
    # opening message + public reply; the internal note is not counted for the customer
    assert item["message_count"] == 2
    agent_item = as_user(people["agent"]).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert agent_item["message_count"] == 3
    assert agent_item["team"] == {"id": world["team"].pk, "name": "Billing"} and "tags" in agent_item


def test_internal_fields_are_neither_shown_set_nor_filtered_by_customers(world, as_user, people, admin, tech_team):
    """Tags and team are internal (issue 13 §2): a customer's copy of a ticket — and so its ETag —
    does not change when agents retag or move it, tags a customer's client gives a new ticket are
    kept but not shown back, and filtering by them is refused rather than answered (which would
    reveal them)."""
    ticket = world["ticket"]
    customer = as_user(people["customer"])
    before = customer.get(f"/api/v1/tickets/{ticket.pk}/")
    services.ticket_update(actor=admin, ticket=ticket, tags=["vip", "escalated"], team=tech_team)
    after = customer.get(f"/api/v1/tickets/{ticket.pk}/")
    assert after.json() == before.json() and after["ETag"] == before["ETag"]
    filed = customer.post(
        "/api/v1/tickets/",
        {"subject": "Tagged by my form", "description": "Our web form tags what it files.", "tags": ["web-form"]},
        format="json",
    )
    assert filed.status_code == 201 and "tags" not in filed.json()  # kept, not shown back
    assert list(Ticket.objects.get(pk=filed.json()["id"]).tags.values_list("name", flat=True)) == ["web-form"]
    for query in ("tag=vip", f"team={tech_team.pk}", "team=none"):
        answer = customer.get(f"/api/v1/tickets/?{query}")
        assert answer.status_code == 400, query
    assert as_user(admin).get("/api/v1/tickets/?tag=vip").json()["results"][0]["id"] == ticket.pk


def test_customer_cannot_set_channel_or_team(customer, as_user, billing_team):
    response = as_user(customer).post(
        "/api/v1/tickets/",
        {"subject": "Hello there", "description": "A long enough description text.", "channel": "email"},
        format="json",
    )
    assert response.status_code == 400
    assert "channel" in response.json()
    assert not Ticket.objects.exists()


def test_agent_files_for_a_new_customer(agent, as_user, billing_team):
    response = as_user(agent).post(
        "/api/v1/tickets/",
        {
            "subject": "Phone call: printer",
            "description": "Customer called about the printer being offline.",
            "requester": {"email": "carol@example.test", "name": "Carol"},
            "team": billing_team.pk,
            "channel": "agent",
            "tags": ["Printer", "phone"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["requester"]["email"] == "carol@example.test"
    assert data["channel"] == "agent"
    assert data["tags"] == ["phone", "printer"]


def test_create_with_attachments_multipart(customer, as_user):
    response = as_user(customer).post(
        "/api/v1/tickets/",
        {
            "subject": "Invoice is wrong",
            "description": "The invoice total does not match the order.",
            "attachments": [text_file("a.txt"), text_file("b.csv", b"a,b\n1,2\n")],
            "tags": ["invoice", "billing"],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.API
    assert sorted(a.filename for a in ticket.attachments.all()) == ["a.txt", "b.csv"]
    assert "tags" not in response.json()  # kept (an agent sees them), not shown back to the customer
    assert sorted(Ticket.objects.get(pk=response.json()["id"]).tags.values_list("name", flat=True)) == [
        "billing",
        "invoice",
    ]


def test_idempotency_key_returns_the_same_ticket(customer, as_user):
    client = as_user(customer)
    body = {"subject": "Retry me please", "description": "This request may be sent twice by a flaky client."}
    first = client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    other = client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-124")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    assert Ticket.objects.count() == 2


def test_idempotency_replay_rechecks_visibility(team_agent, customer, tech_team, as_user):
    """An agent who files a ticket into a team they do not work sees the result once; replaying the
    key later must not show the ticket's current state again (409 naming only the ticket number)."""
    client = as_user(team_agent)
    body = {
        "subject": "Phone call: printer offline",
        "description": "Customer called: the office printer has been offline since this morning.",
        "requester": customer.pk,
        "team": tech_team.pk,
    }
    first = client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="call-42")
    assert first.status_code == 201
    ticket_id = first.json()["id"]
    again = client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="call-42")
    assert again.status_code == 409
    assert "printer" not in again.content.decode()
    assert f"#{ticket_id}" in again.json()["detail"]
    assert Ticket.objects.count() == 1  # still no second ticket
    # The requester, who can see it, still gets their own replays as before.
    mine = as_user(customer)
    own = {"subject": "Retry me please", "description": "This request may be sent twice by a flaky client."}
    assert mine.post("/api/v1/tickets/", own, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert mine.post("/api/v1/tickets/", own, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 200


def test_idempotency_key_is_per_user(customer, org_member, as_user):
    body = {"subject": "Same key", "description": "Two people happen to use the same key."}
    one = as_user(customer).post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    two = as_user(org_member).post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"]


def test_etag_and_if_none_match(world, as_user, people):
    client = as_user(people["customer"])
    url = f"/api/v1/tickets/{world['ticket'].pk}/"
    first = client.get(url)
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.ticket_update(actor=people["agent"], ticket=world["ticket"], priority="urgent")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_requester_solves_and_reopens(world, as_user, people):
    client = as_user(people["customer"])
    url = f"/api/v1/tickets/{world['ticket'].pk}/"
    assert client.patch(url, {"status": "solved"}, format="json").json()["status"] == "solved"
    assert client.patch(url, {"status": "open"}, format="json").json()["status"] == "open"
    response = client.patch(url, {"status": "solved", "priority": "urgent"}, format="json")
    assert response.status_code == 403
    world["ticket"].refresh_from_db()
    assert world["ticket"].status == Status.OPEN


def test_claim_sets_in_progress_and_409_names_holder(world, as_user, people):
    url = f"/api/v1/tickets/{world['ticket'].pk}/claim/"
    response = as_user(people["team_agent"]).post(url, {}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == people["team_agent"].pk
    assert response.json()["status"] == "in_progress"
    conflict = as_user(people["agent"]).post(url, {}, format="json")
    assert conflict.status_code == 409
    assert "Tom Billing" in conflict.json()["detail"]


def test_bulk_is_all_or_nothing_and_lists_failures(world, as_user, people, tech_team):
    other = services.ticket_create(
        actor=people["customer"], subject="Second one", description="Another ticket from Ada here."
    )
    services.ticket_update(actor=people["admin"], ticket=other, team=tech_team)
    response = as_user(people["team_agent"]).post(
        "/api/v1/tickets/bulk/",
        {"ids": [world["ticket"].pk, other.pk], "changes": {"priority": "urgent"}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["ids"] == [other.pk]
    assert body["failures"][0]["id"] == other.pk
    world["ticket"].refresh_from_db()
    assert world["ticket"].priority == "normal"


def test_delete_by_admin_removes_the_ticket(world, as_user, people):
    assert as_user(people["admin"]).delete(f"/api/v1/tickets/{world['ticket'].pk}/").status_code == 204
    assert not Ticket.objects.filter(pk=world["ticket"].pk).exists()


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("status=bogus", "status"),
        ("priority=meh", "priority"),
        ("assignee=someone", "assignee"),
        ("team=all", "team"),
        ("requester=x", "requester"),
        ("organization=-1", "organization"),
        ("category=nope", "category"),
        ("channel=fax", "channel"),
        ("created_after=yesterday", "created_after"),
        ("updated_before=2026-13-45", "updated_before"),
        ("ordering=subject", "ordering"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(agent, as_user, query, param):
    response = as_user(agent).get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 400
    assert param in response.json()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def test_filters(world, as_user, people, tech_team):
    customer, agent = people["customer"], people["agent"]
    urgent = services.ticket_create(
        actor=agent,
        requester=customer,
        subject="Site is down",
        description="The whole site returns errors now.",
        priority="urgent",
        tags=["outage"],
        category="technical",
        team=tech_team,
        assignee=agent,
    )
    low = services.ticket_create(
        actor=people["org_member"],
        subject="Typo on page",
        description="There is a typo on the pricing page.",
        priority="low",
    )
    ticket = world["ticket"]
    client = as_user(agent)
    base = "/api/v1/tickets/"
    assert set(_ids(client.get(base + "?priority=urgent&priority=low"))) == {urgent.pk, low.pk}
    assert _ids(client.get(base + "?assignee=me")) == [urgent.pk]
    assert set(_ids(client.get(base + "?assignee=none"))) == {ticket.pk, low.pk}
    assert _ids(client.get(base + f"?assignee={agent.pk}")) == [urgent.pk]
    assert _ids(client.get(base + f"?team={tech_team.pk}")) == [urgent.pk]
    assert _ids(client.get(base + "?team=none")) == [low.pk]
    assert set(_ids(client.get(base + f"?requester={customer.pk}"))) == {ticket.pk, urgent.pk}
    assert _ids(client.get(base + "?tag=OUTAGE")) == [urgent.pk]
    assert _ids(client.get(base + "?category=technical")) == [urgent.pk]
    assert set(_ids(client.get(base + "?status=open"))) == {ticket.pk, urgent.pk, low.pk}
    assert _ids(client.get(base + "?q=pricing")) == [low.pk]
    # message text: the agent finds the internal note, the customer does not
    assert _ids(client.get(base + "?q=known+bug")) == [ticket.pk]
    assert _ids(as_user(customer).get(base + "?q=known+bug")) == []
    assert _ids(as_user(customer).get(base + "?q=screenshot")) == [ticket.pk]
    assert _ids(client.get(base + "?created_after=2000-01-01T00:00:00Z&created_before=2999-01-01T00:00:00Z"))
    assert _ids(client.get(base + "?updated_after=2999-01-01T00:00:00Z")) == []
    # ordering by urgency, not alphabet
    assert _ids(client.get(base + "?ordering=priority")) == [urgent.pk, ticket.pk, low.pk]
    assert _ids(client.get(base + "?ordering=-priority")) == [low.pk, ticket.pk, urgent.pk]


def test_cursor_walks_every_ticket_once_both_ways(customer, agent, as_user):
    made = [
        services.ticket_create(
            actor=customer, subject=f"Ticket number {n}", description="Some description long enough.", priority=p
        )
        for n, p in enumerate(["low", "urgent", "high", "normal"] * 3)
    ]
    client = as_user(agent)
    for ordering in ("-updated_at", "priority", "-priority", "status", "created_at"):
        seen, pages, url = [], [], f"/api/v1/tickets/?page_size=5&ordering={ordering}"
        while url:
            data = client.get(url).json()
            pages.append(url)
            seen += [item["id"] for item in data["results"]]
            url = data["next"]
        assert sorted(seen) == sorted(t.pk for t in made), ordering
        assert len(pages) == 3
        # and back from the last page
        back = client.get(pages[-1]).json()["previous"]
        assert [i["id"] for i in client.get(back).json()["results"]] == seen[5:10]


def test_unauthenticated_is_401_with_token_challenge(client):
    response = client.get("/api/v1/tickets/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_session_authentication_needs_csrf(customer, password):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)
    assert browser.get("/api/v1/tickets/").status_code == 200
    response = browser.post(
        "/api/v1/tickets/", {"subject": "Hello", "description": "x" * 30}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_forged_cursors_are_400(agent, as_user):
    import base64
    import json

    def forged(payload) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    client = as_user(agent)
    for payload in (
        {"d": "next", "k": ["updated_at", "id"], "v": ["2026-01-01T00:00:00Z", 10**30]},
        {"d": "next", "k": ["updated_at", "id"], "v": [{"a": 1}, 1]},
        {"d": "sideways", "k": ["updated_at", "id"], "v": ["2026-01-01T00:00:00Z", 1]},
        {"d": "next", "k": ["priority_rank", "id"], "v": [0, 1]},  # from another ordering
        [1, 2, 3],
    ):
        response = client.get(f"/api/v1/tickets/?cursor={forged(payload)}")
        assert response.status_code == 400, payload
        assert "cursor" in response.json()
