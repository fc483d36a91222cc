"""Sign-in throttling: django-axes in front of the ordinary ModelBackend."""

from __future__ import annotations

import hashlib

from axes.backends import AxesStandaloneBackend

from accounts.addresses import normalize_email
from accounts.models import User

#: The longest address an account can have (RFC 5321 path limit, Django's EmailField).
MAX_ADDRESS_LENGTH = 254


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
    """What the sign-in throttle counts failures against (django-axes' ``AXES_USERNAME_CALLABLE``).

    The account the address means — ``user:<id>``, found exactly as sign-in finds it
    (``UserManager.with_email``) — so every spelling of one account's address (another case,
    full-width letters, ``ſ``, ``K``...) shares one counter, and a successful sign-in resets only
    the counter of the account that signed in. An address with no account counts under its normal
    form. Answers are remembered on the request: axes asks several times per attempt.
    """
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("username") or request.POST.get("email")
    if not isinstance(value, str):
        return value
    address = normalize_email(value)
    if len(address) > MAX_ADDRESS_LENGTH:
        # No account has an address this long, and axes keeps the key in a 255-character column:
        # count the attempt under a digest of it (the same text always meets the same counter).
        return "long:" + hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()
    remembered = getattr(request, "_throttle_keys", None)
    if remembered is None:
        remembered = {}
        if request is not None:
            request._throttle_keys = remembered
    if address not in remembered:
        pk = User.objects.with_email(address).values_list("pk", flat=True).first() if address else None
        remembered[address] = f"user:{pk}" if pk is not None else address
    return remembered[address]
