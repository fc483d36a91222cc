"""A real webhook receiver for the tests: ``http.server`` on 127.0.0.1 in a thread, verifying every
message with the ``standardwebhooks`` package (not our own signing code)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    """Answers ``status`` (or the next of ``statuses``) after ``delay`` seconds; keeps what came."""

    def __init__(self, secret: str = "", *, status: int = 200, delay: float = 0.0):
        self.secret = secret
        self.status = status
        self.statuses: list[int] = []
        self.delay = delay
        self.received: list[dict] = []  # {"id", "type", "payload", "headers"}
        self.rejected: list[str] = []  # why a signature did not verify
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                except (WebhookVerificationError, ValueError) as exc:
                    with receiver.lock:
                        receiver.rejected.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.received.append(
                        {"id": headers["webhook-id"], "type": payload["type"], "payload": payload, "headers": headers}
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"ok": status < 300}).encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def ids(self) -> Counter:
        with self.lock:
            return Counter(item["id"] for item in self.received)

    def types(self) -> list[str]:
        with self.lock:
            return [item["type"] for item in self.received]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
