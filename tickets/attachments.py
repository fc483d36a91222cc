"""Checking uploaded files and storing them so a rolled-back transaction leaves no file behind.

The type of a file is decided by its content, never by its name or the browser's claim. Stored
files get an opaque key; the user's file name is kept only as data for the download header.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.text import clean_label
from tickets.exceptions import AttachmentTooLarge, UnsupportedFileType

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALLOWED_TYPES = {
    "image/png": _("PNG image"),
    "image/jpeg": _("JPEG image"),
    "image/gif": _("GIF image"),
    "image/webp": _("WebP image"),
    "application/pdf": _("PDF"),
    "text/plain": _("plain text"),
    "text/csv": _("CSV"),
    "application/zip": _("ZIP archive"),
    "application/msword": _("Word document"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _("Word document"),
    "application/vnd.ms-excel": _("Excel workbook"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _("Excel workbook"),
    "application/vnd.ms-powerpoint": _("PowerPoint presentation"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _("PowerPoint presentation"),
    "application/vnd.oasis.opendocument.text": _("OpenDocument text"),
    "application/vnd.oasis.opendocument.spreadsheet": _("OpenDocument spreadsheet"),
    "application/vnd.oasis.opendocument.presentation": _("OpenDocument presentation"),
}
_ZIP_BASED = {
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
# Text that a browser would treat as markup if it ever rendered it: refused even as "plain text".
_MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|iframe|\?xml|body|object|embed)\b", re.IGNORECASE)
_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_MAX_COMPRESSION_RATIO = 200


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, ready to store."""

    file: IO[bytes]
    filename: str
    content_type: str
    size: int
    sha256: str


def clean_filename(name: str | None) -> str:
    """A display name safe for headers and pages: no path, no control or invisible format
    characters (``helpdesk.text.clean_label``, as for subjects and names), ≤ 255 chars."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = clean_label(name).strip(".").strip()
    if not name:
        name = "attachment"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) < 10 else name[:255]
    return name


def detect_content_type(head: bytes, filename: str) -> str | None:
    """The MIME type of a file judged by its first bytes; None when it is nothing we accept."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if not head:
        return None
    if b"\x00" in head:
        return None  # binary of a kind we do not recognise
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end inside a multi-byte character; only an error before the end counts.
        if exc.start < len(head) - 3:
            return None
    if _MARKUP.search(head):
        return "text/html"
    return "text/csv" if filename.lower().endswith(".csv") else "text/plain"


def check_upload(upload: IO[bytes], *, field: str = "attachments") -> CheckedFile:
    """Validate one uploaded file. Raises ``AttachmentTooLarge`` (413), ``UnsupportedFileType``
    (415) or ``ValidationError`` (400: empty file, unsafe name, oversized image), each naming the
    file and the reason in words a person understands."""
    raw_name = getattr(upload, "name", None) or ""
    filename = clean_filename(raw_name)
    if any(unicodedata.category(ch) == "Cc" for ch in raw_name):
        raise ValidationError(
            {field: [_("%(file)s: file names cannot contain control characters.") % {"file": filename}]}
        )
    if "/" in raw_name or "\\" in raw_name:
        raise ValidationError(
            {field: [_("%(file)s: file names cannot contain folder names ('/' or '\\').") % {"file": filename}]}
        )
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > limit:
        raise AttachmentTooLarge(
            {
                field: [
                    _("%(file)s is %(size)s; files can be at most %(limit)s.")
                    % {"file": filename, "size": filesizeformat(size), "limit": filesizeformat(limit)}
                ]
            }
        )
    if size == 0:
        raise ValidationError({field: [_("%(file)s is empty.") % {"file": filename}]})
    _check_name(filename, field)
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    content_type = detect_content_type(head, filename)
    if content_type not in ALLOWED_TYPES:
        raise UnsupportedFileType(
            {
                field: [
                    _(
                        "%(file)s is not a file type we accept (its content is %(content)s). Allowed: images "
                        "(PNG, JPEG, GIF, WebP), PDF, plain text, CSV, ZIP and office documents."
                    )
                    % {"file": filename, "content": _describe(content_type)}
                ]
            }
        )
    _check_extension(filename, content_type, field)
    if content_type in _ZIP_BASED:
        _check_archive(upload, filename, field)
    if content_type.startswith("image/"):
        _check_image(head, content_type, filename, field)
    if content_type.startswith("image/") or content_type == "application/pdf":
        _check_hidden_active_content(upload, content_type, filename, field)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(file=upload, filename=filename, content_type=content_type, size=size, sha256=digest.hexdigest())


_HEAD_BYTES = 64 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels: any photo; far below a decompression bomb
# Name endings a desktop would run or render as a page if the file were saved under that name.
_DANGEROUS_EXTENSIONS = {
    "exe",
    "com",
    "bat",
    "cmd",
    "scr",
    "pif",
    "msi",
    "msp",
    "dll",
    "cpl",
    "jar",
    "js",
    "jse",
    "vbs",
    "vbe",
    "wsf",
    "wsh",
    "ps1",
    "psm1",
    "sh",
    "bash",
    "zsh",
    "py",
    "pl",
    "rb",
    "php",
    "phtml",
    "asp",
    "aspx",
    "jsp",
    "cgi",
    "html",
    "htm",
    "xhtml",
    "shtml",
    "svg",
    "svgz",
    "xml",
    "hta",
    "lnk",
    "reg",
    "app",
    "apk",
    "dmg",
    "iso",
    "img",
    "vhd",
    "desktop",
    "action",
    "command",
    "scpt",
    "swf",
}
# The name endings each accepted type may carry (a file without an ending is fine).
_EXTENSIONS = {
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg", "jpe", "jfif"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "application/pdf": {"pdf"},
    "text/plain": {"txt", "text", "log", "md", "csv", "tsv", "json", "ini", "conf", "cfg", "yaml", "yml", "eml"},
    "text/csv": {"csv"},
    "application/zip": {"zip"},
    "application/msword": {"doc", "dot"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx", "dotx"},
    "application/vnd.ms-excel": {"xls", "xlt"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx", "xltx"},
    "application/vnd.ms-powerpoint": {"ppt", "pps", "pot"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {"pptx", "ppsx", "potx"},
    "application/vnd.oasis.opendocument.text": {"odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
    "application/vnd.oasis.opendocument.presentation": {"odp"},
}
# Office formats share containers (OLE for .doc/.xls/.ppt, ZIP for the x-formats): their
# detection cannot always tell the three apart, so any office name fits any office content.
_OLE = {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"}
_OFFICE_EXTENSIONS = set().union(*(_EXTENSIONS[t] for t in _ZIP_BASED | _OLE if t != "application/zip"))


def _check_name(filename: str, field: str) -> None:
    parts = filename.lower().split(".")
    risky = [part for part in parts[1:] if part in _DANGEROUS_EXTENSIONS]
    if risky:
        raise UnsupportedFileType(
            {
                field: [
                    _(
                        "%(file)s: names ending in or containing .%(extension)s are not accepted (they could run "
                        "as a program or open as a web page)."
                    )
                    % {"file": filename, "extension": risky[0]}
                ]
            }
        )


def _check_extension(filename: str, content_type: str, field: str) -> None:
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem:
        return
    ext = ext.lower()
    allowed = _EXTENSIONS[content_type]
    if content_type in _ZIP_BASED | _OLE and content_type != "application/zip":
        allowed = _OFFICE_EXTENSIONS
    if ext not in allowed:
        raise UnsupportedFileType(
            {
                field: [
                    _(
                        "%(file)s: the name says .%(extension)s but the content is %(content)s. Rename the file to "
                        "match what it is."
                    )
                    % {"file": filename, "extension": ext, "content": ALLOWED_TYPES[content_type]}
                ]
            }
        )


def _image_size(head: bytes, content_type: str) -> tuple[int, int] | None:
    """(width, height) read from the image header, or None when the header is not readable."""
    import struct

    try:
        if content_type == "image/png" and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if content_type == "image/gif":
            return struct.unpack("<HH", head[6:10])
        if content_type == "image/webp":
            chunk = head[12:16]
            if chunk == b"VP8X":
                return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
            if chunk == b"VP8L":
                bits = int.from_bytes(head[21:25], "little")
                return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
            if chunk == b"VP8 ":
                width, height = struct.unpack("<HH", head[26:30])
                return width & 0x3FFF, height & 0x3FFF
        if content_type == "image/jpeg":
            i = 2
            while i + 9 < len(head):
                if head[i] != 0xFF:
                    i += 1
                    continue
                marker = head[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                    i += 1 if marker == 0xFF else 2
                    continue
                length = struct.unpack(">H", head[i + 2 : i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    height, width = struct.unpack(">HH", head[i + 5 : i + 9])
                    return width, height
                i += 2 + length
    except struct.error:
        return None
    return None


def _check_image(head: bytes, content_type: str, filename: str, field: str) -> None:
    size = _image_size(head, content_type)
    if size is None:
        raise UnsupportedFileType(
            {
                field: [
                    _("%(file)s is not a readable %(content)s.")
                    % {"file": filename, "content": ALLOWED_TYPES[content_type]}
                ]
            }
        )
    width, height = size
    if width == 0 or height == 0:
        raise UnsupportedFileType(
            {
                field: [
                    _("%(file)s is not a readable %(content)s.")
                    % {"file": filename, "content": ALLOWED_TYPES[content_type]}
                ]
            }
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            {
                field: [
                    _("%(file)s is %(width)s×%(height)s pixels; images can be at most %(limit)d megapixels.")
                    % {
                        "file": filename,
                        "width": f"{width:,}",
                        "height": f"{height:,}",
                        "limit": MAX_IMAGE_PIXELS // 1_000_000,
                    }
                ]
            }
        )


_ACTIVE_IN_IMAGE = re.compile(rb"<\s*(script|html|svg|iframe|object|embed|body)\b|javascript:", re.IGNORECASE)
_ACTIVE_IN_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


def _check_hidden_active_content(upload: IO[bytes], content_type: str, filename: str, field: str) -> None:
    """Refuse images carrying markup (polyglots) and PDFs that run scripts or launch programs."""
    pattern = _ACTIVE_IN_PDF if content_type == "application/pdf" else _ACTIVE_IN_IMAGE
    upload.seek(0)
    tail = b""
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        if pattern.search(tail + chunk):
            what = _("scripts or actions") if content_type == "application/pdf" else _("web page code")
            raise UnsupportedFileType(
                {
                    field: [
                        _("%(file)s contains %(what)s; it is not accepted for safety.")
                        % {"file": filename, "what": what}
                    ]
                }
            )
        tail = chunk[-64:]
    upload.seek(0)


def check_uploads(uploads: list, *, field: str = "attachments") -> list[CheckedFile]:
    """Validate several files, at most HELPDESK_MAX_ATTACHMENTS_PER_REQUEST of them."""
    limit = settings.HELPDESK_MAX_ATTACHMENTS_PER_REQUEST
    if len(uploads) > limit:
        raise ValidationError(
            {
                field: [
                    _("Attach at most %(count)d files at a time (%(given)d given).")
                    % {"count": limit, "given": len(uploads)}
                ]
            }
        )
    return [check_upload(upload, field=field) for upload in uploads]


def _describe(content_type: str | None) -> StrOrPromise:
    if content_type is None:
        return _("not recognised")
    if content_type == "text/html":
        return _("HTML or other markup")
    if content_type in ("application/x-msdownload", "application/x-executable"):
        return _("an executable program")
    return content_type


def _check_archive(upload: IO[bytes], filename: str, field: str) -> None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            packed = sum(info.compress_size for info in archive.infolist()) or 1
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsupportedFileType(
            {field: [_("%(file)s looks like an archive but cannot be opened.") % {"file": filename}]}
        ) from None
    if unpacked > _MAX_UNPACKED_BYTES or unpacked / packed > _MAX_COMPRESSION_RATIO:
        raise UnsupportedFileType(
            {
                field: [
                    _("%(file)s unpacks to %(size)s; that looks like a zip bomb.")
                    % {"file": filename, "size": filesizeformat(unpacked)}
                ]
            }
        )


# --- storing files with the transaction ------------------------------------------------------

_pending: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("helpdesk_pending_files", default=None)


@contextlib.contextmanager
def atomic_with_files() -> Iterator[None]:
    """``transaction.atomic`` that also deletes the files stored inside it if it rolls back.

    Nested blocks hand their files to the enclosing block on success, so a failure anywhere up
    to the outermost block removes everything stored on the way.
    """
    written: list[str] = []
    outer = _pending.get()
    token = _pending.set(written)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for name in written:
            with contextlib.suppress(Exception):
                default_storage.delete(name)
        raise
    finally:
        _pending.reset(token)
    if outer is not None:
        outer.extend(written)


def store(checked: CheckedFile) -> str:
    """Write a checked file under a new opaque key and return the key.

    Inside ``atomic_with_files`` the file is removed again if the transaction rolls back.
    """
    now = timezone.now()
    key = f"attachments/{now:%Y/%m}/{secrets.token_hex(16)}"
    checked.file.seek(0)
    name = default_storage.save(key, File(checked.file))
    written = _pending.get()
    if written is not None:
        written.append(name)
    return name


def delete_after_commit(names: list[str]) -> None:
    """Remove stored files once the surrounding transaction commits (used by deletions)."""

    def remove() -> None:
        for name in names:
            with contextlib.suppress(Exception):
                default_storage.delete(name)

    transaction.on_commit(remove)
