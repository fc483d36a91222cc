"""The v2 endpoints through the test client: authentication, Zendesk's error shapes, status and
priority mapping, permissions (customers never see internal notes or others' tickets), uploads,
custom fields, search, the incremental export, bulk jobs and the people endpoints."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from tickets import services
from tickets.models import ApiJob, FieldType, PendingUpload, Status, TicketField
from tickets.tests.factories import PNG_BYTES
from tickets.zendesk.tests.support import basic, bearer, call

pytestmark = pytest.mark.django_db

TICKET = "/api/v2/tickets/{}.json"


def _new(client, user, **fields):
    subject = fields.pop("subject", "Printer jams again")
    ticket = {"subject": subject, "comment": {"body": f"{subject}: please help us with this one."}, **fields}
    response = call(client, user, "post", "/api/v2/tickets.json", {"ticket": ticket})
    assert response.status_code == 201, response.json()
    return response.json()


# --- authentication -----------------------------------------------------------------------------


def test_basic_with_an_api_token_and_bearer_sign_in(client, customer):
    key = account_services.api_token_get_or_create(user=customer).key
    me = client.get("/api/v2/users/me.json", **basic(f"{customer.email}/token", key))
    assert me.status_code == 200 and me.json()["user"]["role"] == "end-user"
    assert client.get("/api/v2/users/me.json", **bearer(customer)).json()["user"]["id"] == customer.pk


@pytest.mark.parametrize(
    "login",
    ["password", "someone-else", "no-header"],
)
def test_passwords_and_wrong_tokens_are_refused(client, customer, agent, password, login):
    key = account_services.api_token_get_or_create(user=customer).key
    headers = {
        "password": basic(customer.email, password),
        "someone-else": basic(f"{agent.email}/token", key),
        "no-header": {},
    }[login]
    response = client.get("/api/v2/users/me.json", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["error"] == "Couldn't authenticate you"


def test_a_deactivated_persons_token_stops_working(client, agent):
    headers = bearer(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert client.get("/api/v2/users/me.json", **headers).status_code == 401


def test_throttled_requests_get_an_integer_retry_after(client, customer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/hour"},
    }
    for _ in range(2):
        assert call(client, customer, "get", "/api/v2/users/me.json").status_code == 200
    response = call(client, customer, "get", "/api/v2/users/me.json")
    assert response.status_code == 429
    assert response["Retry-After"].isdigit() and int(response["Retry-After"]) >= 1
    assert response.json()["error"] == "TooManyRequests"


# --- tickets --------------------------------------------------------------------------------------


def test_create_answers_ticket_and_audit_and_maps_statuses(client, customer, agent):
    created = _new(client, customer, priority="urgent")
    ticket = created["ticket"]
    assert ticket["status"] == "new" and ticket["priority"] == "urgent" and ticket["via"]["channel"] == "api"
    assert ticket["requester_id"] == customer.pk and ticket["satisfaction_rating"]["score"] == "unoffered"
    assert [e["type"] for e in created["audit"]["events"]][:2] == ["Comment", "Create"]
    path = TICKET.format(ticket["id"])
    held = call(client, agent, "put", path, {"ticket": {"status": "hold"}})
    assert held.status_code == 200 and held.json()["ticket"]["status"] == "hold"
    change = held.json()["audit"]["events"][0]
    assert change == {"id": None, "type": "Change", "field_name": "status", "value": "hold", "previous_value": "new"}
    services.ticket_update(actor=agent, ticket=services_ticket(ticket["id"]), status=Status.IN_PROGRESS)
    assert call(client, agent, "get", path).json()["ticket"]["status"] == "open"
    # "open" on a ticket in progress leaves it in progress.
    call(client, agent, "put", path, {"ticket": {"status": "open"}})
    assert services_ticket(ticket["id"]).status == Status.IN_PROGRESS


def services_ticket(pk):
    from tickets.models import Ticket

    return Ticket.objects.get(pk=pk)


def test_validation_errors_are_record_invalid_with_details(client, customer):
    response = call(
        client, customer, "post", "/api/v2/tickets.json", {"ticket": {"subject": "Hi", "comment": {"body": "x"}}}
    )
    assert response.status_code == 422
    data = response.json()
    assert data["error"] == "RecordInvalid" and {"subject", "description"} <= set(data["details"])
    assert data["details"]["subject"][0]["description"]
    unknown = call(client, customer, "post", "/api/v2/tickets.json", {"ticket": {"subject": "Printer", "due_at": "2026-01-01", "comment": {"body": "The printer jams on every page."}}})  # fmt: skip
    assert unknown.status_code == 422 and "due_at" in unknown.json()["details"]
    not_json = call(client, customer, "post", "/api/v2/tickets.json", {"subject": "no wrapper"})
    assert not_json.status_code == 400 and not_json.json()["error"] == "InvalidRequest"


def test_customers_get_record_not_found_for_others_tickets(client, customer, other_customer):
    ticket = _new(client, customer)["ticket"]
    for method, body in (("get", None), ("put", {"ticket": {"status": "solved"}})):
        response = call(client, other_customer, method, TICKET.format(ticket["id"]), body)
        assert response.status_code == 404
        assert response.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert call(client, other_customer, "get", f"/api/v2/tickets/{ticket['id']}/comments.json").status_code == 404
    many = call(client, other_customer, "get", f"/api/v2/tickets/show_many.json?ids={ticket['id']}")
    assert many.json() == {"tickets": []}


def test_internal_notes_are_agents_only(client, customer, agent):
    ticket = _new(client, customer)["ticket"]
    path = TICKET.format(ticket["id"])
    note = call(client, agent, "put", path, {"ticket": {"comment": {"body": "Secret CANARY", "public": False}}})
    assert note.status_code == 200 and note.json()["audit"]["events"][0]["public"] is False
    reply = call(client, agent, "put", path, {"ticket": {"comment": {"body": "Try the rear tray."}}})
    assert reply.status_code == 200
    comments = f"/api/v2/tickets/{ticket['id']}/comments.json"
    assert [c["public"] for c in call(client, agent, "get", comments).json()["comments"]] == [True, False, True]
    seen = call(client, customer, "get", comments).json()["comments"]
    assert [c["public"] for c in seen] == [True, True] and "CANARY" not in str(seen)
    refused = call(client, customer, "put", path, {"ticket": {"comment": {"body": "Mine", "public": False}}})
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    tagged = call(client, customer, "put", path, {"ticket": {"tags": ["vip"]}})
    assert tagged.status_code == 403
    solved = call(client, customer, "put", path, {"ticket": {"status": "solved"}})
    assert solved.status_code == 200 and solved.json()["ticket"]["status"] == "solved"


def test_tags_custom_fields_and_collaborators(client, customer, agent, billing_team):
    field = TicketField.objects.create(key="order_number", label="Order", visible_to_customers=True)
    secret = TicketField.objects.create(key="risk", label="Risk")
    ticket = _new(client, customer, custom_fields=[{"id": field.pk, "value": "A-1"}])["ticket"]
    assert {"id": field.pk, "value": "A-1"} in ticket["custom_fields"]
    assert all(f["id"] != secret.pk for f in ticket["custom_fields"])
    path = TICKET.format(ticket["id"])
    body = {
        "tags": ["VIP", "printer"],
        "group_id": billing_team.pk,
        "assignee_id": agent.pk,
        "custom_fields": [{"id": secret.pk, "value": "high"}],
        "collaborator_ids": [],
        "collaborators": [{"name": "Carl", "email": "carl@acme.test"}],
    }
    updated = call(client, agent, "put", path, {"ticket": body})
    assert updated.status_code == 200, updated.json()
    shown = updated.json()["ticket"]
    assert shown["tags"] == ["printer", "vip"] and shown["group_id"] == billing_team.pk
    assert shown["assignee_id"] == agent.pk and len(shown["collaborator_ids"]) == 1
    assert {"id": secret.pk, "value": "high"} in shown["custom_fields"]
    as_customer = call(client, customer, "get", path).json()["ticket"]
    assert as_customer["tags"] == [] and as_customer["group_id"] is None
    assert all(f["id"] != secret.pk for f in as_customer["custom_fields"])
    more = call(client, agent, "put", path, {"ticket": {"additional_tags": ["jam"], "remove_tags": ["vip"]}})
    assert more.json()["ticket"]["tags"] == ["jam", "printer"]
    wrong = call(client, agent, "put", path, {"ticket": {"custom_fields": [{"id": 999999, "value": "x"}]}})
    assert wrong.status_code == 422 and "custom_fields" in wrong.json()["details"]


def test_ticket_list_pages_with_cursors(client, customer, agent):
    ids = [_new(client, customer, subject=f"Printer {n} jams")["ticket"]["id"] for n in range(5)]
    seen, url = [], "/api/v2/tickets.json?page[size]=2"
    while url:
        page = call(client, agent, "get", url.replace("http://testserver", "")).json()
        seen += [t["id"] for t in page["tickets"]]
        assert page["meta"]["has_more"] == bool(page["links"]["next"])
        url = page["links"]["next"]
        if url:
            assert url.startswith("http://testserver/api/v2/tickets.json?")
    assert seen == ids
    bad = call(client, agent, "get", "/api/v2/tickets.json?page[size]=500")
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidPaginationParameter"
    assert call(client, agent, "get", "/api/v2/tickets.json?page[after]=garbage").status_code == 400


# --- uploads --------------------------------------------------------------------------------------


def _upload(client, user, name, content, token=""):
    path = f"/api/v2/uploads.json?filename={name}" + (f"&token={token}" if token else "")
    return client.post(path, data=content, content_type="application/binary", **bearer(user))


def test_uploads_attach_to_comments_and_download_with_a_token(client, customer, agent, other_customer):
    first = _upload(client, customer, "shot.png", PNG_BYTES)
    assert first.status_code == 201
    token = first.json()["upload"]["token"]
    second = _upload(client, customer, "notes.txt", b"Tray two.\n", token=token)
    assert len(second.json()["upload"]["attachments"]) == 2
    ticket = _new(client, customer)["ticket"]
    stolen = call(client, other_customer, "put", TICKET.format(ticket["id"]), {"ticket": {"comment": {"body": "x", "uploads": [token]}}})  # fmt: skip
    assert stolen.status_code == 404
    foreign = call(client, agent, "put", TICKET.format(ticket["id"]), {"ticket": {"comment": {"body": "x", "uploads": [token]}}})  # fmt: skip
    assert foreign.status_code == 422 and "uploads" in foreign.json()["details"]
    reply = call(client, customer, "put", TICKET.format(ticket["id"]), {"ticket": {"comment": {"body": "Files", "uploads": [token]}}})  # fmt: skip
    assert reply.status_code == 200, reply.json()
    files = reply.json()["audit"]["events"][0]["attachments"]
    assert [f["file_name"] for f in files] == ["shot.png", "notes.txt"]
    assert not PendingUpload.objects.exists()
    content = client.get(files[1]["content_url"].replace("http://testserver", ""), **bearer(agent))
    assert content.status_code == 200 and b"".join(content.streaming_content) == b"Tray two.\n"
    shown = call(client, agent, "get", f"/api/v2/attachments/{files[0]['id']}.json")
    assert shown.json()["attachment"]["content_type"] == "image/png"
    assert (
        client.get(files[1]["content_url"].replace("http://testserver", ""), **bearer(other_customer)).status_code
        == 404
    )


def test_uploads_are_checked_like_attachments(client, customer, settings):
    assert _upload(client, customer, "run.exe", b"MZ\x90\x00\x03\x00\x00\x00").status_code == 415
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 10
    too_big = _upload(client, customer, "notes.txt", b"x" * 11)
    assert too_big.status_code == 413 and too_big.json()["error"] == "RecordInvalid"
    assert (
        client.post("/api/v2/uploads.json", data=b"x", content_type="text/plain", **bearer(customer)).status_code == 422
    )
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 10_000
    token = _upload(client, customer, "notes.txt", b"hello").json()["upload"]["token"]
    assert call(client, customer, "delete", f"/api/v2/uploads/{token}.json").status_code == 204
    assert not PendingUpload.objects.exists()


# --- search, export, jobs ------------------------------------------------------------------------


def test_search_keywords_and_the_result_cap(client, customer, agent):
    jam = _new(client, customer, subject="Printer jams on page two")["ticket"]["id"]
    toner = _new(client, customer, subject="Toner is empty", priority="high")["ticket"]["id"]
    call(client, agent, "put", TICKET.format(toner), {"ticket": {"tags": ["supplies"], "status": "pending"}})

    def ids(query, user=agent, **params):
        response = client.get("/api/v2/search.json", {"query": query, **params}, **bearer(user))
        assert response.status_code == 200, response.json()
        assert all(r["result_type"] == "ticket" for r in response.json()["results"])
        return [r["id"] for r in response.json()["results"]]

    assert ids("type:ticket jams") == [jam]
    assert ids('"page two"') == [jam] and ids("subject:toner") == [toner]
    assert ids("status<solved order_by:created sort:asc") == [jam, toner]
    assert ids("status:pending") == [toner]
    assert ids("status:new status:pending order_by:created sort:asc") == [jam, toner]
    assert ids("priority>normal") == [toner]
    assert ids("tags:supplies") == [toner] and ids("-tags:supplies") == [jam]
    assert ids("-jams order_by:created") == [toner]
    assert ids(f"requester:{customer.email} created>2020-01-01 order_by:created sort:asc") == [jam, toner]
    assert ids("created<2020-01-01") == [] and ids("updated>1hours order_by:created sort:asc") == [jam, toner]
    assert ids("assignee:none order_by:created sort:asc") == [jam, toner]
    assert ids("jams", user=customer) == [jam]
    refused = client.get("/api/v2/search.json", {"query": "tags:supplies"}, **bearer(customer))
    assert refused.status_code == 400 and "tags" in refused.json()["description"]
    too_old = client.get("/api/v2/search.json", {"query": "created>999999years"}, **bearer(agent))
    assert too_old.status_code == 400 and "too far" in too_old.json()["description"]
    unknown = client.get("/api/v2/search.json", {"query": "colour:blue"}, **bearer(agent))
    assert unknown.status_code == 400 and unknown.json()["error"] == "InvalidSearchQuery"
    paged = client.get("/api/v2/search.json", {"query": "type:ticket", "per_page": 1}, **bearer(agent)).json()
    assert paged["count"] == 2 and "page=2" in paged["next_page"]
    capped = client.get("/api/v2/search.json", {"query": "type:ticket", "per_page": 10, "page": 101}, **bearer(agent))
    assert capped.status_code == 422
    assert capped.json()["error"] == "invalid" and "Search Response Limits" in capped.json()["description"]


def test_incremental_export_to_the_end_of_stream_and_after(client, customer, agent):
    first = _new(client, customer)["ticket"]["id"]
    second = _new(client, customer, subject="Second printer")["ticket"]["id"]
    page = call(client, agent, "get", "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=1").json()
    assert [t["id"] for t in page["tickets"]] == [first] and page["end_of_stream"] is False
    page = client.get(page["after_url"].replace("http://testserver", ""), **bearer(agent)).json()
    assert [t["id"] for t in page["tickets"]] == [second] and page["end_of_stream"] is True
    later = page["after_url"].replace("http://testserver", "")
    assert client.get(later, **bearer(agent)).json()["tickets"] == []
    call(client, agent, "put", TICKET.format(first), {"ticket": {"priority": "low"}})
    assert [t["id"] for t in client.get(later, **bearer(agent)).json()["tickets"]] == [first]
    assert call(client, customer, "get", "/api/v2/incremental/tickets/cursor.json?start_time=0").status_code == 403
    assert call(client, agent, "get", "/api/v2/incremental/tickets/cursor.json").status_code == 400


def test_bulk_jobs_report_each_ticket_to_their_creator_only(
    client, customer, agent, team_agent, admin, django_capture_on_commit_callbacks
):
    one = _new(client, customer)["ticket"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        started = call(client, agent, "put", f"/api/v2/tickets/update_many.json?ids={one},999999", {"ticket": {"priority": "urgent"}})  # fmt: skip
    assert started.status_code == 200
    job_id = started.json()["job_status"]["id"]
    status = call(client, agent, "get", f"/api/v2/job_statuses/{job_id}.json").json()["job_status"]
    assert status["status"] == "completed" and status["progress"] == 2
    assert [(r["id"], r["success"]) for r in status["results"]] == [(one, True), (999999, False)]
    assert services_ticket(one).priority == "urgent"
    assert call(client, team_agent, "get", f"/api/v2/job_statuses/{job_id}.json").status_code == 404
    assert call(client, admin, "get", f"/api/v2/job_statuses/{job_id}.json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        made = call(client, agent, "post", "/api/v2/tickets/create_many.json", {"tickets": [
            {"subject": "Phone call one", "requester_id": customer.pk, "comment": {"body": "Called about the printer."}},
            {"subject": "x", "comment": {"body": "y"}},
        ]})  # fmt: skip
    job = ApiJob.objects.get(pk=made.json()["job_status"]["id"])
    assert [r["success"] for r in job.results] == [True, False] and job.results[1]["error"] == "RecordInvalid"
    assert call(client, customer, "post", "/api/v2/tickets/create_many.json", {"tickets": [{}]}).status_code == 403


# --- people --------------------------------------------------------------------------------------


def test_people_endpoints(client, customer, org_member, other_customer, agent, admin, acme, billing_team):
    assert call(client, customer, "get", f"/api/v2/users/{customer.pk}.json").status_code == 200
    assert call(client, customer, "get", f"/api/v2/users/{agent.pk}.json").status_code == 403
    shown = call(client, agent, "get", f"/api/v2/users/{customer.pk}.json").json()["user"]
    assert shown["organization_id"] == acme.pk and shown["email"] == customer.email
    found = call(client, agent, "get", f"/api/v2/users/search.json?query={customer.email}").json()
    assert [u["id"] for u in found["users"]] == [customer.pk] and found["count"] == 1
    agents = call(client, agent, "get", "/api/v2/users.json?role=agent").json()["users"]
    assert {u["id"] for u in agents} == {agent.pk}
    assert [o["id"] for o in call(client, customer, "get", "/api/v2/organizations.json").json()["organizations"]] == [
        acme.pk
    ]
    assert call(client, other_customer, "get", f"/api/v2/organizations/{acme.pk}.json").status_code == 404
    assert (
        call(client, agent, "post", "/api/v2/organizations.json", {"organization": {"name": "Initech"}}).status_code
        == 403
    )
    made = call(client, admin, "post", "/api/v2/organizations.json", {"organization": {"name": "Initech", "shared_tickets": True}})  # fmt: skip
    assert made.status_code == 201 and made.json()["organization"]["shared_tickets"] is True
    groups = call(client, agent, "get", "/api/v2/groups.json").json()["groups"]
    assert [g["name"] for g in groups] == ["Billing"]
    assert call(client, customer, "get", "/api/v2/groups.json").status_code == 403
    assert call(client, agent, "get", f"/api/v2/groups/{billing_team.pk}.json").json()["group"]["id"] == billing_team.pk


def test_errors_speak_the_token_owners_language(client, customer):
    account_services.user_set_locale(user=customer, language="es", time_zone="Europe/Madrid")
    response = client.get("/api/v2/search.json", {"query": "colour:blue"}, **bearer(customer))
    assert response.status_code == 400
    assert response.json()["description"].startswith("Palabra clave de búsqueda desconocida 'colour'")
    missing = call(client, customer, "get", TICKET.format(999999))
    assert missing.json() == {"error": "RecordNotFound", "description": "No encontrado"}


def test_an_agent_filing_into_another_team_sees_the_result_once(client, customer, team_agent, tech_team):
    created = _new(client, team_agent, requester_id=customer.pk, group_id=tech_team.pk)
    assert created["ticket"]["group_id"] == tech_team.pk
    assert call(client, team_agent, "get", TICKET.format(created["ticket"]["id"])).status_code == 404


def test_only_admins_delete_tickets(client, customer, agent, admin):
    ticket = _new(client, customer)["ticket"]["id"]
    assert call(client, agent, "delete", TICKET.format(ticket)).status_code == 403
    assert call(client, admin, "delete", TICKET.format(ticket)).status_code == 204
    assert call(client, admin, "get", TICKET.format(ticket)).status_code == 404


def test_group_memberships_and_cleanup(client, agent, team_agent, billing_team, customer):
    from datetime import timedelta

    from django.utils import timezone

    from tickets.zendesk.tasks import forget_expired

    rows = call(client, agent, "get", "/api/v2/group_memberships.json").json()["group_memberships"]
    assert [(r["user_id"], r["group_id"]) for r in rows] == [(team_agent.pk, billing_team.pk)]
    assert call(client, customer, "get", "/api/v2/group_memberships.json").status_code == 403
    token = _upload(client, customer, "notes.txt", b"hello").json()["upload"]["token"]
    PendingUpload.objects.filter(token=token).update(expires_at=timezone.now() - timedelta(seconds=1))
    ApiJob.objects.create(kind="update_many", creator=agent, state="completed")
    ApiJob.objects.update(updated_at=timezone.now() - timedelta(days=8))
    assert forget_expired() == {"uploads": 1, "jobs": 1}
    assert not PendingUpload.objects.exists() and not ApiJob.objects.exists()


# --- satisfaction ------------------------------------------------------------------------------


def test_satisfaction_rating_in_zendesks_shape_for_those_who_may_see_it(client, customer, agent):
    from tickets.satisfaction import services as satisfaction
    from tickets.satisfaction.models import SatisfactionRating

    ticket = services.ticket_create(
        actor=customer, subject="Scanner is slow", description="It takes minutes for every page we scan."
    )
    show = TICKET.format(ticket.pk)
    assert call(client, customer, "get", show).json()["ticket"]["satisfaction_rating"]["score"] == "unoffered"

    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    assert call(client, agent, "get", show).json()["ticket"]["satisfaction_rating"]["score"] == "offered"

    rating = SatisfactionRating.objects.get(ticket=ticket)
    satisfaction.rating_give(actor=customer, rating=rating, score="bad", comment="Took a week.")
    for reader in (customer, agent):
        shape = call(client, reader, "get", show).json()["ticket"]["satisfaction_rating"]
        assert shape["id"] == rating.pk and shape["score"] == "bad" and shape["comment"] == "Took a week."
        assert shape["created_at"].endswith("Z")
    listed = call(client, agent, "get", "/api/v2/tickets.json").json()["tickets"]
    assert [t["satisfaction_rating"]["score"] for t in listed if t["id"] == ticket.pk] == ["bad"]


def test_ticket_fields_for_agents(client, customer, agent):
    plan = TicketField.objects.create(
        key="plan",
        label="Plan",
        field_type=FieldType.DROPDOWN,
        options=[{"value": "gold", "label": "Gold"}],
        visible_to_customers=True,
    )
    order = TicketField.objects.create(key="order_number", label="Order number", field_type=FieldType.NUMBER)
    fields = call(client, agent, "get", "/api/v2/ticket_fields.json").json()["ticket_fields"]
    assert [(f["id"], f["title"], f["type"]) for f in fields] == [
        (plan.pk, "Plan", "tagger"),
        (order.pk, "Order number", "decimal"),
    ]
    assert fields[0]["custom_field_options"][0]["value"] == "gold" and fields[0]["visible_in_portal"] is True
    assert fields[1]["custom_field_options"] == [] and fields[1]["visible_in_portal"] is False
    assert call(client, customer, "get", "/api/v2/ticket_fields.json").status_code == 403


def test_audits_are_the_history_with_the_events_v1_rules(client, customer, other_customer, agent, billing_team):
    field = TicketField.objects.create(key="order_number", label="Order", visible_to_customers=True)
    ticket = _new(client, customer)["ticket"]
    path = TICKET.format(ticket["id"])
    body = {
        "group_id": billing_team.pk,
        "assignee_id": agent.pk,
        "priority": "urgent",
        "tags": ["vip"],
        "custom_fields": [{"id": field.pk, "value": "A-7"}],
        "comment": {"body": "Secret CANARY note", "public": False},
    }
    assert call(client, agent, "put", path, {"ticket": body}).status_code == 200
    assert (
        call(client, agent, "put", path, {"ticket": {"status": "solved", "subject": "Printer fixed now"}}).status_code
        == 200
    )
    audits = f"/api/v2/tickets/{ticket['id']}/audits.json"
    seen = call(client, agent, "get", audits).json()
    assert seen["meta"]["has_more"] is False
    first = seen["audits"][0]
    assert first["author_id"] == customer.pk and first["ticket_id"] == ticket["id"]
    assert [e["type"] for e in first["events"]][:2] == ["Comment", "Create"]
    changes = {
        e["field_name"]: [e["previous_value"], e["value"], a["author_id"]]
        for a in seen["audits"]
        for e in a["events"]
        if e["type"] == "Change"
    }
    assert changes == {
        "group_id": [None, billing_team.pk, agent.pk],
        "assignee_id": [None, agent.pk, agent.pk],
        "priority": ["normal", "urgent", agent.pk],
        "tags": [[], ["vip"], agent.pk],
        str(field.pk): [None, "A-7", agent.pk],
        "status": ["open", "solved", agent.pk],
        "subject": ["Printer jams again", "Printer fixed now", agent.pk],
    }
    assert "CANARY" in str(seen)
    mine = call(client, customer, "get", audits).json()["audits"]
    fields = {e.get("field_name") for a in mine for e in a["events"]}
    assert "CANARY" not in str(mine) and not fields & {"group_id", "tags"}
    assert {"assignee_id", "priority", "status", str(field.pk)} <= fields
    paged = call(client, agent, "get", audits + "?page[size]=2").json()
    assert len(paged["audits"]) == 2 and paged["meta"]["has_more"] is True
    rest = call(client, agent, "get", paged["links"]["next"].split("testserver", 1)[1]).json()
    assert [a["id"] for a in paged["audits"] + rest["audits"]][:4] == [a["id"] for a in seen["audits"]][:4]
    assert call(client, other_customer, "get", audits).status_code == 404
    assert call(client, agent, "get", audits + "?page[size]=0").status_code == 400
