"""Small previews of image attachments, made on the server with Pillow.

The caller has already decided the person may see the file (``selectors.attachment_get_for_user``,
the same question as the download). The preview is at most ``MAX_SIZE`` pixels on each side, the
aspect kept, turned upright by its EXIF orientation; JPEG photos stay JPEG and every other image
becomes a PNG (transparency kept). It is made once and kept in the attachments' storage under a
key derived from the file's SHA-256 (``thumbnails/<sha256>-<size>.<ext>``), through the storage API
so S3 works like local disk; later requests read the stored copy.

A file Pillow cannot read (broken, truncated, not really an image) or one larger than the
upload limit's pixel count (a decompression bomb) gets no preview: ``Http404``, never a 500.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404, HttpResponse
from PIL import Image, ImageOps, UnidentifiedImageError

from tickets.attachments import MAX_IMAGE_PIXELS
from tickets.models import Attachment

logger = logging.getLogger(__name__)

MAX_SIZE = 320
CACHE_CONTROL = "private, max-age=86400"
# Everything Pillow raises for a file it cannot (or should not) decode.
_UNREADABLE = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
)


class NoPreview(Exception):
    """The image cannot be previewed (unreadable, or too many pixels)."""


def _format(attachment: Attachment) -> tuple[str, str, str]:
    """(Pillow format, content type, file ending) of the preview."""
    if attachment.content_type == "image/jpeg":
        return "JPEG", "image/jpeg", "jpg"
    return "PNG", "image/png", "png"


def storage_key(attachment: Attachment) -> str:
    """Where the preview of ``attachment`` is kept: derived from its content, so the same file
    attached twice shares one preview (permission is checked on the attachment, not the key)."""
    return f"thumbnails/{attachment.sha256}-{MAX_SIZE}.{_format(attachment)[2]}"


def stored_keys(sha256: str) -> tuple[str, str]:
    """Every key a preview of a file with this digest may be kept under (one per preview format)."""
    return (f"thumbnails/{sha256}-{MAX_SIZE}.jpg", f"thumbnails/{sha256}-{MAX_SIZE}.png")


def digest_of_key(key: str) -> str | None:
    """The file digest a stored preview key belongs to, or None for a key that is not a preview's."""
    name = key.rsplit("/", 1)[-1]
    digest, sep, _rest = name.partition("-")
    return digest if sep and len(digest) == 64 else None


def delete_unused_after_commit(digests: set[str]) -> None:
    """Once the surrounding transaction commits, remove the previews of these file digests that no
    attachment uses any more (a preview is shared by every attachment with the same content)."""
    if not digests:
        return

    def remove() -> None:
        used = set(Attachment.objects.filter(sha256__in=digests).values_list("sha256", flat=True))
        storage = Attachment._meta.get_field("file").storage
        for digest in digests - used:
            for key in stored_keys(digest):
                try:
                    storage.delete(key)
                except Exception:  # noqa: BLE001 — a missing or unreachable copy is check_attachments' job
                    logger.warning("could not delete preview %s", key, exc_info=True)

    transaction.on_commit(remove)


def render(source: IO[bytes], attachment: Attachment) -> bytes:
    """The preview's bytes. Raises ``NoPreview`` for an unreadable image or a decompression bomb."""
    pil_format = _format(attachment)[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise NoPreview(f"{image.width}x{image.height} pixels")
                image.draft("RGB", (MAX_SIZE * 2, MAX_SIZE * 2))  # JPEG: decode at a smaller scale
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((MAX_SIZE, MAX_SIZE))
                if pil_format == "JPEG":
                    if upright.mode not in ("RGB", "L"):
                        upright = upright.convert("RGB")
                elif upright.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
                    upright = upright.convert("RGBA")
                out = io.BytesIO()
                upright.save(out, pil_format, **({"quality": 82, "optimize": True} if pil_format == "JPEG" else {}))
    except _UNREADABLE as exc:
        raise NoPreview(str(exc)) from exc
    return out.getvalue()


def thumbnail_bytes(attachment: Attachment) -> bytes:
    """The stored preview, made and stored first if there is none yet. Raises ``Http404`` when
    the attachment is not an image, its file is missing, or it cannot be previewed."""
    if not attachment.is_image:
        raise Http404("No preview for this file.")
    storage = attachment.file.storage
    key = storage_key(attachment)
    if storage.exists(key):
        try:
            with storage.open(key, "rb") as stored:
                return stored.read()
        except OSError:
            pass  # gone between the two calls: make it again
    try:
        with storage.open(attachment.file.name, "rb") as source:
            data = render(source, attachment)
    except OSError:
        raise Http404("No such attachment.") from None
    except NoPreview as exc:
        logger.info("no preview for attachment %s: %s", attachment.pk, exc)
        raise Http404("No preview for this file.") from None
    if not storage.exists(key):  # another request may have stored it meanwhile
        storage.save(key, ContentFile(data))
    return data


def thumbnail_response(attachment: Attachment) -> HttpResponse:
    """The preview as an image response a browser may cache privately."""
    data = thumbnail_bytes(attachment)
    response = HttpResponse(data, content_type=_format(attachment)[1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = CACHE_CONTROL
    return response
