"""One download response (``tickets.downloads``): the page and the API hand out a file alike.

Local disk: the same bytes and the same security headers on both paths. A storage that serves
files itself: both redirect to a signed URL carrying the same content-type and disposition
overrides — checked against django-storages' real S3 backend, which signs URLs offline (no
bucket is contacted; the test only reads the URL it makes).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import Attachment
from tickets.tests.api.support import token_client
from tickets.tests.files import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

SAME_ON_BOTH = ["Content-Type", "Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy"]
S3_OVERRIDES = ["response-content-type", "response-content-disposition"]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default.get("OPTIONS", {}), "location": str(tmp_path / "media")}},
    }


def _attach(customer, ticket, name: str, content: bytes) -> Attachment:
    services.message_add(actor=customer, ticket=ticket, body="Files", attachments=[upload(name, content)])
    return Attachment.objects.filter(ticket=ticket).latest("id")


def _both(client, customer, attachment):
    client.force_login(customer)
    page = client.get(reverse("attachments:download", args=[attachment.pk]))
    api = token_client(customer).get(reverse("api:attachment-download", args=[attachment.pk]))
    return page, api


@pytest.mark.parametrize(
    ("name", "content", "content_type", "disposition"),
    [
        ("shot.png", png_bytes(), "image/png", 'attachment; filename="shot.png"'),
        (
            'Fac"ture été.pdf',
            pdf_bytes(),
            "application/pdf",
            "attachment; filename*=utf-8''Fac%22ture%20%C3%A9t%C3%A9.pdf",
        ),
    ],
    ids=["png", "unusual-name-pdf"],
)
def test_local_download_sends_the_same_security_headers_on_page_and_api(
    client, customer, ticket, name, content, content_type, disposition
):
    attachment = _attach(customer, ticket, name, content)
    page, api = _both(client, customer, attachment)
    for response in (page, api):
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == disposition
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]
    assert {h: page[h] for h in SAME_ON_BOTH} == {h: api[h] for h in SAME_ON_BOTH}


def test_missing_stored_file_is_404_on_page_and_api(client, customer, ticket):
    attachment = _attach(customer, ticket, "shot.png", png_bytes())
    attachment.file.storage.delete(attachment.file.name)
    page, api = _both(client, customer, attachment)
    assert (page.status_code, api.status_code) == (404, 404)


def test_s3_download_redirects_to_a_signed_url_with_the_same_overrides_on_page_and_api(
    client, customer, ticket, settings
):
    attachment = _attach(customer, ticket, 'Fac"ture été.pdf', pdf_bytes())
    # The file was stored on disk above; from here on the default storage is an S3 bucket.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "helpdesk-files",
                "endpoint_url": "https://s3.example.test",
                "region_name": "eu-west-1",
                "access_key": "AKIAEXAMPLEEXAMPLE00",
                "secret_key": "example-secret-key-example-secret-key-00",
            },
        },
    }
    attachment = Attachment.objects.get(pk=attachment.pk)
    page, api = _both(client, customer, attachment)
    queries = []
    for response in (page, api):
        assert response.status_code == 302
        assert "no-store" in response["Cache-Control"]
        location = urlsplit(response["Location"])
        assert location.netloc.endswith("s3.example.test")
        assert location.path.endswith(attachment.file.name)
        query = parse_qs(location.query)
        assert "X-Amz-Signature" in query or "Signature" in query  # signed, short-lived
        queries.append({key: query.get(key) for key in S3_OVERRIDES})
    assert queries[0] == queries[1]
    assert queries[0] == {
        "response-content-type": ["application/pdf"],
        "response-content-disposition": ["attachment; filename*=utf-8''Fac%22ture%20%C3%A9t%C3%A9.pdf"],
    }


def test_a_storage_whose_urls_cannot_carry_the_headers_is_streamed_not_redirected(client, customer, ticket, settings):
    """Django's own InMemoryStorage has URLs, but url() takes no response overrides: a redirect
    there would answer with whatever the server guesses. Both paths stream it with our headers."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://files.example.test/"},
        },
    }
    attachment = _attach(customer, ticket, "shot.png", png_bytes())
    assert attachment.file.storage.url(attachment.file.name).startswith("https://files.example.test/")
    # One file each: InMemoryStorage hands every reader the same file object and empties it on close.
    again = _attach(customer, ticket, "shot.png", png_bytes())
    client.force_login(customer)
    responses = []
    for response in (
        client.get(reverse("attachments:download", args=[attachment.pk])),
        token_client(customer).get(reverse("api:attachment-download", args=[again.pk])),
    ):
        responses.append(response)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == png_bytes()
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'attachment; filename="shot.png"'
        assert response["X-Content-Type-Options"] == "nosniff"
    page, api = responses
    assert {h: page[h] for h in SAME_ON_BOTH} == {h: api[h] for h in SAME_ON_BOTH}


@pytest.mark.django_db(transaction=True)
def test_under_asgi_a_download_streams_from_a_thread_without_warnings(customer, ticket, settings):
    """Served as `make run` serves it (uvicorn), a download and a static file arrive whole, and
    Django does not warn that it had to read a synchronous file into memory to send it: they go
    through the WSGI handler, read chunk by chunk on a worker thread (helpdesk.serving)."""
    import warnings
    from http.client import HTTPConnection
    from urllib.parse import urlsplit as split

    from tickets.tests.asgi_server import asgi_server, session_cookie

    settings.WHITENOISE_USE_FINDERS = True  # static files from the sources: no collectstatic in tests
    content = b"%PDF-1.4\n" + b"x" * 300_000 + b"\n%%EOF\n"
    services.message_add(
        actor=customer, ticket=ticket, body="Big file", attachments=[upload("big.pdf", content, "application/pdf")]
    )
    attachment = Attachment.objects.get(ticket=ticket, filename="big.pdf")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with asgi_server() as url:
            address = split(url)
            connection = HTTPConnection(address.hostname, address.port, timeout=10)
            connection.request(
                "GET", f"/attachments/{attachment.pk}/download/", headers={"Cookie": session_cookie(customer)}
            )
            response = connection.getresponse()
            body = response.read()
            connection.request("GET", "/static/css/helpdesk.css")
            static = connection.getresponse()
            static_body = static.read()
            connection.close()
    assert response.status == 200 and body == attachment.file.storage.open(attachment.file.name).read()
    assert static.status == 200 and b".site-header" in static_body
    assert not [w for w in caught if "synchronous iterators" in str(w.message)], [str(w.message) for w in caught]
