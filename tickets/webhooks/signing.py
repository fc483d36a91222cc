"""Webhook secrets and signatures (the Standard Webhooks specification).

A secret is ``whsec_`` + base64 of 32 random bytes; the key is the decoded bytes. A message is
signed as ``v1,`` + base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")). These
few lines are ours rather than the ``standardwebhooks`` package's: the desk needs no runtime
dependency for them, and the tests verify every signature with that package, independently.

Secrets are stored sealed with a key derived from ``SECRET_KEY`` (Fernet, as
``tickets.mail.credentials`` seals mailbox passwords, under its own purpose): they must be
recoverable to sign, and a database dump alone must not reveal them. Rotating ``SECRET_KEY``
makes them unreadable: deliveries then fail with "the signing secret cannot be read" until an
admin rotates the endpoint's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PREFIX = "whsec_"
PURPOSE = b"helpdesk.webhook-secrets"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _fernet() -> Fernet:
    digest = hashlib.sha256(PURPOSE + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


def reveal(token: str) -> str | None:
    """The secret ``token`` holds, or None when it cannot be read (another ``SECRET_KEY``)."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body`` sent as ``message_id`` at ``timestamp``."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(16)
