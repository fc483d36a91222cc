"""What a message becomes on a ticket: the subject and text of a new ticket, the text of a reply
(quoted history stripped by mail-parser-reply), the lines saying which files were not accepted."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

from helpdesk.text import clean_label
from tickets.mail.routing import SUBJECT_TOKEN
from tickets.services import BODY_MAX, DESCRIPTION_MIN, SUBJECT_MAX, SUBJECT_MIN

# The languages whose reply headers ("On ... wrote:", "Am ... schrieb ...:") are recognised.
_REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "ja"]
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|fwd?|wg|tr)\s*:\s*)+", re.IGNORECASE)


def new_ticket_subject(subject: str) -> str:
    """A usable ticket subject: our ``[#123]`` token and reply prefixes dropped, at most
    ``SUBJECT_MAX`` characters, ``(no subject)`` when nothing is left."""
    subject = clean_label(subject)  # what the service keeps: no control or invisible characters
    if SUBJECT_TOKEN.search(subject):
        subject = _REPLY_PREFIX.sub("", SUBJECT_TOKEN.sub("", subject))
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    if len(subject) < SUBJECT_MIN:
        subject = f"{subject} {_('(by email)')}".strip() if subject else _("(no subject)")
    return subject


# The signature delimiter (RFC 3676 §4.3: "-- " on a line of its own; many clients trim the space).
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)


def strip_quoted(text: str) -> str:
    """The newly written part of a reply: quoted history and the reply header above it removed,
    then a signature below the ``-- `` delimiter. The whole text when the parser would leave
    nothing; "" when what is left is only a signature (the reply has no words of its own)."""
    try:
        reply = EmailReplyParser(languages=_REPLY_LANGUAGES).parse_reply(text=text)
    except Exception:  # the parser is a nicety: the full text is always a correct answer
        return text
    reply = (reply or "").strip()
    if not reply:
        return text
    signature = _SIGNATURE.search(reply)
    if signature:
        reply = reply[: signature.start()].strip()
    return _without_trailing_quote(reply)


def _without_trailing_quote(text: str) -> str:
    """``text`` without a block of ``>``-quoted lines at its end (a quote with no "On ... wrote:"
    header above it, which the parser keeps); unchanged when the quote is all there is."""
    lines = text.splitlines()
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    kept = "\n".join(lines[:end]).strip()
    return kept or text


def with_refusals(text: str, refused: list[tuple[str, str]]) -> str:
    lines = [
        _("Attachment %(name)s was not accepted: %(reason)s") % {"name": name, "reason": reason}
        for name, reason in refused
    ]
    return "\n\n".join(part for part in [text, "\n".join(lines)] if part)


def fit(text: str, *, minimum: int, maximum: int = BODY_MAX) -> str:
    """``text`` within the services' length limits: cut with a note when too long, a note added
    when too short (a message of a few words still makes a ticket)."""
    text = text.strip()
    if len(text) > maximum:
        note = "\n\n" + _("[The rest of this email was cut; the full message is kept with the original.]")
        text = text[: maximum - len(note)].rstrip() + note
    if len(text) < minimum:
        text = "\n\n".join(part for part in [text, _("(This email had no more text.)")] if part)
    return text


def description_minimum() -> int:
    return DESCRIPTION_MIN
