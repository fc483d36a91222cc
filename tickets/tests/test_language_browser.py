"""The language switch in a real browser (Playwright + Debian Chromium): a customer chooses
Español on the profile, sees the portal in Spanish, files a ticket and gets the mail in Spanish."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import sign_in
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_live_stream(page):
    page.route("**/live/events/**", lambda route: route.abort())


def test_a_customer_switches_to_spanish(page, customer, settings, tmp_path):
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "location": str(tmp_path / "media")}},
    }
    sign_in(page, customer.email)
    page.get_by_role("link", name="Profile").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Language (optional)").select_option("es")
    page.get_by_label("Time zone (optional)").fill("Europe/Madrid")
    page.get_by_role("button", name="Save language and time zone").click()

    # The next page is Spanish already, and so is every page after it.
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_text("Tu idioma y tu zona horaria se han guardado.")).to_be_visible()
    page.get_by_role("link", name="Mis tickets").first.click()
    expect(page.get_by_role("heading", name="Mis tickets")).to_be_visible()
    expect(page.get_by_text("Todavía no tienes tickets.")).to_be_visible()

    mail.outbox.clear()
    page.get_by_role("link", name="Abre tu primer ticket").click()
    page.get_by_label("Asunto").fill("La factura no se descarga")
    page.get_by_label("Describe el problema").fill("Al pulsar el enlace de descarga no pasa nada.")
    page.get_by_label("Prioridad").select_option("high")
    page.get_by_role("button", name="Enviar ticket").click()
    page.wait_for_url(re.compile(r"/portal/tickets/\d+/$"))
    ticket = Ticket.objects.get(subject="La factura no se descarga")
    expect(page.get_by_text(f"El ticket #{ticket.pk} está registrado.")).to_be_visible()
    assert page.locator(".ticket-badges").inner_text().split() == ["Abierto", "Prioridad", "Alta"]
    expect(page.get_by_role("heading", name="Historial")).to_be_visible()

    # The acknowledgement went out in Spanish (the live server shares this process's outbox).
    (acknowledgement,) = [m for m in mail.outbox if customer.email in m.to]
    assert acknowledgement.subject == f"[#{ticket.pk}] Hemos recibido tu solicitud: La factura no se descarga"
    assert "hemos recibido tu solicitud" in acknowledgement.body
    assert "Ver el ticket" in acknowledgement.body
    assert 'lang="es"' in acknowledgement.alternatives[0].content
