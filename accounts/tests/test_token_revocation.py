"""A new password ends every other credential (issue 13 §3): the API tokens go with the sessions.

Each route that sets a password is tested: the reset link, the profile's change, the service, the
``add_user`` and Django ``changepassword`` commands, a plain ``set_password`` + ``save`` and
``set_unusable_password``. A hash upgrade at sign-in is not a new password and keeps the token;
other people's tokens are never touched.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts import services

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-passphrase-7"  # noqa: S105 - test data


@pytest.fixture
def tokens(customer, org_member):
    """The customer's token, and a bystander's that must survive."""
    return services.api_token_get_or_create(user=customer), services.api_token_get_or_create(user=org_member)


def assert_revoked(client, tokens):
    mine, theirs = tokens
    assert not Token.objects.filter(key=mine.key).exists()
    assert Token.objects.filter(key=theirs.key).exists()
    client.logout()
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {mine.key}")
    assert response.status_code == 401
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {theirs.key}").status_code == 200


def test_the_token_works_until_then(client, tokens):
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {tokens[0].key}").status_code == 200


def test_password_reset_revokes_tokens(client, customer, tokens):
    client.post(reverse("accounts:password_reset"), {"email": customer.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(form_page.request["PATH_INFO"], {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert_revoked(client, tokens)


def test_profile_password_change_revokes_tokens(client, customer, password, tokens):
    client.force_login(customer)
    response = client.post(
        reverse("accounts:password_change"), {"old_password": password, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200  # this session stays signed in
    assert_revoked(client, tokens)


def test_the_service_revokes_tokens(client, customer, tokens):
    services.user_set_password(user=customer, password=NEW)
    assert_revoked(client, tokens)


def test_add_user_command_revokes_tokens(client, customer, tokens):
    call_command("add_user", customer.email, role="customer", password=NEW)
    assert_revoked(client, tokens)


def test_django_changepassword_command_revokes_tokens(client, customer, tokens, monkeypatch):
    monkeypatch.setattr("django.contrib.auth.management.commands.changepassword.getpass.getpass", lambda *a, **k: NEW)
    call_command("changepassword", customer.email)
    assert_revoked(client, tokens)


def test_set_password_and_save_revokes_tokens(client, customer, tokens):
    customer.set_password(NEW)
    customer.save()
    assert_revoked(client, tokens)


def test_unusable_password_revokes_tokens(client, customer, tokens):
    customer.set_unusable_password()
    customer.save(update_fields=["password"])
    assert_revoked(client, tokens)


def test_other_saves_keep_the_token(client, customer, tokens):
    services.user_set_name(user=customer, name="Ada Renamed")
    customer.save()
    assert Token.objects.filter(key=tokens[0].key).exists()


def test_a_hash_upgrade_at_sign_in_is_not_a_new_password(client, customer, password, tokens):
    from django.contrib.auth.hashers import make_password

    # A hash from before a hasher change: Django re-hashes it at the next sign-in.
    customer.password = make_password(password, salt="old", hasher="md5")
    type(customer).objects.filter(pk=customer.pk).update(password=customer.password)
    assert client.post("/accounts/login/", {"username": customer.email, "password": password}).status_code == 302
    customer.refresh_from_db()
    assert "$old$" not in customer.password  # upgraded
    assert Token.objects.filter(key=tokens[0].key).exists()


def test_a_new_account_has_nothing_to_revoke(django_assert_num_queries):
    """Creating a user does not look for tokens (saves a query on every sign-up)."""
    from accounts.models import User

    user = User(email="new@example.test", name="New")
    user.set_password(NEW)
    with django_assert_num_queries(1):
        user.save()
