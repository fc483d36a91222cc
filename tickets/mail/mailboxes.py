"""Which mailbox an address is: the configured ones, and the default one made on first use."""

from __future__ import annotations

from collections.abc import Iterable

from accounts.addresses import normalize_email
from tickets.mail.models import Mailbox
from tickets.notifications.mailthread import inbound_address, split_plus_address


def default_mailbox() -> Mailbox:
    """The mailbox of ``HELPDESK_INBOUND_ADDRESS``, created the first time it is needed."""
    mailbox, _ = Mailbox.objects.get_or_create(address=inbound_address())
    return mailbox


def mailbox_for(address: str) -> Mailbox | None:
    """The active mailbox ``address`` reaches — itself or as a plus-address of it
    (``support+anything@``) — or None when it is no address of ours."""
    address = normalize_email(address)
    if "@" not in address:
        return None
    base, _ = split_plus_address(address)
    if base == inbound_address():
        mailbox = default_mailbox()
        return mailbox if mailbox.active else None
    return Mailbox.objects.filter(address__in={address, base}, active=True).first()


def choose_mailbox(*address_lists: Iterable[str]) -> Mailbox:
    """The first of our mailboxes among the addresses (envelope recipients first, then the
    headers), else the default mailbox (a message piped to us is for us)."""
    for addresses in address_lists:
        for address in addresses:
            mailbox = mailbox_for(address)
            if mailbox is not None:
                return mailbox
    return default_mailbox()


def is_ours(address: str) -> bool:
    """Whether ``address`` is one of our mailboxes (or a plus-address of one)."""
    return mailbox_for(address) is not None
