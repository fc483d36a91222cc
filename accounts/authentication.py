"""The API's token authentication: DRF's, then the token owner's language and time zone.

Session requests get them from ``accounts.middleware.UserLocaleMiddleware``; a token is only
read inside the view, so error messages written after this point speak the owner's language.
"""

from __future__ import annotations

from rest_framework import authentication

from accounts.languages import activate_for_request


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_for_request(request._request, result[0])
        return result
