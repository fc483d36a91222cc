"""Per-request settings that come from the signed-in person (after AuthenticationMiddleware)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.languages import activate_for_request


class UserLocaleMiddleware:
    """The signed-in person's chosen language and time zone for this request. Anonymous visitors,
    and people who chose no language, keep what LocaleMiddleware took from Accept-Language.

    API requests signed with a token are authenticated later, inside the view: the token
    authentication class (``accounts.authentication``) activates the same there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_for_request(request, user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
