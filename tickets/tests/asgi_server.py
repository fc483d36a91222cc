"""The product served the way ``make run`` serves it — ASGI under uvicorn — inside the test process,
on the test database, and a small server-sent-events client to read its live streams.

pytest-django's ``live_server`` is a WSGI server: right for browser tests, wrong for measuring
streams, whose whole point under ASGI is that a waiting stream holds no thread and no connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection, HTTPException, HTTPResponse

import uvicorn
from django.test import Client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def asgi_server() -> Iterator[str]:
    """Serve ``helpdesk.asgi``'s application on a free loopback port for the block; yields the base URL."""
    from helpdesk.serving import build_application

    port = free_port()
    config = uvicorn.Config(
        build_application(),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def session_cookie(user) -> str:  # noqa: ANN001
    """A signed-in session for ``user`` (as the sign-in page would make), as a Cookie header."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class Stream:
    """One ``GET /live/events/`` read on its own thread: frames are collected as they arrive."""

    def __init__(self, base_url: str, cookie: str, query: str = ""):
        host, port = base_url.removeprefix("http://").split(":")
        self.connection = HTTPConnection(host, int(port), timeout=30)
        self.connection.request(
            "GET", f"/live/events/{query}", headers={"Cookie": cookie, "Accept": "text/event-stream"}
        )
        self.response: HTTPResponse = self.connection.getresponse()
        self.status = self.response.status
        self.headers = self.response.headers  # case-insensitive, as HTTP header names are
        self.frames: list[str] = []
        self.finished = threading.Event()
        self._lock = threading.Lock()
        if self.status == 200:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()
        else:
            self.body = self.response.read().decode()
            self.finished.set()

    def _read(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self.response.read1(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n\n" in buffer:
                    raw, buffer = buffer.split(b"\n\n", 1)
                    with self._lock:
                        self.frames.append(raw.decode())
        except (OSError, ValueError, HTTPException):  # the stream was closed: from either side
            pass
        finally:
            self.finished.set()

    def events(self, kind: str = "ticket") -> list[str]:
        with self._lock:
            return [frame for frame in self.frames if f"event: {kind}" in frame]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.events(kind)) >= count:
                return True
            if self.finished.is_set() and len(self.events(kind)) < count:
                return False
            time.sleep(0.02)
        return False

    def close(self) -> None:
        """Hang up, as a closed browser tab does (the reader thread sees the end, then lets go)."""
        with contextlib.suppress(OSError):
            if self.connection.sock is not None:
                self.connection.sock.shutdown(socket.SHUT_RDWR)
        self.finished.wait(5)
        self.connection.close()
