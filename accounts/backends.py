"""Sign-in throttling: django-axes in front of the ordinary ModelBackend."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a sign-in while its email+IP pair is cooling off after too many failures.

    Axes needs the request to know the IP address. Calls without one (Django's test client
    ``login()``, the shell) are not web sign-ins and cannot be throttled by address, so this
    backend steps aside for them instead of raising; every view that signs people in passes the
    request (Django's LoginView, DRF's token view).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def throttle_username(request, credentials) -> str | None:
    """The email the attempt was for, lower-cased: emails sign in case-insensitively, so
    ``Ada@x`` and ``ada@x`` must count against the same limit."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("username") or request.POST.get("email")
    return value.strip().lower() if isinstance(value, str) else value
