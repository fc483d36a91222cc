"""Helpers for the v2 tests: requests as a person, with their API token."""

from __future__ import annotations

import base64
import json
from typing import Any

from accounts import services as account_services


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {account_services.api_token_get_or_create(user=user).key}"}


def basic(login: str, secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{login}:{secret}".encode()).decode()}


def call(client, user, method: str, path: str, body: Any = None, **extra):
    headers = bearer(user) if user is not None else {}
    headers.update(extra)
    if body is None:
        return getattr(client, method)(path, **headers)
    return client.generic(method.upper(), path, json.dumps(body), content_type="application/json", **headers)
