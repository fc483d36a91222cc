"""Mailbox passwords at rest: encrypted with a key derived from ``SECRET_KEY``, never shown back.

Why a key derived from ``SECRET_KEY`` rather than a password in an environment variable: admins
set and replace a mailbox's password on its settings page, with no deployment or shell access,
and the desk already has exactly one secret that must stay secret. The key is
SHA-256("helpdesk.mailbox-credentials" + SECRET_KEY), so it is not ``SECRET_KEY`` itself and is
used for nothing else; the token is Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``).
A database dump alone does not reveal a mailbox password. Rotating ``SECRET_KEY`` makes the stored
passwords unreadable: ``reveal`` then answers None and the IMAP door says the password must be set
again (on the mailbox's page), rather than failing obscurely.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PURPOSE = b"helpdesk.mailbox-credentials"


def _fernet() -> Fernet:
    digest = hashlib.sha256(PURPOSE + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(password: str) -> str:
    """The encrypted form of ``password``, to store."""
    return _fernet().encrypt(password.encode()).decode("ascii")


def reveal(token: str) -> str | None:
    """The password ``token`` holds, or None when it cannot be read (none stored, another
    ``SECRET_KEY``, tampered with)."""
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None
