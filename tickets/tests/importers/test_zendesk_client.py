"""The Zendesk client against a real (tiny) HTTP server in a thread: sign-in, cursor and offset
pages, a 429 waited out for its Retry-After, 5xx and timeouts tried again with growing pauses,
errors that say what went wrong, and credentials that never leave the account's host."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tickets.importers.zendesk.client import ZendeskClient, ZendeskError, api_base, instance_key, retry_after


class Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}
    seen_auth: dict[str, str | None] = {}

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up waiting
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?")[0]
        count = self.hits[path] = self.hits.get(path, 0) + 1
        self.seen_auth[path] = self.headers.get("Authorization")
        port = self.server.server_address[1]  # type: ignore[index]
        if path == "/api/v2/limited.json":
            if count == 1:
                return self._send(429, {"error": "TooManyRequests"}, {"Retry-After": "2"})
            return self._send(200, {"ok": True})
        if path == "/api/v2/flaky.json":
            return self._send(503, {}) if count <= 2 else self._send(200, {"ok": True})
        if path == "/api/v2/broken.json":
            return self._send(500, {})
        if path == "/api/v2/missing.json":
            return self._send(404, {"error": "RecordNotFound", "description": "Not found"})
        if path == "/api/v2/slow.json":
            time.sleep(1.5)
            return self._send(200, {"ok": True})
        if path == "/api/v2/users.json":
            query = self.path.split("?", 1)[1]
            if "page%5Bafter%5D=2" in query or "page[after]=2" in query:
                return self._send(200, {"users": [{"id": 3}], "meta": {"has_more": False}, "links": {"next": None}})
            nxt = f"http://127.0.0.1:{port}/api/v2/users.json?page%5Bafter%5D=2"
            return self._send(
                200, {"users": [{"id": 1}, {"id": 2}], "meta": {"has_more": True}, "links": {"next": nxt}}
            )
        if path == "/api/v2/ticket_fields.json":
            if "page=2" in self.path:
                return self._send(200, {"ticket_fields": [{"id": 9}], "next_page": None})
            nxt = f"http://127.0.0.1:{port}/api/v2/ticket_fields.json?page=2"
            return self._send(200, {"ticket_fields": [{"id": 8}], "next_page": nxt})
        if path == "/files/big.bin":
            return self._send(200, b"x" * 100)
        if path == "/files/away":  # a redirect to another host name of the same server
            return self._send(302, b"", {"Location": f"http://localhost:{port}/files/elsewhere.bin"})
        if path == "/files/elsewhere.bin":
            return self._send(200, b"the bytes")
        return self._send(404, {"error": "RecordNotFound"})


@pytest.fixture
def server() -> Iterator[str]:
    Handler.hits, Handler.seen_auth = {}, {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def client(url: str, pauses: list[float], **kwargs) -> ZendeskClient:
    return ZendeskClient(url, email="ray@acme.test", token="T0K3N", sleep=pauses.append, **kwargs)


def test_signs_in_with_an_api_token_and_follows_cursor_and_offset_pages(server):
    zd = client(server, [])
    assert [u["id"] for u in zd.items("users.json", "users")] == [1, 2, 3]
    assert [f["id"] for f in zd.items("ticket_fields.json", "ticket_fields")] == [8, 9]
    expected = "Basic " + base64.b64encode(b"ray@acme.test/token:T0K3N").decode()
    assert Handler.seen_auth["/api/v2/users.json"] == expected
    assert zd.requests == 4


def test_a_rate_limit_is_waited_out_and_server_errors_are_tried_again(server):
    pauses: list[float] = []
    zd = client(server, pauses, retries=3)
    assert zd.get("limited.json") == {"ok": True}
    assert pauses == [2.0]  # as long as Retry-After said
    pauses.clear()
    assert zd.get("flaky.json") == {"ok": True}
    assert pauses == [2, 4]  # a growing pause between tries
    pauses.clear()
    with pytest.raises(ZendeskError, match="HTTP 500") as failed:
        zd.get("broken.json")
    assert failed.value.status == 500 and Handler.hits["/api/v2/broken.json"] == 4 and pauses == [2, 4, 8]


def test_errors_say_what_went_wrong_and_a_404_list_is_optional(server):
    zd = client(server, [])
    with pytest.raises(ZendeskError, match="HTTP 404 Not Found: Not found") as missing:
        zd.get("missing.json")
    assert missing.value.status == 404
    assert zd.optional_items("nothing_here.json", "things") is None
    pauses: list[float] = []
    with pytest.raises(ZendeskError, match="cannot be reached"):
        client(server, pauses, timeout=0.3, retries=1).get("slow.json")
    assert pauses == [2]


def test_files_credentials_stay_home_and_size_is_capped(server):
    zd = client(server, [])
    assert zd.download(f"{server}/files/away", limit=1000) == b"the bytes"
    assert Handler.seen_auth["/files/away"] is not None  # the account's own host
    assert Handler.seen_auth["/files/elsewhere.bin"] is None  # not carried across the redirect
    port = server.rsplit(":", 1)[1]
    assert zd.download(f"http://localhost:{port}/files/elsewhere.bin", limit=1000) == b"the bytes"
    assert Handler.seen_auth["/files/elsewhere.bin"] is None  # another host: never sent
    with pytest.raises(ZendeskError) as big:
        zd.download(f"{server}/files/big.bin", limit=50)
    assert big.value.status == 413
    with pytest.raises(ZendeskError, match="not an http"):
        zd.download("file:///etc/passwd", limit=50)


def test_addresses_and_retry_after():
    assert api_base("https://Acme.zendesk.com") == "https://Acme.zendesk.com/api/v2/"
    assert api_base("https://acme.zendesk.com/api/v2/") == "https://acme.zendesk.com/api/v2/"
    assert instance_key("https://Acme.zendesk.com/") == "acme.zendesk.com"
    assert instance_key("http://127.0.0.1:8000") == "127.0.0.1:8000"
    with pytest.raises(ZendeskError):
        api_base("ftp://acme.zendesk.com")
    assert retry_after("7") == 7 and retry_after(None) == 60 and retry_after("100000") == 300
    assert 25 <= retry_after(formatdate(time.time() + 30, usegmt=True)) <= 31


def test_zendesk_words_become_ours():
    from tickets.importers.zendesk import mapping

    assert [mapping.status(s) for s in ("new", "open", "pending", "hold", "solved", "closed", "deleted", None)] == [
        "open",
        "open",
        "pending",
        "on_hold",
        "solved",
        "closed",
        None,
        None,
    ]
    assert [mapping.priority(p) for p in ("urgent", "high", "normal", "low", None, "p1")] == [
        "urgent",
        "high",
        "normal",
        "low",
        "normal",
        "normal",
    ]
    assert [mapping.role(r) for r in ("end-user", "agent", "admin", None)] == ["customer", "agent", "admin", "customer"]
    assert mapping.channel({"channel": "email"}) == ("email", "email")
    assert mapping.channel({"channel": "voice"}) == ("agent", "voice")
    assert mapping.channel({"channel": "chat"}) == ("web", "chat")
    kept, left = mapping.tags(["VIP", "vip", "two words", *[f"t{n}" for n in range(12)]])
    assert kept == ["vip", *[f"t{n}" for n in range(9)]] and left == ["two words", "t9", "t10", "t11"]
    assert mapping.field_key("Order number") == "order_number" and mapping.field_key("2nd line") == "f_2nd_line"
    assert mapping.moment("2024-01-31T12:00:00Z").isoformat() == "2024-01-31T12:00:00+00:00"
