"""Site-wide behaviour: sign-in, home per role, login required everywhere, health check."""

import pytest

from conftest import sign_in


@pytest.mark.django_db
def test_home_redirects_anonymous_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_back_office_carries_the_products_name(client, admin):
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert "Helpdesk back office" in html and "Django administration" not in html
    assert "<title>Every model of the desk | Helpdesk back office</title>" in html


@pytest.mark.django_db
def test_health_is_public(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["customer", "agent", "admin"])
def test_signed_in_home(client, request, persona, password):
    user = request.getfixturevalue(persona)
    client.login(username=user.email, password=password)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert user.name.encode() in response.content


@pytest.mark.django_db
def test_login_is_case_insensitive_on_email(client, customer, password):
    assert client.login(username=customer.email.upper(), password=password)


@pytest.mark.browser
def test_sign_in_in_a_real_browser(page, customer):
    sign_in(page, customer.email)
    assert "Welcome, Ada" in page.content()


@pytest.mark.django_db
def test_favicon_is_served(client):
    """/favicon.ico (asked for by browsers on pages without an icon link) leads to the SVG icon,
    which every page links and the static files hold."""
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg")
    assert finders.find("favicon.svg")
    assert b'rel="icon"' in client.get("/accounts/login/").content
