"""Invisible characters in labels (issue 13 §4): bidirectional controls, zero-width and other
format characters are removed from ticket subjects, people's names, team and organization names
(as from file names) through every door — services, portal, agent pages, API, admin, and the
model itself — and kept in message bodies, where right-to-left writers need them.

And the NUL byte class: one answer, 400, on PostgreSQL and SQLite alike, through every door.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Organization, Role, Team, User
from accounts.signup import signup_token
from helpdesk.text import clean_label
from tickets import services
from tickets.attachments import clean_filename
from tickets.models import Message, Ticket
from tickets.tests.api.support import token_client
from tickets.tests.factories import upload

PASSWORD = "correct-horse-battery-staple"
# The named offenders, and every format character Unicode has (category Cf).
NAMED = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings and overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u200e", "\u200f", "\u061c",  # marks
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e",  # zero-width, soft hyphen
]  # fmt: skip
ALL_FORMAT = [chr(cp) for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"]
SPOOF = "Invoice \u202egpj.exe\u202c"


@pytest.mark.parametrize("ch", NAMED, ids=[f"U+{ord(c):04X}" for c in NAMED])
def test_clean_label_removes_each_named_character(ch):
    assert clean_label(f"Invoice {ch}gpj{ch}.exe{ch}") == "Invoice gpj.exe"


def test_clean_label_removes_every_format_and_control_character():
    dirty = "A" + "".join(ALL_FORMAT) + "\x01\x7f\x9f\u2028B\tC\r\nD"
    assert clean_label(dirty) == "A B C D"
    assert len(ALL_FORMAT) > 150


def test_clean_label_keeps_real_text():
    for text in ("Zoë Ångström", "محمد علي", "שלום עולם", "日本語の件名", "Ticket 🎉 done", "x\u0301"):
        assert clean_label(text) == unicodedata.normalize("NFC", text)


def test_file_names_use_the_same_cleaning():
    assert clean_filename("report\u202efdp.exe") == "reportfdp.exe"
    assert clean_filename("a\u200bb.txt") == "ab.txt"


# --- subjects, through every door ---------------------------------------------------------------


def test_service_cleans_subjects_on_create_and_update(customer, agent):
    ticket = services.ticket_create(actor=customer, subject=SPOOF, description="The invoice attachment looks odd.")
    assert ticket.subject == "Invoice gpj.exe"
    services.ticket_update(actor=agent, ticket=ticket, subject="Refund \u2067for\u2069 \u200bme")
    assert Ticket.objects.get(pk=ticket.pk).subject == "Refund for me"


def test_subject_of_only_invisible_characters_is_refused(customer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.ticket_create(actor=customer, subject="\u202e\u200b" * 10, description="Twenty characters at least.")
    assert "subject" in caught.value.message_dict


def test_portal_cleans_the_subject(client, customer):
    client.force_login(customer)
    response = client.post(
        reverse("portal:new_ticket"),
        {"subject": SPOOF, "description": "The invoice attachment looks odd.", "priority": "normal"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(requester=customer)
    assert ticket.subject == "Invoice gpj.exe"
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "\u202e" not in page


def test_api_cleans_the_subject_on_create_and_patch(customer, agent):
    response = token_client(customer).post(
        "/api/v1/tickets/",
        {"subject": SPOOF, "description": "The invoice attachment looks odd."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "Invoice gpj.exe"
    pk = response.json()["id"]
    response = token_client(agent).patch(f"/api/v1/tickets/{pk}/", {"subject": "Paid \u200f\u202dtwice"}, format="json")
    assert response.status_code == 200, response.content
    assert Ticket.objects.get(pk=pk).subject == "Paid twice"


def test_message_bodies_keep_direction_marks(customer):
    body = "\u05e9\u05dc\u05d5\u05dd\u200f (RTL) and \u202ekept\u202c as written"
    ticket = services.ticket_create(actor=customer, subject="Right to left", description=body)
    assert Message.objects.get(ticket=ticket).body == body


# --- names, through every door --------------------------------------------------------------------


def test_services_clean_names(admin):
    user = account_services.user_create(email="m@x.test", name="Mallory\u202e \u200bAdmin")
    assert user.name == "Mallory Admin"
    account_services.user_set_name(user=user, name="\u2066Eve\u2069")
    assert User.objects.get(pk=user.pk).name == "Eve"
    team = account_services.team_create(name="Bill\u200bing")
    assert team.name == "Billing"
    org = account_services.organization_create(name="\u202eAcme")
    assert org.name == "Acme"


def test_the_model_cleans_names_whatever_saves_them(db):
    from django.contrib.auth.models import Group

    user = User.objects.create(email="raw@x.test", name="Raw\u202e Name")
    team = Team.objects.create(name="Raw\u200d Team", group=Group.objects.create(name="raw-team"))
    org = Organization.objects.create(name="Raw\ufeff Org", group=Group.objects.create(name="raw-org"))
    assert User.objects.get(pk=user.pk).name == "Raw Name"
    assert Team.objects.get(pk=team.pk).name == "Raw Team"
    assert Organization.objects.get(pk=org.pk).name == "Raw Org"


def test_a_name_differing_only_by_invisible_characters_is_taken(db):
    from django.core.exceptions import ValidationError

    account_services.team_create(name="Billing")
    with pytest.raises(ValidationError):
        account_services.team_create(name="Bil\u200bling")


def test_pages_clean_names(client, customer):
    client.force_login(customer)
    assert client.post(reverse("accounts:profile_name"), {"name": "Ada\u202e Lovelace"}).status_code == 302
    assert User.objects.get(pk=customer.pk).name == "Ada Lovelace"
    client.logout()
    response = client.post(
        reverse("accounts:signup_confirm", args=[signup_token(email="sam@x.test", name="")]),
        {"name": "\u2067Sam\u2069", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="sam@x.test").name == "Sam"


def test_a_new_collaborators_name_is_cleaned(agent, ticket):
    user = services.collaborator_add(actor=agent, ticket=ticket, email="carl@x.test", name="Carl\u202e")
    assert User.objects.get(pk=user.pk).name == "Carl"


def test_invite_acceptance_cleans_the_name(client, admin):
    invite = account_services.invite_create(actor=admin, email="inv@desk.test", role=Role.AGENT)
    response = client.post(
        reverse("accounts:invite_accept", args=[invite.token]),
        {"name": "In\u200bvited\u202e", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="inv@desk.test").name == "Invited"


def test_api_cleans_names(admin):
    api = token_client(admin)
    response = api.post(
        "/api/v1/users/", {"email": "u@x.test", "name": "U\u202eser", "role": "customer"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "User"
    response = api.post("/api/v1/teams/", {"name": "Ops\u2068", "description": ""}, format="json")
    assert response.status_code == 201, response.content
    team_id = response.json()["id"]
    assert Team.objects.get(pk=team_id).name == "Ops"
    response = api.patch(f"/api/v1/teams/{team_id}/", {"name": "\u200fOps 2"}, format="json")
    assert response.status_code == 200, response.content
    assert Team.objects.get(pk=team_id).name == "Ops 2"


def test_admin_cleans_names(client, admin):
    client.force_login(admin)
    assert (
        client.post(reverse("admin:accounts_team_add"), {"name": "Re\u202eturns", "description": ""}).status_code == 302
    )
    assert Team.objects.filter(name="Returns").exists()
    assert client.post(reverse("admin:accounts_organization_add"), {"name": "Ini\u200dtech"}).status_code == 302
    assert Organization.objects.filter(name="Initech").exists()
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "adm@x.test", "name": "Ad\u2066min\u2069", "password": "", "role": "customer",
         "ticket_scope": "all", "organization": "", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="adm@x.test").name == "Admin"


# --- NUL bytes: the same 400 on both databases, through every door ------------------------------


def test_nul_bytes_are_a_400_on_every_door(client, customer, agent, ticket):
    client.force_login(customer)
    assert client.get("/portal/?q=a%00b").status_code == 400
    assert (
        client.post(reverse("portal:new_ticket"), {"subject": "A\x00b subject", "description": "x" * 30}).status_code
        == 400
    )
    assert client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "Hi\x00"}).status_code == 400
    client.force_login(agent)
    assert client.get("/agent/?q=%00").status_code == 400
    assert client.get("/agent/?status=open&status=%00").status_code == 400
    assert client.get("/agent/?a%00=1").status_code == 400
    api = token_client(agent)
    for request in (
        lambda: api.get("/api/v1/tickets/?q=%00"),
        lambda: api.post("/api/v1/tickets/", {"subject": "A\x00", "description": "x" * 30}, format="json"),
        lambda: api.post("/api/v1/tickets/", {"subject": "Fine", "metadata": {"k\x00": 1}}, format="json"),
        lambda: api.generic(
            "POST", f"/api/v1/tickets/{ticket.pk}/messages/", '{"body": "\\ud800"}', content_type="application/json"
        ),
        lambda: api.patch(f"/api/v1/tickets/{ticket.pk}/", {"tags": ["a\x00"]}, format="json"),
        lambda: api.post(
            f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": upload("a.txt", b"hello"), "message": "1\x00"}
        ),
    ):
        response = request()
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/json"
        assert "NUL" in response.json()["detail"] or "surrogate" in response.json()["detail"]
    assert Ticket.objects.count() == 1


def test_deeply_nested_json_is_a_400(agent):
    response = token_client(agent).generic(
        "POST", "/api/v1/tickets/", "[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested too deeply."}
