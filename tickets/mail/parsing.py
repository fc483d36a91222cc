"""Reading a raw message with Python's ``email`` package (``policy.default``): who wrote it, to
whom, what it answers, its text and its files.

Every charset and transfer encoding the standard library knows is decoded (RFC 2047 words in
headers, RFC 2231 file names, quoted-printable, base64, ISO-8859-1, Shift_JIS, ...). The text is
the ``text/plain`` body when there is one; HTML-only mail becomes plain text (``html_to_text``),
never rendered. Parsing never raises for bad MIME: what cannot be read is left out and noted in
``defects``.
"""

from __future__ import annotations

import html
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses

import nh3

from accounts.addresses import normalize_email
from tickets.notifications.mailthread import clean_message_id, message_ids


@dataclass
class MailFile:
    """A file (attachment or inline image) carried by a message."""

    filename: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    message: Message
    message_id: str
    subject: str
    sender: str  # the From address in the desk's normal form ("" when there is none)
    sender_name: str
    to: list[str]
    cc: list[str]
    delivered_to: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str
    html_only: bool
    files: list[MailFile] = field(default_factory=list)
    #: A delivery-status report (bounce): the recipients whose delivery failed for good.
    is_delivery_report: bool = False
    failed_recipients: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """One header's value as text ("" when absent or unreadable)."""
        return _header_text(self.message, name)


def headers_only(raw: bytes) -> Message:
    """The header block of ``raw``, parsed (for the doors: Message-ID and recipients, fast)."""
    return BytesHeaderParser(policy=policy.default).parsebytes(raw)


def header_block(raw: bytes, limit: int = 64 * 1024) -> bytes:
    """The bytes of ``raw`` up to the blank line that ends the headers (at most ``limit``)."""
    head = raw[:limit]
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end != -1:
            return head[: end + len(separator)]
    return head


def parse(raw: bytes) -> ParsedMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    defects = [type(defect).__name__ for defect in message.defects]
    sender_name, sender = "", ""
    senders = addresses(message, "from")
    if senders:
        sender_name, sender = senders[0]
    body = _body_part(message)
    text, html_only = "", False
    if body is not None:
        content = _text_of(body, defects)
        if body.get_content_subtype() == "html":
            text, html_only = html_to_text(content), True
        else:
            text = content
    files: list[MailFile] = []
    extra_text: list[str] = []
    failed: list[str] = []
    is_report = message.get_content_type() == "multipart/report" and (
        str(message.get_param("report-type", "")).lower() == "delivery-status"
    )
    for number, part in enumerate(_leaves(message), start=1):
        if part is body:
            continue
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            failed += _failed_recipients(part)
            continue
        if is_report and content_type in ("text/rfc822-headers", "message/rfc822", "text/plain", "text/html"):
            continue  # the report's own explanation and the returned message
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if part.get_content_maintype() == "text" and not filename and disposition != "attachment":
            if content_type == "text/plain" and body is not None and body.get_content_subtype() == "plain":
                extra_text.append(_text_of(part, defects))  # Apple Mail splits text around inline images
            continue  # the other alternative of the body
        data = _bytes_of(part, defects)
        if not data:
            continue
        name = filename or f"attachment-{number}{mimetypes.guess_extension(content_type) or '.bin'}"
        files.append(MailFile(filename=name, data=data, inline=disposition == "inline" or bool(part["content-id"])))
    if extra_text:
        text = "\n\n".join([text, *extra_text])
    return ParsedMail(
        message=message,
        message_id=clean_message_id(_header_text(message, "message-id")),
        subject=" ".join(_header_text(message, "subject").split()),
        sender=sender,
        sender_name=sender_name,
        to=[address for _, address in addresses(message, "to")],
        cc=[address for _, address in addresses(message, "cc")],
        delivered_to=[address for _, address in addresses(message, "delivered-to")],
        in_reply_to=message_ids(_header_text(message, "in-reply-to")),
        references=message_ids(_header_text(message, "references")),
        text=_tidy(text),
        html_only=html_only,
        files=files,
        is_delivery_report=is_report,
        failed_recipients=list(dict.fromkeys(failed)),
        defects=defects,
    )


# --- headers -------------------------------------------------------------------------------------


def _header_text(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of: treated as absent
        return ""
    return "" if value is None else str(value)


def addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(display name, address in normal form) of every address in the ``name`` headers."""
    found: list[tuple[str, str]] = []
    try:
        for header in message.get_all(name) or []:
            for address in getattr(header, "addresses", ()):
                if address.addr_spec and "@" in address.addr_spec:
                    found.append((str(address.display_name or ""), normalize_email(address.addr_spec)))
    except Exception:  # malformed beyond the policy's repair: the plain tokenizer's reading
        raw_values = [str(value) for value in message.get_all(name) or []]
        found = [(display, normalize_email(addr)) for display, addr in getaddresses(raw_values) if "@" in addr]
    return found


# --- the body and the files ---------------------------------------------------------------------


def _body_part(message: Message) -> Message | None:
    if isinstance(message, EmailMessage):
        try:
            body = message.get_body(preferencelist=("plain", "html"))
        except Exception:
            body = None
        if body is not None:
            return body
    if not message.is_multipart() and message.get_content_maintype() in ("text", "multipart"):
        return message  # "multipart" without its boundaries: read the words as text
    return None


def _leaves(message: Message):
    """The parts that hold content, in order: a ``message/*`` part (a forwarded message, a
    delivery-status report) is one part, never opened into its own pieces."""
    if message.get_content_maintype() == "message" or not message.is_multipart():
        yield message
        return
    payload = message.get_payload()
    for part in payload if isinstance(payload, list) else []:
        if isinstance(part, Message):
            yield from _leaves(part)


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        return ""
    return str(name or "").strip()


def _text_of(part: Message, defects: list[str]) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception:  # an unknown charset, a multipart without parts: decoded by hand below
        defects.append("UndecodableText")
    data = _bytes_of(part, defects)
    for charset in (part.get_content_charset() or "utf-8", "utf-8", "latin-1"):
        try:
            return data.decode(charset, errors="strict" if charset != "latin-1" else "replace")
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _bytes_of(part: Message, defects: list[str]) -> bytes:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return inner.as_bytes() if isinstance(inner, Message) else b""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        defects.append("UndecodablePayload")
        return b""
    return data if isinstance(data, bytes) else b""


def _failed_recipients(part: Message) -> list[str]:
    """The recipients a delivery-status part reports as failed for good (RFC 3464)."""
    failed: list[str] = []
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        action = str(block.get("action", "")).strip().lower()
        status = str(block.get("status", "")).strip()
        recipient = str(block.get("final-recipient", "") or block.get("original-recipient", ""))
        if not recipient or not (action == "failed" or status.startswith("5")):
            continue
        address = recipient.split(";", 1)[-1].strip().strip("<>")
        if "@" in address:
            failed.append(normalize_email(address))
    return failed


# --- text ------------------------------------------------------------------------------------------

_BLOCK_END = re.compile(r"</\s*(p|div|tr|h[1-6]|blockquote|pre|table|ul|ol|section|article|header|footer)\s*>", re.I)
_LINE_BREAK = re.compile(r"<\s*br\s*/?\s*>", re.I)
_LIST_ITEM = re.compile(r"<\s*li\b[^>]*>", re.I)
_CELL_END = re.compile(r"</\s*t[dh]\s*>", re.I)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body: tags stripped by nh3 (scripts and styles with their content),
    line breaks kept where the page had them (paragraphs, breaks, list items, rows)."""
    markup = " ".join(markup.split())  # source line breaks mean nothing in HTML
    markup = _LINE_BREAK.sub("\n", markup)
    markup = _LIST_ITEM.sub("\n- ", markup)
    markup = _CELL_END.sub(" ", markup)
    markup = _BLOCK_END.sub("\n\n", markup)
    stripped = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"}, attributes={})
    return _tidy("\n".join(line.strip() for line in html.unescape(stripped).split("\n")))


def _tidy(text: str) -> str:
    """Lines without trailing blanks, at most one empty line in a row, no NUL characters."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()
