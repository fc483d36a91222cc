"""Sending people back where they came from (a ``next`` field) without trusting it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_next(request: HttpRequest, value: str | None, default: str) -> HttpResponseRedirect:
    """A redirect to ``value`` when it is an address on this site (https if the request is), else
    to ``default`` (an address).

    Never ``django.shortcuts.redirect(value)``: it takes a string without "/" or "." for the name of
    a view, so ``next=abc`` (or any number) would be a ``NoReverseMatch`` — a 500.
    """
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(value)
    return HttpResponseRedirect(default)
