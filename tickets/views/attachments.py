"""The one download view for attachments, used by the portal and the agent pages alike."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from tickets import selectors
from tickets.downloads import download_response
from tickets.thumbnails import thumbnail_response


@require_GET
def download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The file, if ``request.user`` may see it; 404 otherwise, also for a customer asking for a
    file on an internal note. Streams local files; redirects to a signed URL where there is one
    (``tickets.downloads``: the same response as the API's)."""
    return download_response(selectors.attachment_get_for_user(request.user, pk))


@require_GET
def preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """A small image preview of the file, asking exactly the download's question first (404 for
    a file the person may not see); 404 too for a file that is not an image or cannot be read
    (``tickets.thumbnails``)."""
    return thumbnail_response(selectors.attachment_get_for_user(request.user, pk))
