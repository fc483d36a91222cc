"""A person's language and time zone: chosen on the profile (or the API), else the browser's
language and the desk's zone; mail goes out in the recipient's language, whoever acted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts import services as account_services
from accounts.languages import speaking_to
from tickets import services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db

SPANISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def test_the_profile_sets_language_and_time_zone(client, customer):
    client.force_login(customer)
    response = client.post(reverse("accounts:profile_locale"), {"language": "es", "time_zone": "America/Mexico_City"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.language, customer.time_zone) == ("es", "America/Mexico_City")
    page = client.get(reverse("accounts:profile"), **ENGLISH_BROWSER).content.decode()  # the choice beats the browser
    assert '<html lang="es"' in page
    assert "Tu idioma y tu zona horaria se han guardado." in page
    assert 'value="America/Mexico_City"' in page


def test_blank_follows_the_browser_and_the_desk(client, customer, settings):
    account_services.user_set_locale(user=customer, language="es", time_zone="Europe/Madrid")
    client.force_login(customer)
    assert client.post(reverse("accounts:profile_locale"), {"language": "", "time_zone": ""}).status_code == 302
    customer.refresh_from_db()
    assert (customer.language, customer.time_zone) == ("", "")
    assert '<html lang="es"' in client.get(reverse("portal:my_tickets"), **SPANISH_BROWSER).content.decode()
    assert '<html lang="en"' in client.get(reverse("portal:my_tickets"), **ENGLISH_BROWSER).content.decode()
    assert '<html lang="en"' in client.get(reverse("portal:my_tickets")).content.decode()  # no header: the desk's


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"language": "es", "time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"language": "es", "time_zone": "../../etc/passwd"}, "time_zone"),
        ({"language": "klingon", "time_zone": ""}, "language"),
    ],
)
def test_a_bad_choice_is_a_form_error_and_changes_nothing(client, customer, data, field):
    client.force_login(customer)
    response = client.post(reverse("accounts:profile_locale"), data, **ENGLISH_BROWSER)
    assert response.status_code == 400
    assert response.context["locale_form"].errors[field]
    customer.refresh_from_db()
    assert (customer.language, customer.time_zone) == ("", "")


def test_unknown_zone_message_names_the_zone(client, customer):
    client.force_login(customer)
    html = client.post(
        reverse("accounts:profile_locale"), {"language": "", "time_zone": "Mars/Olympus_Mons"}, **ENGLISH_BROWSER
    ).content.decode()
    assert "Unknown time zone “Mars/Olympus_Mons”" in html


def test_dates_are_shown_in_the_persons_zone(client, customer, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(created_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    client.force_login(customer)
    url = reverse("portal:ticket", args=[ticket.pk])
    assert "15 Jan 2026, 12:00" in client.get(url).content.decode()  # the desk's zone (UTC)
    account_services.user_set_locale(user=customer, language="", time_zone="America/Mexico_City")
    assert "15 Jan 2026, 06:00" in client.get(url).content.decode()
    account_services.user_set_locale(user=customer, language="es", time_zone="Asia/Tokyo")
    assert "15 Ene 2026, 21:00" in client.get(url).content.decode()


def test_mail_speaks_each_recipients_language(django_capture_on_commit_callbacks, customer, agent, admin, ticket):
    """One change, two recipients: the Spanish customer's mail is Spanish, the English agent's
    English — and the actor's own (Spanish) language and the request's leak into neither."""
    account_services.user_set_locale(user=customer, language="es", time_zone="Europe/Madrid")
    account_services.user_set_locale(user=admin, language="es", time_zone="")
    mail.outbox.clear()
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=admin, ticket=ticket, assignee=agent, status=Status.PENDING)
    to_customer = [m for m in mail.outbox if customer.email in m.to]
    to_agent = [m for m in mail.outbox if agent.email in m.to]
    assert len(to_customer) == 1 and len(to_agent) == 1
    assert "Pendiente" in to_customer[0].subject
    assert "ha cambiado tu ticket" in to_customer[0].body and "Esperamos tu respuesta" in to_customer[0].body
    assert 'lang="es"' in to_customer[0].alternatives[0].content
    assert "Assigned to you" in to_agent[0].subject
    assert "assigned ticket" in to_agent[0].body and "Requester:" in to_agent[0].body
    assert 'lang="en' in to_agent[0].alternatives[0].content


def test_speaking_to_restores_what_was_active(customer):
    account_services.user_set_locale(user=customer, language="es", time_zone="Asia/Tokyo")
    with translation.override("en"):
        with speaking_to(customer):
            assert translation.get_language() == "es"
        assert translation.get_language() == "en"


def test_password_reset_mail_in_the_accounts_language(client, customer):
    account_services.user_set_locale(user=customer, language="es", time_zone="")
    mail.outbox.clear()
    client.post(reverse("accounts:password_reset"), {"email": customer.email}, **ENGLISH_BROWSER)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Restablece tu contraseña de Helpdesk"
    assert "Elige una contraseña nueva aquí" in mail.outbox[0].body


def test_api_errors_speak_the_callers_language_with_stable_status(client, customer, ticket):
    account_services.user_set_locale(user=customer, language="es", time_zone="")
    token = account_services.api_token_get_or_create(user=customer).key
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    missing = client.get("/api/v1/tickets/999999999/", **auth)
    assert missing.status_code == 404 and missing.json() == {"detail": "No encontrado."}
    refused = client.post(
        f"/api/v1/tickets/{ticket.pk}/messages/",
        {"body": "x", "internal": True},
        content_type="application/json",
        **auth,
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Solo los agentes pueden añadir notas internas."
    invalid = client.post(
        "/api/v1/tickets/", {"subject": "", "description": ""}, content_type="application/json", **auth
    )
    assert invalid.status_code == 400
    assert set(invalid.json()) >= {"subject"}  # the field names (the contract) stay as they are
    account_services.user_set_locale(user=customer, language="", time_zone="")
    english = client.get("/api/v1/tickets/999999999/", **auth, **ENGLISH_BROWSER)
    assert english.status_code == 404 and english.json() == {"detail": "Not found."}


def test_me_sets_language_and_time_zone(client, customer):
    token = account_services.api_token_get_or_create(user=customer).key
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    response = client.patch(
        "/api/v1/me/", {"language": "es", "time_zone": "Europe/Madrid"}, content_type="application/json", **auth
    )
    assert response.status_code == 200
    assert (response.json()["language"], response.json()["time_zone"]) == ("es", "Europe/Madrid")
    bad = client.patch("/api/v1/me/", {"time_zone": "Nowhere/Land"}, content_type="application/json", **auth)
    assert bad.status_code == 400 and "time_zone" in bad.json()
    assert "Zona horaria desconocida" in bad.json()["time_zone"][0]
    customer.refresh_from_db()
    assert customer.time_zone == "Europe/Madrid"
