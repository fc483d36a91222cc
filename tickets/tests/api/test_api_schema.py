"""The OpenAPI schema: it validates, agrees with API.md, and the running API keeps it.

Schemathesis generates requests from /api/schema/ for every operation (a bounded number of
examples each), sends them to the WSGI app in-process as a customer and as an agent (token
header), and checks every response: never a 5xx, only documented status codes and content
types, and bodies that match the documented schemas.
"""

from __future__ import annotations

import contextlib

import hypothesis
import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as account_services
from helpdesk.wsgi import application
from tickets.services.macros import macro_create
from tickets.tests.api.table import _rules
from tickets.tests.sla import support as sla_support

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_schema_is_served_and_valid(client):
    from drf_spectacular.validation import validate_schema

    response = client.get("/api/schema/")
    assert response.status_code == 200
    validate_schema(yaml.safe_load(response.content))  # against the OpenAPI 3.0 JSON schema


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn: a view drf-spectacular cannot describe exactly fails here, not in the docs.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_schema_agrees_with_api_md(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = {path: set(ops) for path, ops in schema["paths"].items()}
    expected = {
        "/api/v1/tickets/": {"get", "post"},
        "/api/v1/tickets/{id}/": {"get", "patch", "delete"},
        "/api/v1/tickets/{id}/claim/": {"post"},
        "/api/v1/tickets/bulk/": {"post"},
        "/api/v1/tickets/{id}/messages/": {"get", "post"},
        "/api/v1/tickets/{id}/attachments/": {"get", "post"},
        "/api/v1/attachments/{id}/download/": {"get"},
        "/api/v1/attachments/{id}/preview/": {"get"},
        "/api/v1/tickets/{id}/events/": {"get"},
        "/api/v1/me/": {"get"},
        "/api/v1/users/": {"get", "post"},
        "/api/v1/teams/": {"get", "post"},
        "/api/v1/teams/{id}/": {"get", "patch", "delete"},
        "/api/v1/invites/": {"get", "post"},
        "/api/v1/auth/token/": {"post"},
        "/api/v1/ticket-fields/": {"get", "post"},
        "/api/v1/ticket-fields/{id}/": {"get", "patch", "delete"},
    }
    for path, methods in expected.items():
        assert methods <= paths.get(path, set()), path
    components = schema["components"]["schemas"]
    ticket = components["TicketOut"]["properties"]
    assert set(ticket) == {
        "id", "url", "subject", "description", "status", "priority", "category", "channel", "tags", "requester",
        "assignee", "team", "organization", "created_at", "updated_at", "first_response_at", "solved_at",
        "closed_at", "message_count", "custom_fields", "sla", "satisfaction_rating",
    }  # fmt: skip
    assert set(components["MessageOut"]["properties"]) == {
        "id", "ticket", "author", "body", "internal", "attachments", "created_at"
    }  # fmt: skip
    assert set(components["AttachmentOut"]["properties"]) == {
        "id", "ticket", "message", "filename", "content_type", "size", "uploaded_by", "created_at", "download_url",
        "preview_url"
    }  # fmt: skip
    assert set(components["EventOut"]["properties"]) == {"id", "kind", "actor", "data", "created_at"}
    assert set(components["UserOut"]["properties"]) == {"id", "email", "name", "role", "teams", "organization"}
    listing = schema["paths"]["/api/v1/tickets/"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert params >= {
        "status", "priority", "assignee", "team", "requester", "organization", "tag", "category", "channel", "q",
        "created_after", "created_before", "updated_after", "updated_before", "ordering", "cursor", "page_size",
        "sla_breached", "sla_breach_before",
    }  # fmt: skip
    envelope = components["PaginatedTicketOutList"]
    assert set(envelope["properties"]) == {"next", "previous", "results"}
    for code in ("400", "401", "403", "404", "429"):
        assert code in listing["responses"]
    assert {"409", "413", "415"} <= set(schema["paths"]["/api/v1/tickets/{id}/messages/"]["post"]["responses"])


def test_docs_are_served_from_our_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<style>" not in html and "<script>" not in html  # the CSP allows no inline code
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in script.content


@contextlib.contextmanager
def _same_connection():
    # Django's WSGI handler closes "old" connections around each request, which would close the
    # test's transaction; Django's own test client switches this off in the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("persona", ["customer", "agent"])
def test_schemathesis_finds_no_server_errors_or_schema_violations(persona, world, settings):
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    user = world["people"][persona]
    headers = {"Authorization": f"Token {account_services.api_token_get_or_create(user=user).key}"}
    _rules(world)
    ids = {
        "/api/v1/triggers/": world["trigger"].pk,
        "/api/v1/automations/": world["automation"].pk,
        "/api/v1/teams/": world["team"].pk,
        "/api/v1/attachments/": world["public_attachment"].pk,
        "/api/v1/tickets/": world["ticket"].pk,
        "/api/v1/macros/": macro_create(
            actor=world["people"]["admin"],
            name="Tag it",
            actions=[{"action": "add_tags", "value": ["schemathesis"]}],
            scope="everyone",
        ).pk,
        "/api/v1/ticket-fields/": world["field"].pk,
    }
    schedule = sla_support.weekday_schedule()  # SLA schedules and policies (tickets.sla.api)
    ids["/api/v1/schedules/"] = schedule.pk
    ids["/api/v1/sla-policies/"] = sla_support.policy(schedule=schedule).pk
    from tickets.tests.hostile import webhook_world  # outgoing webhooks (tickets.webhooks.api): admins only

    ids["/api/v1/webhooks/"] = webhook_world()[0].pk
    with _same_connection():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 24
        for operation in operations:
            path_ids = {}
            if "{id}" in operation.path:
                prefix = next(p for p in ids if operation.path.startswith(p))
                path_ids = {"id": ids[prefix]}

            @hypothesis.given(case=operation.as_strategy(path_parameters=path_ids or None))
            @hypothesis.settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except Exception as exc:
                raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc


def test_the_document_is_generated_once_per_language(client, monkeypatch):
    """``helpdesk.api.schema_view``: the second request is served from what the first generated;
    a language the desk does not offer is answered but not kept."""
    from drf_spectacular.generators import SchemaGenerator

    from helpdesk.api.schema_view import SchemaView

    monkeypatch.setattr(SchemaView, "_documents", {})
    generated = []
    real = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        generated.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    first = client.get("/api/schema/?format=json")
    second = client.get("/api/schema/?format=json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and "/api/v1/tickets/" in first.json()["paths"]
    assert len(generated) == 1
    spanish = client.get("/api/schema/?format=json&lang=es").json()
    assert len(generated) == 2 and spanish["paths"].keys() == first.json()["paths"].keys()
    client.get("/api/schema/?format=json&lang=es")
    assert len(generated) == 2
    for _ in range(2):
        assert client.get("/api/schema/?format=json&lang=xx-unknown").status_code == 200
    assert len(generated) == 4  # answered each time, never kept
    assert set(SchemaView._documents) == {("en", None), ("es", None)}
