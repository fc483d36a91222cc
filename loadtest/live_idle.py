"""What N open, idle live streams cost a running server: database transactions per second,
connections, and how long an ordinary page takes meanwhile (the figures in SECURITY.md; run it
against any build to compare).

    python loadtest/live_idle.py HOST DATABASE_URL [STREAMS] [SECONDS]

Needs var/load/accounts.json from scripts/load.sh (customers and agents with the load password).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests

HOST, DATABASE_URL = sys.argv[1], sys.argv[2]
STREAMS = int(sys.argv[3]) if len(sys.argv) > 3 else 100
SECONDS = int(sys.argv[4]) if len(sys.argv) > 4 else 20
ACCOUNTS = json.loads(Path("var/load/accounts.json").read_text())


def sign_in(email: str) -> str:
    session = requests.Session()
    page = session.get(f"{HOST}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{HOST}/accounts/login/",
        {"username": email, "password": ACCOUNTS["password"], "csrfmiddlewaretoken": token},
        headers={"Referer": f"{HOST}/accounts/login/"},
        timeout=30,
    )
    return f"sessionid={session.cookies['sessionid']}"


def database(query: str) -> int:
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        return conn.execute(query).fetchone()[0]


def transactions() -> int:
    return database("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")


def connections() -> int:
    return database(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )


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
    cookies = [sign_in(person["email"]) for person in people]
    page_cookie = cookies[0]
    connections_before = connections()
    for index in range(STREAMS):
        threading.Thread(target=open_stream, args=(cookies[index % len(cookies)],), daemon=True).start()
    deadline = time.monotonic() + 60
    while len(opened) < STREAMS and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(10)  # the streams' first catch-up queries are over
    before = transactions()
    time.sleep(SECONDS)
    per_second = (transactions() - before - 1) / SECONDS
    held = connections()
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
