"""What the live-stream measurements share (loadtest/live_idle.py, loadtest/live_soak.py): signing
in through the form as a browser does, and reading the database's own counters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import requests

ACCOUNTS = json.loads(Path("var/load/accounts.json").read_text())


def sign_in(host: str, email: str) -> str:
    """A session cookie for ``email`` (the load password), as a Cookie header value."""
    session = requests.Session()
    page = session.get(f"{host}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{host}/accounts/login/",
        {"username": email, "password": ACCOUNTS["password"], "csrfmiddlewaretoken": token},
        headers={"Referer": f"{host}/accounts/login/"},
        timeout=30,
    )
    return f"sessionid={session.cookies['sessionid']}"


def database(url: str, query: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query).fetchone()[0]


def connections(url: str) -> int:
    """Connections to the database other than the one asking."""
    return database(
        url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )


def transactions(url: str) -> int:
    """Transactions the database has run (each query outside a transaction is one). The count
    includes the one reading it, which callers subtract."""
    return database(url, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
