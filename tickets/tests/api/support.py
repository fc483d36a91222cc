"""Shared pieces of the API tests: token clients for the personas and the world they act on.

Import the fixtures into a test module (``from tickets.tests.api.support import *``) or use the
package conftest, which does exactly that.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts import services as account_services
from tickets import services

PERSONAS = ("customer", "org_member", "other_customer", "agent", "team_agent", "other_team_agent", "admin")

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def text_file(name: str = "notes.txt", body: bytes = b"The invoice number is 2026-0042.\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="text/plain")


def token_client(user) -> APIClient:
    """An API client that authenticates as ``user`` with an API token, as integrations do."""
    client = APIClient()
    if user is not None:
        token = account_services.api_token_get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache; one test's requests must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def as_user():
    return token_client


@pytest.fixture
def people(customer, org_member, other_customer, agent, team_agent, other_team_agent, admin):
    return {
        "customer": customer,
        "org_member": org_member,
        "other_customer": other_customer,
        "agent": agent,
        "team_agent": team_agent,
        "other_team_agent": other_team_agent,
        "admin": admin,
        "anonymous": None,
    }


@pytest.fixture
def world(people, ticket, billing_team, tech_team, settings):
    """Ada's Billing ticket with a public reply carrying a file, an agent's internal note with a
    file, and an empty team; ids for the table's paths."""
    agent = people["agent"]
    reply = services.message_add(
        actor=people["customer"], ticket=ticket, body="Here is a screenshot.", attachments=[text_file()]
    )
    note = services.message_add(
        actor=agent,
        ticket=ticket,
        body="Finance says it is a known bug.",
        internal=True,
        attachments=[text_file("internal.txt")],
    )
    empty_team = account_services.team_create(name="Spare")
    from tickets.models import TicketField

    field = TicketField.objects.create(key="order_number", label="Order number", visible_to_customers=True)
    return {
        "ticket": ticket,
        "public_attachment": reply.attachments.get(),
        "internal_attachment": note.attachments.get(),
        "note": note,
        "reply": reply,
        "team": billing_team,
        "empty_team": empty_team,
        "field": field,
        "people": people,
        "settings": settings,
    }
