"""Sign-up confirmed by email, neutral answers, and limits on the mail account pages send
(issue 13 §3).

- The sign-up page answers the same way (status, template, visible text) whether or not the
  address has an account; the difference is in the mail, which only the address's owner reads.
- Password-reset and sign-up mail are limited per recipient address and per client IP address;
  beyond a limit nothing is sent and the page still answers the same. The two limits are
  independent, and one address's budget is shared by both kinds of mail.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import Role, User

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
RESET = "/accounts/password_reset/"
NEW_PASSWORD = "a-long-enough-passphrase"  # noqa: S105 - test data


def sign_up(client, email, name="Carla Newcomer", ip="127.0.0.1", **extra):
    return client.post(SIGNUP, {"name": name, "email": email, **extra}, REMOTE_ADDR=ip)


def reset(client, email, ip="127.0.0.1"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


def link_in(message) -> str:
    found = re.search(r"http://testserver(/accounts/signup/confirm/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def visible(response, address: str) -> str:
    """The page as a person sees it, with the address they typed replaced."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return html.replace(address, "ADDRESS")


def pages(response) -> list[str]:
    """The templates of the page (the test client also records the mails rendered meanwhile)."""
    return [t.name for t in response.templates if t.name.endswith(".html")]


# --- the flow ------------------------------------------------------------------------------------


def test_the_page_asks_for_name_and_email_only(client):
    html = client.get(SIGNUP).content.decode()
    assert 'name="email"' in html and 'name="name"' in html
    assert 'type="password"' not in html


def test_a_new_address_gets_a_link_that_makes_the_account(client):
    response = sign_up(client, "Carla@Example.TEST", role="admin", is_staff="on")
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert not User.objects.filter(email="carla@example.test").exists()  # nothing until the link
    assert "_auth_user_id" not in client.session
    [message] = mail.outbox
    assert message.to == ["carla@example.test"]
    assert message.subject == "Finish creating your Helpdesk account"
    assert "Carla" not in message.body  # the typed name is not mailed to an address that may not be theirs

    page = client.get(link_in(message))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Carla Newcomer"' in html and "carla@example.test" in html
    response = client.post(
        link_in(message),
        {"name": "Carla N.", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "role": "admin"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="carla@example.test")
    assert (user.role, user.is_staff, user.is_superuser, user.name) == (Role.CUSTOMER, False, False, "Carla N.")
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/", follow=True).request["PATH_INFO"] == reverse("portal:my_tickets")


def test_the_link_works_once(client):
    sign_up(client, "carla@example.test")
    link = link_in(mail.outbox[0])
    client.post(link, {"name": "Carla", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    client.logout()
    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 410
        assert "already has an account" in response.content.decode()
    assert User.objects.filter(email="carla@example.test").count() == 1


def test_a_link_for_an_address_that_got_an_account_meanwhile_is_spent(client, password):
    sign_up(client, "carla@example.test")
    services.user_create(email="carla@example.test", name="Carla", password=password)
    response = client.post(
        link_in(mail.outbox[0]), {"name": "X", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert response.status_code == 410
    assert User.objects.get(email="carla@example.test").name == "Carla"


@pytest.mark.parametrize(
    "extra,message",
    [
        ({"password": "12345678", "password_again": "12345678"}, "This password is too common"),
        ({"password_again": "something-else-entirely"}, "The two passwords differ"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_confirmation_errors_keep_what_was_typed(client, extra, message):
    sign_up(client, "carla@example.test")
    data = {"name": "Carla Newcomer", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, **extra}
    response = client.post(link_in(mail.outbox[0]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert NEW_PASSWORD not in html and "12345678" not in html  # passwords are never sent back
    assert not User.objects.filter(email="carla@example.test").exists()


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "eyJlbWFpbCI6ImFAYi5jIn0:1tAAAA:forged", "a" * 300, ".eJyrVkrNTc3MUbJSSs9ILUpVqgUAMo4F2g:1:x"],
)
def test_tampered_links_are_404(client, token):
    response = client.get(reverse("accounts:signup_confirm", args=[token]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


@pytest.mark.parametrize("path", ["%00", "a%00b", "a/b", "%E2%80%AE", "a b"])
def test_malformed_link_paths_are_404_before_the_database(client, path):
    assert client.get(f"/accounts/signup/confirm/{path}/").status_code == 404


def test_an_expired_link_is_410(client, monkeypatch, settings):
    import time

    sign_up(client, "carla@example.test")
    later = time.time() + settings.HELPDESK_SIGNUP_LINK_DAYS * 24 * 3600 + 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_signed_in_people_skip_signup(client, customer):
    client.force_login(customer)
    assert client.get(SIGNUP)["Location"] == reverse("home")


@pytest.mark.parametrize(
    "email,message",
    [
        ("not-an-email", "Enter a valid email address"),
        ("krıstın@example.test", "Use only Latin letters"),
        ("", "This field is required"),
    ],
)
def test_malformed_addresses_are_refused_whoever_owns_them(client, email, message):
    response = sign_up(client, email)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'value="Carla Newcomer"' in html
    assert mail.outbox == []


# --- neutral answers ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["ada@acme.test", "ADA@Acme.Test", "ａｄａ@acme.test", "ada@acme.teſt"])
def test_an_existing_address_gets_a_note_not_a_link(client, customer, typed):
    response = sign_up(client, typed, name="Mallory")
    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == [customer.email]
    assert message.subject == "You already have a Helpdesk account"
    assert "http://testserver/accounts/login/" in message.body
    assert "http://testserver/accounts/password_reset/" in message.body
    assert "/signup/confirm/" not in message.body and "Mallory" not in message.body
    assert User.objects.filter(name="Mallory").count() == 0
    customer.refresh_from_db()
    assert customer.name == "Ada Customer"


@pytest.mark.parametrize("state", ["active", "deactivated", "agent", "no password"])
def test_answers_are_the_same_for_existing_and_new_addresses(client, customer, agent, state):
    existing = {"active": customer, "deactivated": customer, "agent": agent, "no password": customer}[state]
    if state == "deactivated":
        User.objects.filter(pk=existing.pk).update(is_active=False)
    if state == "no password":
        existing.set_unusable_password()
        existing.save()
    new_address = "zed@" + existing.email.split("@")[1]
    first = sign_up(client, existing.email)
    second = sign_up(client, new_address)
    assert first.status_code == second.status_code == 200
    assert pages(first) == pages(second) == ["accounts/signup_sent.html", "base.html"]
    assert visible(first, existing.email) == visible(second, new_address)
    assert sorted(first.headers) == sorted(second.headers)
    assert len(mail.outbox) == (1 if state == "deactivated" else 2)


# --- limits on account mail -----------------------------------------------------------------------


@pytest.fixture
def small_limits(settings):
    settings.HELPDESK_ACCOUNT_MAIL_PER_ADDRESS = 2
    settings.HELPDESK_ACCOUNT_MAIL_PER_IP = 4
    return settings


def sent_to(address: str) -> int:
    return sum(address in m.to for m in mail.outbox)


@pytest.mark.parametrize("send", [sign_up, reset], ids=["sign-up", "reset"])
def test_per_address_limit(client, customer, small_limits, send):
    """From different IP addresses: the recipient's own budget stops the third mail."""
    answers = [send(client, customer.email, ip=f"10.0.0.{n}") for n in range(5)]
    assert sent_to(customer.email) == 2
    assert len({a.status_code for a in answers}) == 1
    if send is sign_up:
        assert len({visible(a, customer.email) for a in answers}) == 1
    else:
        assert {a["Location"] for a in answers} == {reverse("accounts:password_reset_done")}


@pytest.mark.parametrize("send", [sign_up, reset], ids=["sign-up", "reset"])
def test_per_ip_limit(client, small_limits, password, send):
    """From one IP address to different recipients: the client's budget stops the fifth mail."""
    addresses = [f"person{n}@example.test" for n in range(6)]
    if send is reset:
        for n, address in enumerate(addresses):
            services.user_create(email=address, name=f"P{n}", password=password)
    answers = [send(client, address, ip="10.9.9.9") for address in addresses]
    assert [sent_to(address) for address in addresses] == [1, 1, 1, 1, 0, 0]
    assert len({a.status_code for a in answers}) == 1


def test_the_limits_are_independent(client, customer, small_limits, password):
    other = services.user_create(email="other@acme.test", name="Other", password=password)
    # The address's budget spent from one IP address...
    reset(client, customer.email, ip="10.0.0.1")
    reset(client, customer.email, ip="10.0.0.1")
    reset(client, customer.email, ip="10.0.0.1")
    assert sent_to(customer.email) == 2
    # ...leaves that IP address free to ask for another recipient (its 4th request)...
    reset(client, other.email, ip="10.0.0.1")
    assert sent_to(other.email) == 1
    # ...and once that client's budget is spent...
    reset(client, "zed@acme.test", ip="10.0.0.1")
    sign_up(client, "new1@example.test", ip="10.0.0.1")
    assert sent_to("new1@example.test") == 0
    # ...other clients still reach recipients with budget left.
    reset(client, other.email, ip="10.0.0.2")
    sign_up(client, "new1@example.test", ip="10.0.0.2")
    assert sent_to(other.email) == 2 and sent_to("new1@example.test") == 1


def test_one_address_budget_covers_both_kinds_of_mail(client, customer, small_limits):
    sign_up(client, customer.email, ip="10.0.0.1")
    reset(client, customer.email, ip="10.0.0.2")
    sign_up(client, customer.email, ip="10.0.0.3")
    reset(client, customer.email, ip="10.0.0.4")
    assert sent_to(customer.email) == 2


def test_spellings_of_one_address_share_its_budget(client, customer, small_limits):
    for n, typed in enumerate(["ada@acme.test", "ADA@ACME.TEST", "ａｄａ@acme.test", "ada@acme.teſt"]):
        reset(client, typed, ip=f"10.0.0.{n}")
    assert sent_to(customer.email) == 2


def test_default_limits_let_a_person_retry(client, customer):
    """The defaults: a few mails to one address an hour, more than one person needs."""
    for _ in range(3):
        reset(client, customer.email)
    assert sent_to(customer.email) == 3
    reset(client, customer.email)
    assert sent_to(customer.email) == 3
