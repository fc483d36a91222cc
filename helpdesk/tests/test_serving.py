"""The served application (``helpdesk.serving``): pages and the API through Django's WSGI handler on
a thread, live-update streams through its ASGI handler — checked on a real uvicorn server."""

from __future__ import annotations

import threading
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started

from helpdesk.serving import page_threads, streaming_paths
from tickets.live.hub import hub
from tickets.tests.asgi_server import Stream, asgi_server, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


class Handlers:
    """Which Django handler started each request, by path."""

    def __init__(self) -> None:
        self.seen: list[tuple[type, str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, sender, environ=None, scope=None, **kwargs) -> None:  # noqa: ANN001
        path = environ["PATH_INFO"] if environ is not None else scope["path"]
        with self._lock:
            self.seen.append((sender, path, threading.current_thread().name))

    def for_path(self, path: str) -> list[type]:
        with self._lock:
            return [sender for sender, seen, _ in self.seen if seen == path]


@pytest.fixture
def handlers():
    seen = Handlers()
    request_started.connect(seen, weak=False)
    yield seen
    request_started.disconnect(seen)


def test_pages_and_the_api_go_through_the_wsgi_handler_and_streams_through_the_asgi_one(handlers, customer, ticket):
    cookie = session_cookie(customer)
    with asgi_server() as url:
        address = urlsplit(url)
        connection = HTTPConnection(address.hostname, address.port, timeout=10)
        for path in ("/portal/", f"/portal/tickets/{ticket.pk}/", "/api/v1/tickets/", "/healthz"):
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            assert response.status == 200, path
        connection.close()
        stream = Stream(url, cookie)
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        stream.close()
    hub.shutdown()
    for path in ("/portal/", f"/portal/tickets/{ticket.pk}/", "/api/v1/tickets/", "/healthz"):
        assert handlers.for_path(path) == [WSGIHandler], path
    assert handlers.for_path("/live/events/") == [ASGIHandler]
    # The page requests ran on the pool's threads, not the event loop's.
    assert {name.split("_")[0] for _, path, name in handlers.seen if path != "/live/events/"} == {"WSGI"}


def test_a_form_post_with_a_file_arrives_whole(customer):
    """A multipart upload is read from the ASGI body stream by the WSGI handler's thread."""
    from tickets.models import Attachment, Ticket

    content = b"%PDF-1.4\n" + b"y" * 200_000 + b"\n%%EOF\n"
    boundary = "helpdesk-boundary"
    client_cookie = session_cookie(customer)
    with asgi_server() as url:
        address = urlsplit(url)
        connection = HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request("GET", "/portal/tickets/new/", headers={"Cookie": client_cookie})
        page = connection.getresponse()
        html = page.read().decode()
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        csrf_cookie = next(
            value.split(";")[0]
            for name, value in page.getheaders()
            if name.lower() == "set-cookie" and "csrftoken" in value
        )
        parts = []
        for name, value in (
            ("csrfmiddlewaretoken", token),
            ("subject", "Printer on fire"),
            ("description", "Smoke is coming out of the paper tray since this morning."),
            ("priority", "normal"),
        ):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="report.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        connection.request(
            "POST",
            "/portal/tickets/new/",
            body=b"".join(parts),
            headers={
                "Cookie": f"{client_cookie}; {csrf_cookie}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": f"{url}/portal/tickets/new/",
                "Origin": url,
            },
        )
        created = connection.getresponse()
        answer = created.read()
        connection.close()
    assert created.status == 302, answer[:2000]
    ticket = Ticket.objects.get(subject="Printer on fire")
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.file.storage.open(attachment.file.name).read() == content


def test_the_thread_pool_matches_the_database_pool():
    postgres = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"pool": {"min_size": 1, "max_size": 7}}}
    assert page_threads(postgres) == 7
    assert page_threads({"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}) == 10  # behind PgBouncer
    assert page_threads({"ENGINE": "django.db.backends.sqlite3"}) == 10


def test_only_the_event_stream_is_served_asynchronously():
    """Every other URL, the presence heartbeat under /live/ included, is a page."""
    assert streaming_paths() == frozenset({"/live/events/"})
