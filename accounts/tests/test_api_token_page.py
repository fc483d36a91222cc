"""The API token page: see your token, replace it; the old one stops working."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts import services

pytestmark = pytest.mark.django_db


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/accounts/api-token/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_create_then_replace_the_token(client, customer):
    client.force_login(customer)
    page = client.get("/accounts/api-token/")
    assert page.status_code == 200
    assert b"You have no token yet." in page.content
    assert client.get("/accounts/api-token/new/").status_code == 405  # changes only by POST
    client.post("/accounts/api-token/new/")
    old = services.api_token_get_or_create(user=customer).key
    assert old.encode() in client.get("/accounts/api-token/").content

    response = client.post("/accounts/api-token/new/", follow=True)
    assert b"The old one no longer works." in response.content
    new = services.api_token_get_or_create(user=customer).key
    assert new != old and new.encode() in response.content

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/v1/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get("/api/v1/me/").status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_token_page_in_a_browser(page, customer):
    import os

    from conftest import sign_in

    sign_in(page, customer.email)
    page.goto("/accounts/api-token/")
    page.get_by_role("button", name="Create my token").click()
    token = page.get_by_label("Your token").input_value()
    assert len(token) == 40
    shots = os.environ.get("HELPDESK_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "api-token.png"))
    page.get_by_role("button", name="Replace my token").click()
    assert page.get_by_label("Your token").input_value() != token
