"""Account pages: sign-in throttling, password reset, profile (name, password, token).

Sign-up is in ``test_signup.py``; email normal form and look-alikes in ``test_email_identity.py``;
token revocation on a new password in ``test_token_revocation.py``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


# --- sign-up: accounts/tests/test_signup.py ------------------------------------------------------


def test_login_page_links_to_signup_and_reset(client):
    html = client.get(LOGIN).content.decode()
    assert reverse("accounts:signup") in html and reverse("accounts:password_reset") in html


# --- throttling -----------------------------------------------------------------------------------


def fail(client, email, times, ip="127.0.0.1"):
    response = None
    for _ in range(times):
        response = client.post(LOGIN, {"username": email, "password": "wrong-guess"}, REMOTE_ADDR=ip)
    return response


def test_five_failures_pause_that_email_from_that_address(client, customer, password):
    assert fail(client, customer.email, 4).status_code == 200  # ordinary "wrong password"
    response = fail(client, customer.email, 1)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed sign-in attempts" in html and "15 minutes" in html
    assert response["Retry-After"] == "900"
    # Even the right password is refused during the cool-off, with the same message...
    response = client.post(LOGIN, {"username": customer.email.upper(), "password": password})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # ...but another address, or another email, is not affected.
    other_ip = client.post(LOGIN, {"username": customer.email, "password": password}, REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 302


def test_throttled_api_sign_in_answers_json(rf):
    from accounts.views import login_locked_out

    response = login_locked_out(rf.post("/api/v1/auth/token/", {"email": "a@b.test"}))
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many failed sign-in attempts" in json.loads(response.content)["detail"]


def test_other_emails_from_the_same_address_still_sign_in(client, customer, org_member, password):
    fail(client, customer.email, 5)
    assert client.post(LOGIN, {"username": org_member.email, "password": password}).status_code == 302


def test_cool_off_ends(client, customer, password):
    from axes.models import AccessAttempt

    fail(client, customer.email, 5)
    assert client.post(LOGIN, {"username": customer.email, "password": password}).status_code == 429
    for attempt in AccessAttempt.objects.all():  # let 16 minutes pass for the throttle
        attempt.attempt_time -= timedelta(minutes=16)
        attempt.save(update_fields=["attempt_time"])
    response = client.post(LOGIN, {"username": customer.email, "password": password})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == customer.pk


def test_success_resets_the_count(client, customer, password):
    fail(client, customer.email, 4)
    assert client.post(LOGIN, {"username": customer.email, "password": password}).status_code == 302
    client.post(reverse("accounts:logout"))
    assert fail(client, customer.email, 4).status_code == 200


# --- password reset -------------------------------------------------------------------------------


def test_password_reset_by_email(client, customer):
    response = client.post(reverse("accounts:password_reset"), {"email": "ADA@acme.test"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your Helpdesk password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": "brand-new-passphrase-9", "new_password2": "brand-new-passphrase-9"},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert client.login(username=customer.email, password="brand-new-passphrase-9")


def test_password_reset_does_not_tell_who_exists(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@nowhere.test"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_an_account_made_without_a_password_chooses_one_by_reset(client, admin):
    from accounts import services

    made = services.user_create(email="no.password@acme.test", name="No Password")
    assert not made.has_usable_password()
    client.post(reverse("accounts:password_reset"), {"email": "No.Password@acme.test"})
    assert [m.to for m in mail.outbox] == [["no.password@acme.test"]]


def test_password_reset_skips_deactivated_accounts(client, customer):
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    response = client.post(reverse("accounts:password_reset"), {"email": customer.email})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_reset_pages_are_public(client):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        assert client.get(reverse(f"accounts:{name}")).status_code == 200


# --- profile --------------------------------------------------------------------------------------


def test_profile_needs_sign_in(client):
    assert client.get(reverse("accounts:profile"))["Location"].startswith(LOGIN)


def test_change_name(client, customer):
    client.force_login(customer)
    assert client.post(reverse("accounts:profile_name"), {"name": "  Ada   Lovelace "}).status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Ada Lovelace"
    response = client.post(reverse("accounts:profile_name"), {"name": "   "})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.name == "Ada Lovelace"


def test_change_password_keeps_this_session(client, customer, password):
    client.force_login(customer)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": "another-passphrase-1", "new_password2": "another-passphrase-1"},
    )
    assert response.status_code == 400
    assert "Your old password was entered incorrectly" in response.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "another-passphrase-1", "new_password2": "another-passphrase-1"},
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200  # still signed in
    customer.refresh_from_db()
    assert customer.check_password("another-passphrase-1")


def test_api_token_shown_and_regenerated(client, customer):
    client.force_login(customer)
    assert "You have no API token yet" in client.get(reverse("accounts:profile")).content.decode()
    assert client.get(reverse("accounts:token_regenerate")).status_code == 405
    client.post(reverse("accounts:token_regenerate"))
    first = Token.objects.get(user=customer).key
    assert first in client.get(reverse("accounts:profile")).content.decode()
    client.post(reverse("accounts:token_regenerate"))
    second = Token.objects.get(user=customer).key
    assert second != first
    assert not Token.objects.filter(key=first).exists()
