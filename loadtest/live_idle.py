"""What N open, idle live streams cost a running server: database transactions per second,
connections, and how long an ordinary page takes meanwhile (the figures in SECURITY.md; run it
against any build to compare).

    python loadtest/live_idle.py HOST DATABASE_URL [STREAMS] [SECONDS]

Needs var/load/accounts.json from scripts/load.sh (customers and agents with the load password).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.client import HTTPConnection, HTTPException
from urllib.parse import urlsplit

import requests
from live_common import ACCOUNTS, connections, sign_in, transactions

HOST, DATABASE_URL = sys.argv[1], sys.argv[2]
STREAMS = int(sys.argv[3]) if len(sys.argv) > 3 else 100
SECONDS = int(sys.argv[4]) if len(sys.argv) > 4 else 20


opened: list[int] = []


def open_stream(cookie: str) -> None:
    parts = urlsplit(HOST)
    connection = HTTPConnection(parts.hostname, parts.port, timeout=SECONDS * 4)
    try:
        connection.request("GET", "/live/events/", headers={"Cookie": cookie})
        response = connection.getresponse()
        opened.append(response.status)
        while response.read1(65536):
            pass
    except (OSError, HTTPException):
        pass


def main() -> None:
    people = ACCOUNTS["customers"][:20] + ACCOUNTS["agents"][:5]
    cookies = [sign_in(HOST, person["email"]) for person in people]
    page_cookie = cookies[0]
    connections_before = connections(DATABASE_URL)
    for index in range(STREAMS):
        threading.Thread(target=open_stream, args=(cookies[index % len(cookies)],), daemon=True).start()
    deadline = time.monotonic() + 60
    while len(opened) < STREAMS and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(10)  # the streams' first catch-up queries are over
    before = transactions(DATABASE_URL)
    time.sleep(SECONDS)
    per_second = (transactions(DATABASE_URL) - before - 1) / SECONDS
    held = connections(DATABASE_URL)
    started = time.monotonic()
    try:
        status = requests.get(f"{HOST}/portal/", headers={"Cookie": page_cookie}, timeout=30).status_code
    except requests.RequestException as error:
        status = f"error: {error}"
    page_ms = (time.monotonic() - started) * 1000
    print(
        json.dumps(
            {
                "streams": STREAMS,
                "answered": {str(code): opened.count(code) for code in sorted(set(opened))},
                "idle_queries_per_second": round(per_second, 1),
                "connections_before": connections_before,
                "connections_with_streams": held,
                "portal_page": {"status": status, "ms": round(page_ms)},
            }
        )
    )


if __name__ == "__main__":
    main()
