"""Limits on the mail account pages send to whoever asks: password reset and sign-up.

Anyone can type any address into those forms, so without a limit the desk mails a stranger's
inbox as often as someone asks (and spends its sending reputation doing it). Each request that
would send such a mail takes one unit from two budgets kept in the cache (shared by all web
processes, like the API throttles): one per client IP address, then one per recipient address.
When either is spent the mail is not sent and the page answers exactly as it would have, so the
limit reveals nothing about which addresses have accounts. The budgets refill a window
(``HELPDESK_ACCOUNT_MAIL_WINDOW``) after their first use.
"""

from __future__ import annotations

import hashlib
import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)


def _take(kind: str, ident: str, limit: int) -> bool:
    """Take one unit from the ``kind`` budget of ``ident``; False when it was already spent."""
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    key = f"accounts:mail-limit:{kind}:{digest}"
    window = int(settings.HELPDESK_ACCOUNT_MAIL_WINDOW.total_seconds())
    cache.add(key, 0, timeout=window)
    try:
        used = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, timeout=window)
        used = 1
    return used <= limit


def allow_account_mail(request: HttpRequest, address: str) -> bool:
    """Whether a password-reset or sign-up mail to ``address`` (normal form) may be sent for
    ``request``; counts it when it may. A spent IP budget does not use up the address's budget."""
    ip = get_client_ip_address(request) or "unknown"
    if not _take("ip", ip, settings.HELPDESK_ACCOUNT_MAIL_PER_IP):
        log.warning("Account mail not sent: client %s asked for more than its limit in the window.", ip)
        return False
    if not _take("to", address, settings.HELPDESK_ACCOUNT_MAIL_PER_ADDRESS):
        log.warning("Account mail not sent: its address was mailed its limit in the window (asked from %s).", ip)
        return False
    return True
