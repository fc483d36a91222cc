"""Files: ``uploads.json?filename=`` (raw bytes → a token), ``uploads/{token}.json`` (DELETE),
``attachments/{id}.json`` and the download behind an attachment's ``content_url``.

An upload is checked exactly as any attachment (``tickets.attachments.check_upload``: size 413,
type 415) and stored at once; the token names it until a comment attaches it (the ticket
services check and store it again as the comment's attachment, then the upload is removed).
Tokens are the uploader's own: nobody else can attach, see or delete them.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.response import Response

from tickets import selectors
from tickets.api.files import AttachmentDownload
from tickets.attachments import atomic_with_files, check_upload, delete_after_commit, store
from tickets.exceptions import AttachmentTooLarge
from tickets.models import PendingUpload
from tickets.zendesk import errors
from tickets.zendesk.auth import ZendeskAuthentication
from tickets.zendesk.base import ZendeskView
from tickets.zendesk.mapping import Shapes, timestamp

MAX_TOKENS = 10


class RawBody(parsers.BaseParser):
    """Accepts any body; the upload view reads the stream itself, so nothing is parsed here."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        return {}


def _read_body(request) -> tempfile.SpooledTemporaryFile:
    """The raw request body, at most the attachment limit (413 past it), spooled to disk."""
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        raise AttachmentTooLarge({"file": [_("Files can be at most %(count)d bytes.") % {"count": limit}]})
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115  # the caller closes it
    total = 0
    while chunk := request._request.read(64 * 1024):
        total += len(chunk)
        if total > limit:
            spool.close()
            raise AttachmentTooLarge({"file": [_("Files can be at most %(count)d bytes.") % {"count": limit}]})
        spool.write(chunk)
    spool.seek(0)
    return spool


class Uploads(ZendeskView):
    """POST uploads.json?filename=NAME[&token=TOKEN]: the body is the file."""

    parser_classes = [RawBody]

    def post(self, request):
        filename = (request.query_params.get("filename") or "").strip()
        if not filename:
            raise errors.invalid("filename", _("Name the file: uploads.json?filename=report.pdf"))
        token = (request.query_params.get("token") or "").strip()
        if token:
            earlier = PendingUpload.objects.filter(token=token, uploaded_by=request.user)
            count = earlier.count()
            if count == 0:
                raise errors.ZendeskError(404, "RecordNotFound", _("Not found"))
            if count >= MAX_TOKENS:
                raise errors.invalid(
                    "token", _("At most %(count)d files share one upload token.") % {"count": MAX_TOKENS}
                )
        body = _read_body(request)
        try:
            upload = UploadedFile(body, name=filename, size=None)
            upload.size = body.seek(0, 2)
            body.seek(0)
            checked = check_upload(upload, field="file")
            with atomic_with_files():
                key = store(checked)
                extra = {"token": token} if token else {}
                pending = PendingUpload.objects.create(
                    uploaded_by=request.user,
                    file=key,
                    filename=checked.filename,
                    content_type=checked.content_type,
                    size=checked.size,
                    **extra,
                )
        finally:
            body.close()
        files = list(PendingUpload.objects.filter(token=pending.token).order_by("pk"))
        shown = [_pending_json(p) for p in files]
        data = {
            "upload": {
                "token": pending.token,
                "expires_at": timestamp(pending.expires_at),
                "attachment": _pending_json(pending),
                "attachments": shown,
            }
        }
        return Response(data, status=status.HTTP_201_CREATED)


class UploadDetail(ZendeskView):
    """DELETE uploads/{token}.json: forget an upload not yet attached."""

    def delete(self, request, token: str):
        pending = list(PendingUpload.objects.filter(token=token, uploaded_by=request.user))
        if not pending:
            raise errors.ZendeskError(404, "RecordNotFound", _("Not found"))
        with transaction.atomic():
            PendingUpload.objects.filter(pk__in=[p.pk for p in pending]).delete()
            delete_after_commit([p.file.name for p in pending])
        return Response(status=status.HTTP_204_NO_CONTENT)


def _pending_json(pending: PendingUpload) -> dict[str, Any]:
    # Not an attachment yet: it gets its id and content_url when a comment attaches it.
    return {
        "id": None,
        "file_name": pending.filename,
        "content_url": None,
        "content_type": pending.content_type,
        "size": pending.size,
        "inline": False,
        "deleted": False,
        "thumbnails": [],
    }


def files_for_tokens(user, tokens: Any) -> tuple[list[File], list[PendingUpload]]:
    """The files the ``uploads`` tokens of ``user`` name, opened for the ticket services, and the
    uploads to remove once they are attached; 422 for a token that is unknown, another's or
    expired."""
    if tokens in (None, []):
        return [], []
    if not isinstance(tokens, list) or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in tokens):
        raise errors.invalid("uploads", _("uploads is a list of upload tokens."))
    pending = list(
        PendingUpload.objects.filter(token__in=tokens, uploaded_by=user, expires_at__gt=timezone.now()).order_by("pk")
    )
    missing = set(tokens) - {p.token for p in pending}
    if missing:
        raise errors.invalid("uploads", _("Unknown or expired upload token: %(token)s") % {"token": sorted(missing)[0]})
    files = []
    for item in pending:
        handle = default_storage.open(item.file.name, "rb")
        files.append(File(handle, name=item.filename))
    return files, pending


def forget_uploads(pending: list[PendingUpload]) -> None:
    """Remove attached uploads (inside the transaction that attached them)."""
    if pending:
        PendingUpload.objects.filter(pk__in=[p.pk for p in pending]).delete()
        delete_after_commit([p.file.name for p in pending])


def forget_expired_uploads() -> int:
    """Remove uploads whose token expired unused (hourly, from beat). Returns how many."""
    expired = list(PendingUpload.objects.filter(expires_at__lte=timezone.now()).order_by("pk")[:1000])
    with transaction.atomic():
        forget_uploads(expired)
    return len(expired)


def close_files(files: list[File]) -> None:
    for item in files:
        item.close()


class AttachmentDetail(ZendeskView):
    """GET attachments/{id}.json: an attachment the caller may see (404 otherwise)."""

    def get(self, request, pk: int):
        attachment = selectors.attachment_get_for_user(request.user, pk)
        return Response({"attachment": Shapes(request, request.user).attachment(attachment)})


class AttachmentContent(AttachmentDownload):
    """An attachment's bytes (its ``content_url``): v1's download, with v2's credentials."""

    authentication_classes = [ZendeskAuthentication]
    schema = None

    def get_exception_handler(self):
        return errors.exception_handler
