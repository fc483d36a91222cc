"""Changes to the email channel's settings: mailboxes and the retry of a quarantined message.

The settings pages (``tickets.mail.settings``) call these inside ``accounts.audit.changing`` or
next to ``record_addition``, so each change and its audit entry commit together. Passwords are
sealed here (``tickets.mail.credentials``) and never returned.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.addresses import normalize_email
from accounts.audit import NOTHING, untranslated
from tickets.mail import credentials, processing
from tickets.mail.models import ImapSecurity, InboundMessage, InboundState, Mailbox
from tickets.models import Priority
from tickets.services.validation import clean_tags

#: The fields an admin sets on a mailbox (the password is separate: ``password=``).
FIELDS = (
    "address",
    "team",
    "default_priority",
    "default_tags",
    "allow_unknown_senders",
    "add_cc_as_collaborators",
    "active",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
)


def _yes_no(value: bool) -> str:
    return gettext_noop("Yes") if value else gettext_noop("No")


@untranslated
def mailbox_values(mailbox: Mailbox) -> dict[str, str]:
    """What the audit log records of a mailbox: whether a password is set, never the password."""
    return {
        gettext_noop("Address"): mailbox.address,
        gettext_noop("Team"): mailbox.team.name if mailbox.team_id and mailbox.team else NOTHING,
        gettext_noop("Default priority"): str(mailbox.get_default_priority_display()),
        gettext_noop("Default tags"): ", ".join(mailbox.default_tags or []) or NOTHING,
        gettext_noop("Allow unknown senders"): _yes_no(mailbox.allow_unknown_senders),
        gettext_noop("Cc as collaborators"): _yes_no(mailbox.add_cc_as_collaborators),
        gettext_noop("Active"): _yes_no(mailbox.active),
        gettext_noop("IMAP host"): mailbox.imap_host or NOTHING,
        gettext_noop("IMAP port"): str(mailbox.imap_port) if mailbox.imap_port else NOTHING,
        gettext_noop("IMAP security"): str(mailbox.get_imap_security_display()),
        gettext_noop("IMAP username"): mailbox.imap_username or NOTHING,
        gettext_noop("IMAP password"): gettext_noop("Set") if mailbox.imap_password_encrypted else NOTHING,
    }


def _apply(mailbox: Mailbox, data: dict[str, Any], password: str | None) -> Mailbox:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise TypeError(f"Not mailbox settings: {sorted(unknown)}")
    for name, value in data.items():
        setattr(mailbox, name, value)
    mailbox.address = normalize_email(mailbox.address)
    mailbox.default_tags = clean_tags(list(mailbox.default_tags or []), field="default_tags")
    if mailbox.default_priority not in Priority.values:
        raise ValidationError({"default_priority": [_("Choose a priority.")]})
    if mailbox.imap_security not in ImapSecurity.values:
        raise ValidationError({"imap_security": [_("Choose how to connect.")]})
    if "@" not in mailbox.address:
        raise ValidationError({"address": [_("Enter an email address.")]})
    taken = Mailbox.objects.filter(address=mailbox.address).exclude(pk=mailbox.pk).exists()
    if taken:
        raise ValidationError({"address": [_("Another mailbox already has this address.")]})
    if password:
        mailbox.imap_password_encrypted = credentials.seal(password)
    if mailbox.imap_host and not mailbox.imap_username:
        raise ValidationError({"imap_username": [_("Give the username to sign in to the IMAP server with.")]})
    mailbox.full_clean(exclude=["team"])
    mailbox.save()
    return mailbox


@transaction.atomic
def mailbox_create(*, password: str | None = None, **data: Any) -> Mailbox:
    return _apply(Mailbox(), data, password)


@transaction.atomic
def mailbox_update(*, mailbox: Mailbox, password: str | None = None, **data: Any) -> Mailbox:
    """Change ``mailbox``; a ``password`` replaces the stored one, none keeps it."""
    return _apply(mailbox, data, password)


def inbound_process_again(*, inbound: InboundMessage) -> str:
    """Run a quarantined (or still waiting) message through the pipeline again; its new state.
    A processed or ignored message is done: ``ValidationError``."""
    if inbound.state not in (InboundState.QUARANTINED, InboundState.RECEIVED):
        raise ValidationError(_("Only quarantined or waiting messages can be processed again."))
    return processing.process(inbound.pk, again=True)
