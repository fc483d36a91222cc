"""The one download response for an attachment, used by the pages and the API alike.

The caller has already decided the person may see the file (``selectors.attachment_get_for_user``).
What goes back is the same on both front ends:

- local disk: the bytes streamed through the web process, always as an attachment (never shown
  inline) under the user's file name, with the content type detected at upload,
  ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: default-src 'none'; sandbox``
  (even if a browser were talked into rendering it, the file may run nothing);
- a storage that serves files itself (S3): a redirect to a short-lived signed URL whose response
  carries the same content type and disposition (``ResponseContentType`` /
  ``ResponseContentDisposition``), not the object's own; a storage whose URLs cannot carry those
  is streamed like local disk instead, never redirected to;
- either way ``Cache-Control: private, no-store``.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from tickets.models import Attachment

SANDBOX = "default-src 'none'; sandbox"
NO_STORE = "private, no-store"


def download_response(attachment: Attachment) -> HttpResponseBase:
    """The response that hands ``attachment`` to the person who asked (see the module's notes).
    Raises ``Http404`` when the stored file is missing."""
    url = signed_url(attachment)
    if url:
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = NO_STORE
        return redirect
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except OSError:  # FileNotFoundError among them
        raise Http404("No such attachment.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = NO_STORE
    return response


def signed_url(attachment: Attachment) -> str | None:
    """A short-lived URL the storage itself can serve (S3: a signed URL that answers with our
    download headers), or None for local disk and storages whose URLs cannot carry them."""
    storage = attachment.file.storage
    if isinstance(storage, FileSystemStorage):
        return None  # local files have no URL of their own: stream them through the web process
    name = attachment.file.name
    overrides = {
        "ResponseContentDisposition": content_disposition_header(True, attachment.filename),
        "ResponseContentType": attachment.content_type,
    }
    try:
        return storage.url(name, parameters=overrides)
    except (TypeError, NotImplementedError, ValueError):
        # A storage whose URLs cannot carry our headers (url() takes no parameters) or that has
        # none: its own URL would answer with the object's type and maybe inline, so the file is
        # streamed through the web process like a local one — one response, whatever the storage.
        return None
