"""The one download view for attachments, used by the portal and the agent pages alike."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from tickets import selectors


def _signed_url(attachment) -> str | None:
    """A short-lived URL the storage itself can serve (S3: a signed URL), or None for local disk."""
    storage = attachment.file.storage
    if isinstance(storage, FileSystemStorage):
        return None  # local files have no URL of their own: stream them through the view
    name = attachment.file.name
    disposition = content_disposition_header(True, attachment.filename)
    try:
        # S3: make the bucket answer with our download headers, not the object's own.
        return storage.url(
            name, parameters={"ResponseContentDisposition": disposition, "ResponseContentType": attachment.content_type}
        )
    except TypeError:  # a storage whose url() takes no parameters
        pass
    except (NotImplementedError, ValueError):
        return None
    try:
        return storage.url(name)
    except (NotImplementedError, ValueError):
        return None


@require_GET
def download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The file, if ``request.user`` may see it; 404 otherwise, also for a customer asking for a
    file on an internal note. Streams local files; redirects to a signed URL where there is one."""
    attachment = selectors.attachment_get_for_user(request.user, pk)
    url = _signed_url(attachment)
    if url:
        response: HttpResponseBase = redirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("No such attachment.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering it, the file may run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
