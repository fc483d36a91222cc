"""The email channel's store: the mailboxes mail arrives at, and every message as it arrived.

Registered under the ``tickets`` app (its migrations live in ``tickets/migrations``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.mail import reasons
from tickets.models import Message, Priority, Ticket


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (plain text; only on a trusted network)")


class Mailbox(models.Model):
    """An address customers write to, and what a new ticket from it gets.

    The default mailbox (``HELPDESK_INBOUND_ADDRESS``) is created on first use
    (``tickets.mail.mailboxes.default_mailbox``), so a bare install takes mail with no set-up.
    """

    # In the desk's one normal form (accounts.addresses.normalize_email), so lookups compare exactly.
    address = models.EmailField(_("address"), max_length=254, unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("New tickets from this address are routed to this team."),
    )
    default_priority = models.CharField(_("default priority"), max_length=8, choices=Priority, default=Priority.NORMAL)
    default_tags = models.JSONField(
        _("default tags"), default=list, blank=True, help_text=_("Tag names for new tickets.")
    )
    allow_unknown_senders = models.BooleanField(
        _("allow unknown senders"),
        default=True,
        help_text=_("Mail from an address with no account opens a ticket (and a customer account without a password)."),
    )
    add_cc_as_collaborators = models.BooleanField(
        _("add Cc as collaborators"),
        default=True,
        help_text=_("Customers in Cc become collaborators of the ticket."),
    )
    active = models.BooleanField(_("active"), default=True)
    # IMAP polling (manage.py receive_mail --imap): a mailbox with a host is polled.
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    imap_security = models.CharField(_("IMAP security"), max_length=8, choices=ImapSecurity, default=ImapSecurity.SSL)
    imap_username = models.CharField(_("IMAP username"), max_length=255, blank=True)
    # Fernet token (tickets.mail.credentials), never the password itself; never shown back.
    imap_password_encrypted = models.TextField(_("IMAP password (encrypted)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_priority__in=Priority.values), name="mailbox_priority_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(imap_security__in=ImapSecurity.values), name="mailbox_imap_security_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def polls_imap(self) -> bool:
        """Whether ``receive_mail --imap`` fetches this mailbox's mail."""
        return bool(self.active and self.imap_host and self.imap_username and self.imap_password_encrypted)

    @property
    def imap_port_or_default(self) -> int:
        return self.imap_port or (993 if self.imap_security == ImapSecurity.SSL else 143)


class Door(models.TextChoices):
    SMTP = "smtp", _("SMTP/LMTP listener")
    STDIN = "stdin", _("Standard input (pipe)")
    IMAP = "imap", _("IMAP")
    WEBHOOK = "webhook", _("Provider webhook")


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not processed yet
    PROCESSED = "processed", _("Processed")  # became a ticket or a reply
    IGNORED = "ignored", _("Ignored")  # auto-reply, bounce, loop, list mail, unknown sender...
    QUARANTINED = "quarantined", _("Quarantined")  # failed or refused; see the reason; can run again


class InboundMessage(models.Model):
    """One message as it arrived, stored before anything else happens (store first).

    The raw bytes are kept in the row (a ``BinaryField``), not in file storage: the bytes and
    their deduplication commit in one statement, so a failed or repeated delivery leaves neither
    an orphaned file nor a row without its file, and nothing depends on whether storage is a
    local disk or S3. Messages are limited to ``HELPDESK_INBOUND_MAX_BYTES`` (25 MB); one over
    that keeps only its header block.
    """

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="messages")
    door = models.CharField(_("door"), max_length=8, choices=Door)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # Without the angle brackets; "" when the message had none.
    message_id = models.CharField(_("Message-ID"), max_length=500, blank=True)
    envelope_sender = models.CharField(_("envelope sender"), max_length=320, blank=True)
    envelope_recipients = models.JSONField(_("envelope recipients"), default=list, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    state = models.CharField(_("state"), max_length=12, choices=InboundState, default=InboundState.RECEIVED)
    # In English (commands, the log, searches); ``reason_parts``: each sentence untranslated with its
    # values, for ``shown_reason`` in the reader's language (tickets.mail.reasons).
    reason = models.TextField(_("reason"), blank=True)
    reason_parts = models.JSONField(_("reason, to translate"), default=list, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The reply or first message it became (not "message": that attribute would be message_id).
    ticket_message = models.ForeignKey(
        Message, verbose_name=_("message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.CheckConstraint(condition=models.Q(door__in=Door.values), name="inbound_door_valid"),
            models.CheckConstraint(condition=models.Q(state__in=InboundState.values), name="inbound_state_valid"),
            # A delivery repeated (an SMTP retry, the same message fetched twice) stores nothing new.
            models.UniqueConstraint(fields=["sha256"], name="inbound_sha256_unique"),
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], condition=~models.Q(message_id=""), name="inbound_message_id_unique"
            ),
        ]
        indexes = [
            # process_mail: the messages waiting or quarantined, oldest first.
            models.Index(
                fields=["state", "received_at"],
                name="inbound_pending_idx",
                condition=models.Q(state__in=["received", "quarantined"]),
            ),
        ]

    def __str__(self) -> str:
        return f"<{self.message_id}>" if self.message_id else f"inbound message {self.pk}"

    @property
    def shown_reason(self) -> str:
        """The reason in the active language (the English ``reason`` for messages stored before
        the parts were kept)."""
        return reasons.shown(self.reason_parts, self.reason)

    @property
    def truncated(self) -> bool:
        """Whether only the header block was kept (the message was over the size limit)."""
        return len(self.raw) < self.size
