"""One normal form for email addresses (issue 13 §3): sign-in lookup, the sign-in throttle,
sign-up, invites, the admin, the people API and password reset all agree on which account an
address means, so a look-alike spelling can neither open a fresh throttle counter nor reset the
real one.

The variants are the class the outside tester used: letters PostgreSQL's case mapping folds onto
ASCII (dotless ı, long ſ, the Kelvin sign K), full-width letters, another case, combining marks.
These tests run on both databases (``make test`` runs the suite on PostgreSQL and SQLite).
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import Role, User

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADDRESS = "kristin.sims@example.test"

#: Spellings that are the same address once normalised (NFKC + casefold): each must reach the
#: account, and count against its one throttle counter.
SAME_ACCOUNT = {
    "upper case": "KRISTIN.SIMS@EXAMPLE.TEST",
    "mixed case": "Kristin.Sims@Example.Test",
    "long s (ſ)": "kriſtin.ſimſ@example.teſt",
    "Kelvin sign (K)": "\u212aristin.sims@example.test",
    "full-width letters": "ｋｒｉｓｔｉｎ.ｓｉｍｓ@ｅｘａｍｐｌｅ.ｔｅｓｔ",
    "full-width stop": "kristin\uff0esims@example\uff0etest",
    "surrounding spaces": "  kristin.sims@example.test \u3000",
}
#: Spellings that are a different address (no account): PostgreSQL's case-insensitive match
#: would fold them onto the account, the normal form does not.
OTHER_ADDRESS = {
    "dotless ı": "krıstın.sims@example.test",
    "capital İ": "KRİSTİN.SIMS@EXAMPLE.TEST",
}
ALL_VARIANTS = {**SAME_ACCOUNT, **OTHER_ADDRESS}
WRONG = "wrong-guess"  # noqa: S105 - a deliberately wrong password


@pytest.fixture
def kristin(db, password):
    return services.user_create(email=ADDRESS, name="Kristin Sims", password=password)


def attempt(client, email, password=WRONG, ip="127.0.0.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


# --- the normal form ----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", SAME_ACCOUNT.values(), ids=SAME_ACCOUNT.keys())
def test_same_address_spellings_normalise_to_one(spelling):
    from accounts.addresses import normalize_email

    assert normalize_email(spelling) == ADDRESS


@pytest.mark.parametrize("spelling", OTHER_ADDRESS.values(), ids=OTHER_ADDRESS.keys())
def test_look_alikes_outside_the_normal_form_stay_different(spelling):
    from accounts.addresses import normalize_email

    assert normalize_email(spelling) != ADDRESS


@pytest.mark.parametrize(
    "spelling", [*ALL_VARIANTS.values(), "zoe@cafe\u0301.test", "Straße@x.test", "ﬁ@x.test", "\u13a0@x.test"]
)
def test_normalising_twice_changes_nothing(spelling):
    from accounts.addresses import normalize_email

    once = normalize_email(spelling)
    assert normalize_email(once) == once


def test_combining_marks_compose():
    from accounts.addresses import normalize_email

    assert normalize_email("Zoe@CAFE\u0301.test") == normalize_email("zoe@café.test") == "zoe@caf\u00e9.test"


# --- sign-in: lookup -------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", SAME_ACCOUNT.values(), ids=SAME_ACCOUNT.keys())
def test_every_spelling_of_the_address_signs_in_to_the_account(client, kristin, password, spelling):
    assert attempt(client, spelling, password).status_code == 302
    assert signed_in_as(client) == kristin.pk


@pytest.mark.parametrize("spelling", OTHER_ADDRESS.values(), ids=OTHER_ADDRESS.keys())
def test_a_look_alike_is_not_the_account(client, kristin, password, spelling):
    assert attempt(client, spelling, password).status_code == 200  # "wrong email or password"
    assert signed_in_as(client) is None


def test_combining_forms_sign_in_to_an_accented_domain(client, password):
    zoe = services.user_create(email="Zoe@CAFE\u0301.test", name="Zoe", password=password)
    assert zoe.email == "zoe@caf\u00e9.test"
    assert attempt(client, "ZOE@CAFÉ.TEST", password).status_code == 302
    assert signed_in_as(client) == zoe.pk


def test_the_api_token_endpoint_uses_the_same_lookup(client, kristin, password):
    for spelling in SAME_ACCOUNT.values():
        response = token(client, spelling, password)
        assert response.status_code == 200, response.content
    assert token(client, OTHER_ADDRESS["dotless ı"], password).status_code == 400


# --- sign-in: the throttle ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ALL_VARIANTS.values(), ids=ALL_VARIANTS.keys())
def test_no_spelling_signs_in_while_the_account_cools_off(client, kristin, password, spelling):
    for _ in range(5):
        attempt(client, ADDRESS)
    response = attempt(client, spelling, password)
    assert response.status_code in (429, 200)
    assert signed_in_as(client) is None


def token(client, email, password=WRONG):
    return client.post("/api/v1/auth/token/", {"email": email, "password": password}, content_type="application/json")


@pytest.mark.parametrize("spelling", ALL_VARIANTS.values(), ids=ALL_VARIANTS.keys())
def test_no_spelling_gets_an_api_token_while_the_account_cools_off(client, kristin, password, spelling):
    """The token endpoint takes the email as typed (no form field normalises it first)."""
    for _ in range(5):
        token(client, ADDRESS)
    response = token(client, spelling, password)
    assert response.status_code in (429, 400), response.content
    assert "token" not in response.json()


def test_api_failures_under_every_spelling_count_against_one_counter(client, kristin, password):
    spellings = list(SAME_ACCOUNT.values())
    for spelling in spellings[:4]:
        assert token(client, spelling).status_code == 400
    assert token(client, spellings[4]).status_code == 429
    assert token(client, spellings[5], password).status_code == 429


def test_failures_under_every_spelling_count_against_one_counter(client, kristin, password):
    spellings = list(SAME_ACCOUNT.values())
    for spelling in spellings[:4]:
        assert attempt(client, spelling).status_code == 200
    assert attempt(client, spellings[4]).status_code == 429
    for spelling in spellings:
        assert attempt(client, spelling, password).status_code == 429
    assert signed_in_as(client) is None


def test_look_alike_failures_do_not_lock_the_account(client, kristin, password):
    """A look-alike is another address (with no account): its failures are its own."""
    for _ in range(5):
        attempt(client, OTHER_ADDRESS["dotless ı"])
    assert attempt(client, ADDRESS, password).status_code == 302


def test_the_throttle_keys_on_the_account_matched(rf, kristin):
    from accounts.backends import throttle_username

    keys = {throttle_username(rf.post(LOGIN), {"username": spelling}) for spelling in SAME_ACCOUNT.values()}
    assert keys == {f"user:{kristin.pk}"}
    unknown = throttle_username(rf.post(LOGIN), {"username": "  Nobody@Example.TEST "})
    assert unknown == "nobody@example.test"
    assert (
        throttle_username(rf.post(LOGIN, {"username": "ＫＲＩＳＴＩＮ.sims@example.test"}), None)
        == f"user:{kristin.pk}"
    )


def test_a_success_resets_only_the_account_that_signed_in(client, kristin, customer, password):
    for _ in range(4):
        attempt(client, ADDRESS)
    # Someone signs in to their own account from the same address...
    assert attempt(client, customer.email, password).status_code == 302
    client.post(reverse("accounts:logout"))
    # ...and Kristin's counter still stands at four: one more failure pauses it.
    assert attempt(client, SAME_ACCOUNT["long s (ſ)"]).status_code == 429
    assert attempt(client, ADDRESS, password).status_code == 429


def test_a_success_under_another_spelling_resets_the_account(client, kristin, password):
    for _ in range(4):
        attempt(client, ADDRESS)
    assert attempt(client, SAME_ACCOUNT["full-width letters"], password).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert attempt(client, ADDRESS).status_code == 200


# --- every way an account or invite is made -----------------------------------------------------


@pytest.mark.parametrize("spelling", SAME_ACCOUNT.values(), ids=SAME_ACCOUNT.keys())
def test_user_create_stores_the_normal_form_and_refuses_a_second_spelling(spelling, password):
    user = services.user_create(email=spelling, name="Kristin", password=password)
    assert user.email == ADDRESS
    from django.core.exceptions import ValidationError

    for other in SAME_ACCOUNT.values():
        with pytest.raises(ValidationError) as caught:
            services.user_create(email=other, name="Twin", password=password)
        assert "already exists" in str(caught.value)


@pytest.mark.parametrize("spelling", [*OTHER_ADDRESS.values(), "ada\u0301@x.test"])
def test_user_create_refuses_non_ascii_before_the_at(spelling, password):
    """Dotless ı slips through Django's validator (a quirk of [A-Z] with IGNORECASE): no account may
    hold a look-alike of another's address."""
    from django.core.exceptions import ValidationError

    from accounts.addresses import normalize_email

    with pytest.raises(ValidationError) as caught:
        services.user_create(email=spelling, name="Twin", password=password)
    assert "email" in caught.value.message_dict
    assert not User.objects.filter(email=normalize_email(spelling)).exists()


def test_create_user_and_natural_key_use_the_normal_form(kristin):
    made = User.objects.create_user("ＺＯＥ@Example.teſt", password="x", name="Zoe")
    assert made.email == "zoe@example.test"
    assert User.objects.get_by_natural_key(SAME_ACCOUNT["Kelvin sign (K)"]) == kristin
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key(OTHER_ADDRESS["dotless ı"])


def test_invites_use_the_normal_form(admin, kristin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.invite_create(actor=admin, email=SAME_ACCOUNT["full-width letters"], role=Role.AGENT)
    invite = services.invite_create(actor=admin, email="ＮＥＷ.Agent@Desk.teſt", role=Role.AGENT)
    assert invite.email == "new.agent@desk.test"


def test_people_api_create_uses_the_normal_form(client, admin, kristin):
    client.force_login(admin)
    response = client.post(
        "/api/v1/users/", {"email": "ＭＩＡ@Example.teſt", "name": "Mia"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "mia@example.test"
    response = client.post(
        "/api/v1/users/", {"email": SAME_ACCOUNT["Kelvin sign (K)"], "name": "Twin"}, content_type="application/json"
    )
    assert response.status_code == 400 and "email" in response.json()
    response = client.post(
        "/api/v1/invites/",
        {"email": SAME_ACCOUNT["long s (ſ)"], "role": "agent"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "email" in response.json()


def test_admin_create_uses_the_normal_form(client, admin, kristin):
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "ＬＥＯ@Example.teſt", "name": "Leo", "role": "customer", "ticket_scope": "all", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(email="leo@example.test").exists()
    before = User.objects.count()
    client.post(
        reverse("admin:accounts_user_add"),
        {"email": SAME_ACCOUNT["mixed case"], "name": "Twin", "role": "customer", "ticket_scope": "all"},
    )
    assert User.objects.count() == before


def test_add_user_command_finds_the_account_under_any_spelling(kristin):
    from django.core.management import call_command

    call_command("add_user", SAME_ACCOUNT["full-width letters"], role="customer", password="new-pass-123", name="K S")
    assert User.objects.filter(email=ADDRESS).count() == 1
    kristin.refresh_from_db()
    assert kristin.check_password("new-pass-123")


@pytest.mark.parametrize("spelling", SAME_ACCOUNT.values(), ids=SAME_ACCOUNT.keys())
def test_password_reset_finds_the_account_under_any_spelling_and_mails_the_stored_address(client, kristin, spelling):
    response = client.post(reverse("accounts:password_reset"), {"email": spelling})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[ADDRESS]]


@pytest.mark.parametrize("spelling", OTHER_ADDRESS.values(), ids=OTHER_ADDRESS.keys())
def test_password_reset_sends_nothing_for_a_look_alike(client, kristin, spelling):
    response = client.post(reverse("accounts:password_reset"), {"email": spelling})
    assert response.status_code in (200, 302)  # "check your email", or "enter a valid address"
    assert mail.outbox == []


# --- stored addresses from before the normal form --------------------------------------------------


def test_normalising_stored_addresses_leaves_collisions_and_reports_them(kristin, customer, password):
    from accounts.addresses import normalize_stored_emails
    from accounts.models import Invite

    sam = services.user_create(email="sam@example.test", name="Sam", password=password)
    twin = services.user_create(email="twin@example.test", name="Twin", password=password)
    lone = services.user_create(email="lone@example.test", name="Lone", password=password)
    # Rows as older code stored them: not normalised.
    User.objects.filter(pk=twin.pk).update(email="ſam@example.test")  # collides with sam
    User.objects.filter(pk=lone.pk).update(email="Lone@EXAMPLE.TEST")
    User.objects.filter(pk=kristin.pk).update(email="Kristin.Sims@Example.Test")
    invite = Invite.objects.create(email="New@Desk.Test", role=Role.AGENT)

    report = normalize_stored_emails(User, Invite)

    emails = dict(User.objects.values_list("pk", "email"))
    assert emails[lone.pk] == "lone@example.test"
    assert emails[kristin.pk] == ADDRESS
    assert emails[customer.pk] == customer.email
    assert (emails[sam.pk], emails[twin.pk]) == ("sam@example.test", "ſam@example.test")  # left as they were
    invite.refresh_from_db()
    assert invite.email == "new@desk.test"
    assert report.changed == 3
    assert report.collisions == {"sam@example.test": sorted([sam.pk, twin.pk])}
    # Running it again finds nothing more to do.
    again = normalize_stored_emails(User, Invite)
    assert again.changed == 0 and again.collisions == report.collisions
