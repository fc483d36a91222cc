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
from typing import IO

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from tickets.exceptions import AttachmentTooLarge, UnsupportedFileType

ALLOWED_TYPES = {
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/pdf": "PDF",
    "text/plain": "plain text",
    "text/csv": "CSV",
    "application/zip": "ZIP archive",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.ms-excel": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.ms-powerpoint": "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
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
    """A display name safe for headers and pages: no path, no control characters, ≤ 255 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
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
    (415) or ``ValidationError`` (400, empty file), each naming the file and the reason."""
    filename = clean_filename(getattr(upload, "name", None))
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > limit:
        raise AttachmentTooLarge(
            {field: [f"{filename} is {filesizeformat(size)}; files can be at most {filesizeformat(limit)}."]}
        )
    if size == 0:
        raise ValidationError({field: [f"{filename} is empty."]})
    upload.seek(0)
    head = upload.read(8192)
    content_type = detect_content_type(head, filename)
    if content_type not in ALLOWED_TYPES:
        raise UnsupportedFileType(
            {
                field: [
                    f"{filename} is not a file type we accept (its content is "
                    f"{_describe(content_type)}). Allowed: images (PNG, JPEG, GIF, WebP), PDF, "
                    "plain text, CSV, ZIP and office documents."
                ]
            }
        )
    if content_type in _ZIP_BASED:
        _check_archive(upload, filename, field)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(file=upload, filename=filename, content_type=content_type, size=size, sha256=digest.hexdigest())


def check_uploads(uploads: list, *, field: str = "attachments") -> list[CheckedFile]:
    """Validate several files, at most HELPDESK_MAX_ATTACHMENTS_PER_REQUEST of them."""
    limit = settings.HELPDESK_MAX_ATTACHMENTS_PER_REQUEST
    if len(uploads) > limit:
        raise ValidationError({field: [f"Attach at most {limit} files at a time ({len(uploads)} given)."]})
    return [check_upload(upload, field=field) for upload in uploads]


def _describe(content_type: str | None) -> str:
    if content_type is None:
        return "not recognised"
    if content_type == "text/html":
        return "HTML or other markup"
    if content_type in ("application/x-msdownload", "application/x-executable"):
        return "an executable program"
    return content_type


def _check_archive(upload: IO[bytes], filename: str, field: str) -> None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            packed = sum(info.compress_size for info in archive.infolist()) or 1
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsupportedFileType({field: [f"{filename} looks like an archive but cannot be opened."]}) from None
    if unpacked > _MAX_UNPACKED_BYTES or unpacked / packed > _MAX_COMPRESSION_RATIO:
        raise UnsupportedFileType(
            {field: [f"{filename} unpacks to {filesizeformat(unpacked)}; that looks like a zip bomb."]}
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
