"""The API's request rates: per user, per anonymous client, and for the token endpoint."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _RateFromSettings(SimpleRateThrottle):
    """Reads its rate when used, not at import, so settings (and tests) can change it."""

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) if self.scope else None
        return None if rate is None else str(rate)  # "100/min"; the stubs type rates as numbers


class UserThrottle(_RateFromSettings):
    """Per signed-in user (anonymous requests are left to ``AnonymousThrottle``)."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousThrottle(_RateFromSettings):
    """Per client IP address, for requests without credentials."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenEndpointThrottle(_RateFromSettings):
    """The password endpoint, per client IP whoever asks: a much lower rate against guessing."""

    scope = "token"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
