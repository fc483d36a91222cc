"""Reads for people's own account pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rest_framework.authtoken.models import Token

    from accounts.models import User


def api_token_for(user: User) -> Token | None:
    """``user``'s API token, or None when they have not made one yet."""
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(user=user).first()
