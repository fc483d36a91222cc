"""Turning a stored message into a ticket or a reply — the one pipeline behind every door.

``process`` is idempotent: a message already processed or ignored is left alone, so a job that
runs twice (a retried task, two workers) has the effect of running once; the message row is
locked while it is worked on. Everything a message writes happens in one transaction with its
new state: a failure rolls the ticket, the reply, the new account and the stored files back
together and quarantines the message with the reason, and the next message goes on.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts import services as account_services
from accounts.addresses import normalize_email
from accounts.languages import speaking_to
from accounts.models import User
from helpdesk import memo
from tickets import permissions, services
from tickets.attachments import CheckedFile, atomic_with_files, check_upload
from tickets.mail import content, noise, notices, reasons, routing
from tickets.mail.mailboxes import is_ours
from tickets.mail.models import InboundMessage, InboundState, Mailbox
from tickets.mail.parsing import MailFile, ParsedMail, parse
from tickets.mail.reasons import Said, too_large
from tickets.models import Channel, Message, Ticket
from tickets.notifications.mailthread import remember
from tickets.permissions import Action

log = logging.getLogger("tickets.mail")


@dataclass
class Outcome:
    state: str
    reason: Said | None = None
    ticket: Ticket | None = None
    message: Message | None = None
    notes: list[Said] = field(default_factory=list)


class _Refusal(Exception):
    def __init__(self, said: Said) -> None:
        super().__init__(said.english())
        self.said = said


class Ignore(_Refusal):
    """The message is not for a ticket; stored as ignored with this reason."""


class Quarantine(_Refusal):
    """The message is refused for now; stored as quarantined with this reason (can run again)."""


def process(inbound_id: int, *, again: bool = False) -> str:
    """Process stored message ``inbound_id`` (once) and return its state. ``again``: also run a
    quarantined message — an admin's retry, which the per-sender rate limit does not count.

    One message is one block of work, like a request: what the permission layer reads (the
    sender's access profile) is remembered for it (``helpdesk.memo``), not read per check."""
    with memo.scope():
        return _process(inbound_id, again=again)


def _process(inbound_id: int, *, again: bool) -> str:
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().select_related("mailbox").filter(pk=inbound_id).first()
        if inbound is None:
            return "missing"
        if inbound.state in (InboundState.PROCESSED, InboundState.IGNORED):
            return str(inbound.state)
        if inbound.state == InboundState.QUARANTINED and not again:
            return str(inbound.state)
        inbound.attempts += 1
        try:
            with atomic_with_files():
                outcome = _handle(inbound, count_rate=not again)
        except Ignore as exc:
            outcome = Outcome(InboundState.IGNORED, exc.said)
        except Quarantine as exc:
            outcome = Outcome(InboundState.QUARANTINED, exc.said)
        except Exception as exc:  # any failure: kept with the reason, the others go on
            log.exception("Inbound message %s could not be processed", inbound.pk)
            error = f"{type(exc).__name__}: {exc}"[:2000]  # the program's own words: not translated
            outcome = Outcome(
                InboundState.QUARANTINED, Said(gettext_noop("Processing failed: %(error)s"), {"error": error})
            )
        said = [*([outcome.reason] if outcome.reason else []), *outcome.notes]
        inbound.state = outcome.state
        inbound.reason, inbound.reason_parts = reasons.english(said), reasons.parts(said)
        inbound.ticket = outcome.ticket
        inbound.ticket_message = outcome.message
        inbound.processed_at = timezone.now()
        inbound.save(
            update_fields=["state", "reason", "reason_parts", "ticket", "ticket_message", "processed_at", "attempts"]
        )
    return str(outcome.state)


def _handle(inbound: InboundMessage, *, count_rate: bool) -> Outcome:
    limit = settings.HELPDESK_INBOUND_MAX_BYTES
    if inbound.truncated or inbound.size > limit:
        raise Quarantine(too_large(inbound.size, limit))
    mail = parse(bytes(inbound.raw))
    if mail.is_delivery_report:
        return _bounce(mail)
    noisy = noise.classify(mail)
    if noisy is not None:
        raise Ignore(noisy.reason)
    if routing.is_our_own(mail):
        raise Ignore(Said(gettext_noop("Our own notification came back (its Message-ID is one we sent).")))
    if not mail.sender:
        raise Ignore(Said(gettext_noop("The message has no sender address (From).")))
    if is_ours(mail.sender):
        raise Ignore(Said(gettext_noop("Mail from our own address %(address)s."), {"address": mail.sender}))
    if count_rate and _over_rate_limit(mail.sender):
        window = int(settings.HELPDESK_INBOUND_RATE_WINDOW.total_seconds() // 60)
        raise Quarantine(
            Said(
                gettext_noop("%(address)s sent more than %(limit)s messages in %(minutes)s minutes."),
                {"address": mail.sender, "limit": settings.HELPDESK_INBOUND_RATE_LIMIT, "minutes": window},
            )
        )
    mailbox = inbound.mailbox
    sender = _sender_account(mail, mailbox)
    if sender.email_bouncing_since is not None:  # mail from the address arrived: it works again
        account_services.user_set_email_bouncing(user=sender, bouncing=False)
    with speaking_to(sender):  # what the message's text gains (refused files, notes) is in its sender's language
        accepted, refused = _check_files(mail.files)
    match = routing.find_ticket(mail, list(inbound.envelope_recipients))
    outcome = Outcome(InboundState.PROCESSED)
    follow_up: Ticket | None = None
    if match is not None:
        if not permissions.can(sender, Action.REPLY, match.ticket):
            outcome.notes.append(
                Said(
                    gettext_noop(
                        "Matched #%(ticket)s by %(how)s, but %(address)s may not reply there: opened a new ticket."
                    ),
                    {"ticket": match.ticket.pk, "how": match.how, "address": mail.sender},
                )
            )
        elif match.ticket.is_closed:
            follow_up = match.ticket
            outcome.notes.append(
                Said(gettext_noop("#%(ticket)s is closed: opened a follow-up ticket."), {"ticket": match.ticket.pk})
            )
        else:
            text = content.strip_quoted(mail.text) if mail.text else ""
            with speaking_to(sender):
                body = content.fit(content.with_refusals(text, refused) or _("(This email had no text.)"), minimum=1)
            message = services.message_add(actor=sender, ticket=match.ticket, body=body, attachments=accepted)
            outcome.ticket, outcome.message = match.ticket, message
            outcome.reason = Said(
                gettext_noop("Reply on #%(ticket)s (matched by %(how)s)."),
                {"ticket": match.ticket.pk, "how": match.how},
            )
    if outcome.ticket is None:
        ticket = _new_ticket(mail, mailbox, sender, accepted, refused, follow_up)
        outcome.ticket = ticket
        outcome.message = ticket.messages.order_by("created_at", "id").first()
        outcome.reason = Said(gettext_noop("New ticket #%(ticket)s."), {"ticket": ticket.pk})
    assert outcome.ticket is not None
    if refused:  # listed in the ticket's text; the sender is told by mail too (after the commit)
        notices.refused_files_later(mail=mail, sender=sender, ticket=outcome.ticket, refused=refused)
    if mailbox.add_cc_as_collaborators:
        _add_collaborators(mail, mailbox, sender, outcome.ticket, outcome)
    remember(outcome.ticket.pk, mail.message_id, outbound=False)
    return outcome


def _new_ticket(
    mail: ParsedMail,
    mailbox: Mailbox,
    sender: User,
    accepted: list[io.BytesIO],
    refused: list[tuple[str, str]],
    follow_up: Ticket | None,
) -> Ticket:
    with speaking_to(sender):  # the sender's words, with our notes in their language
        text = content.with_refusals(mail.text, refused)
        if follow_up is not None:
            text = "\n\n".join([_("Follow-up to #%(number)s.") % {"number": follow_up.pk}, text]).strip()
        subject = content.new_ticket_subject(mail.subject)
        description = content.fit(text, minimum=content.description_minimum())
    try:
        ticket = services.ticket_create(
            actor=sender,
            subject=subject,
            description=description,
            priority=mailbox.default_priority,
            tags=list(mailbox.default_tags or []),
            attachments=accepted,
            via=Channel.EMAIL,
        )
    except ValidationError as exc:
        raise Quarantine(
            Said(gettext_noop("The ticket could not be created: %(errors)s"), {"errors": "; ".join(exc.messages)})
        ) from None
    if mailbox.team_id is not None and mailbox.team is not None:
        ticket = services.ticket_route(ticket=ticket, team=mailbox.team)
    return ticket


def _sender_account(mail: ParsedMail, mailbox: Mailbox) -> User:
    """The account of the sender, made (a customer without a password) when the mailbox takes
    mail from unknown senders; ``Ignore`` otherwise."""
    user = User.objects.with_email(mail.sender).first()
    if user is None:
        if not mailbox.allow_unknown_senders:
            raise Ignore(
                Said(
                    gettext_noop("%(address)s has no account and %(mailbox)s takes mail only from known senders."),
                    {"address": mail.sender, "mailbox": mailbox.address},
                )
            )
        user = _create_customer(mail.sender, mail.sender_name)
    if not user.is_active:
        raise Ignore(Said(gettext_noop("The account of %(address)s is deactivated."), {"address": mail.sender}))
    return user


def _create_customer(address: str, name: str) -> User:
    name = " ".join((name or "").split())[:150] or address.split("@")[0]
    try:
        with transaction.atomic():
            return account_services.user_create(email=address, name=name)
    except IntegrityError:  # the same new sender in two messages at once
        existing = User.objects.with_email(address).first()
        if existing is None:
            raise
        return existing
    except ValidationError as exc:
        raise Ignore(
            Said(
                gettext_noop("%(address)s is not an address we can make an account for: %(errors)s"),
                {"address": address, "errors": "; ".join(exc.messages)},
            )
        ) from None


def _check_files(files: list[MailFile]) -> tuple[list[io.BytesIO], list[tuple[str, str]]]:
    """The files that pass the portal's upload checks, and (name, reason) for those that do not."""
    accepted: list[io.BytesIO] = []
    refused: list[tuple[str, str]] = []
    limit = settings.HELPDESK_MAX_ATTACHMENTS_PER_REQUEST
    for item in files:
        upload = io.BytesIO(item.data)
        upload.name = item.filename
        upload.size = len(item.data)  # type: ignore[attr-defined]
        if len(accepted) >= limit:
            refused.append(
                (
                    item.filename,
                    ngettext("a message can bring at most %(n)s file", "a message can bring at most %(n)s files", limit)
                    % {"n": limit},
                )
            )
            continue
        try:
            checked: CheckedFile = check_upload(upload)
        except ValidationError as exc:
            reason = "; ".join(exc.messages)
            if reason.startswith(item.filename):  # the portal's messages name the file first
                reason = reason[len(item.filename) :].lstrip(" :")
            refused.append((item.filename, reason))
            continue
        upload.name = checked.filename
        accepted.append(upload)
    return accepted, refused


def _add_collaborators(mail: ParsedMail, mailbox: Mailbox, sender: User, ticket: Ticket, outcome: Outcome) -> None:
    """Customers in Cc become collaborators (the mailbox allowing it): existing accounts, and new
    ones where the mailbox takes unknown senders. Only the people who may reply on the ticket
    may share it this way."""
    if not permissions.can(sender, Action.REPLY, ticket):
        return
    for address in dict.fromkeys(mail.cc):
        if address == mail.sender or is_ours(address):
            continue
        user = User.objects.with_email(address).first()
        if user is None:
            if not mailbox.allow_unknown_senders:
                continue
            try:
                user = _create_customer(address, "")
            except Ignore:
                continue
        if services.collaborator_add_by_channel(ticket=ticket, user=user, via="email cc"):
            outcome.notes.append(Said(gettext_noop("%(address)s (Cc) became a collaborator."), {"address": address}))


def _bounce(mail: ParsedMail) -> Outcome:
    """A delivery-status report: the addresses that failed for good are marked as bouncing."""
    marked = []
    for address in mail.failed_recipients:
        user = User.objects.with_email(address).first()
        if user is not None:
            account_services.user_set_email_bouncing(user=user, bouncing=True)
            marked.append(address)
    outcome = Outcome(InboundState.IGNORED, noise.failed_for(mail.failed_recipients))
    if marked:
        outcome.notes.append(Said(gettext_noop("Marked as bouncing: %(addresses)s."), {"addresses": ", ".join(marked)}))
    return outcome


def _over_rate_limit(sender: str) -> bool:
    """Count one message from ``sender``; True past the limit for the window."""
    key = "mail-rate:" + hashlib.sha256(normalize_email(sender).encode()).hexdigest()[:32]
    window = int(settings.HELPDESK_INBOUND_RATE_WINDOW.total_seconds())
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.HELPDESK_INBOUND_RATE_LIMIT
