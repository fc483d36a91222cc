"""Outbound HTTP for webhooks, refusing what an attacker could aim it at (SSRF).

By default a receiver must be on the public internet: every address its host name resolves to is
checked with ``ipaddress`` (private, loopback, link-local, shared, reserved, multicast and
unspecified addresses are refused, IPv4-mapped IPv6 too), and the connection goes to an address
that passed — never to a second, possibly different, DNS answer. ``HELPDESK_WEBHOOK_ALLOWED_HOSTS``
(comma-separated host names or networks, e.g. ``hooks.intranet,10.20.0.0/16,127.0.0.1``) lets
on-premises receivers through. Redirects are never followed (a 3xx is a failed delivery), so a
public receiver cannot bounce the request inward.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
EXCERPT = 500


class Refused(Exception):
    """The URL may not be called (its address is not public and not allowed)."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def allow_list() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """The allowed host names (lower case) and networks of ``HELPDESK_WEBHOOK_ALLOWED_HOSTS``."""
    names: set[str] = set()
    networks = []
    for item in settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item.lower().rstrip("."))
    return names, networks


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_address(address: IPAddress, host: str) -> None:
    """Raise ``Refused`` unless ``address`` (one answer for ``host``) may be called."""
    names, networks = allow_list()
    if host.lower().rstrip(".") in names or any(address in network for network in networks):
        return
    if not _public(address):
        raise Refused(
            _("%(host)s resolves to %(address)s, which is not a public address (see HELPDESK_WEBHOOK_ALLOWED_HOSTS).")
            % {"host": host, "address": address}
        )


def split(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and request target of ``url``; ``Refused`` for anything but http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Only http:// and https:// addresses can receive webhooks."))
    if parts.username or parts.password:
        raise Refused(_("Webhook addresses may not contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused(_("The address has an invalid port.")) from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


def check_url_literal(url: str) -> None:
    """What can be said of ``url`` without DNS (for forms): its scheme, and a literal address or
    ``localhost`` that is not allowed. Host names are checked again, resolved, on every send."""
    _scheme, host, _port, _target = split(url)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
            check_address(ipaddress.ip_address("127.0.0.1"), host)
        return
    check_address(address, host)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, each checked; ``Refused`` if any is not allowed (a name
    with one public and one private answer is refused: either could be used)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(_("%(host)s could not be resolved: %(problem)s") % {"host": host, "problem": exc}) from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            check_address(address, host)
            addresses.append(address)
    if not addresses:
        raise Refused(_("%(host)s has no address.") % {"host": host})
    return addresses


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float):
        self.tls = ssl.create_default_context()  # certificates checked against the host name
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to ``url`` after the checks above. ``Refused`` before any connection is made;
    ``OSError`` (timeouts, refused connections, TLS) and ``http.client.HTTPException`` pass up."""
    scheme, host, port, target = split(url)
    address = resolve(host, port)[0]
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address, timeout)
    try:
        connection.request("POST", target, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        excerpt = response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
        return Answer(response.status, excerpt)
    finally:
        connection.close()
