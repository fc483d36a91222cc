"""Who is calling the v2 API: Zendesk's API-token form of HTTP Basic, and Bearer tokens.

- ``Authorization: Basic base64("email/token:KEY")``: the person with that email, whose API token
  is ``KEY`` (the same token as v1's ``Authorization: Token KEY``);
- ``Authorization: Bearer KEY``: the API token's owner;
- HTTP Basic with a password (``email:password``) is refused (401): passwords are only ever sent
  to the sign-in page and v1's token endpoint.

A deactivated person's token stops working (DRF's check, as in v1). The owner's language and time
zone are activated for the request, as v1's token authentication does.
"""

from __future__ import annotations

import base64
import binascii

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.addresses import normalize_email
from accounts.languages import activate_for_request

REALM = 'Basic realm="Web Password"'


class ZendeskAuthentication(authentication.BaseAuthentication):
    """HTTP Basic with ``email/token`` and an API token, or a Bearer token."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts:
            return None
        scheme = parts[0].lower()
        if scheme not in (b"basic", b"bearer"):
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header."))
        user = self._token_owner(parts[1].decode("latin-1")) if scheme == b"bearer" else self._basic(parts[1])
        activate_for_request(request._request, user)
        return (user, None)

    def _basic(self, encoded: bytes):
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header.")) from None
        login, sep, secret = decoded.partition(":")
        if not sep or not login.endswith("/token"):
            raise exceptions.AuthenticationFailed(
                _("Passwords are not accepted here: use email/token with your API token, or a Bearer token.")
            )
        user = self._token_owner(secret)
        if normalize_email(login.removesuffix("/token")) != normalize_email(user.email):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user

    def _token_owner(self, key: str):
        from rest_framework.authtoken.models import Token

        if not key or len(key) > 128 or "\x00" in key:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = Token.objects.select_related("user").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user

    def authenticate_header(self, request) -> str:
        return REALM
