"""The API's file endpoints: an attachment's bytes and an image's preview. Both answer a file
for any ``Accept`` header, or a JSON error; who may read the file is asked by the selector
(``selectors.attachment_get_for_user``), as the pages' downloads do."""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, renderers
from rest_framework.response import Response

from tickets import selectors
from tickets.downloads import download_response
from tickets.thumbnails import thumbnail_response


class AnyMediaRenderer(renderers.BaseRenderer):
    """Lets a download be asked for with any Accept header; errors still go out as JSON."""

    media_type = "*/*"
    format = "bin"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b"" if data is None else json.dumps(data).encode()


class FileEndpoint(generics.GenericAPIView):
    """An endpoint that answers a file (any Accept header is fine) or a JSON error — sent as
    ``application/json`` whatever the request asked for, so a client can always read it."""

    renderer_classes = [renderers.JSONRenderer, AnyMediaRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.exception:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class AttachmentDownload(FileEndpoint):
    @extend_schema(
        summary="Download a file",
        description="The stored bytes as an attachment, with the content type detected at upload. With S3 "
        "storage: a 302 to a short-lived signed URL that answers with the same type and file name.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The attachment id.")],
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, "The file."),
            302: OpenApiResponse(description="Redirect to a signed URL (S3 storage)."),
        },
    )
    def get(self, request, pk):
        # The same response as the pages' download (tickets.downloads): headers and signed URL alike.
        return download_response(selectors.attachment_get_for_user(request.user, pk))


class AttachmentPreview(FileEndpoint):
    @extend_schema(
        summary="Preview an image",
        description="A small preview (at most 320 px on each side, upright) of an image attachment: JPEG for "
        "JPEG photos, PNG otherwise. Asks the download's question first; 404 for a file that is not an image "
        "or cannot be read as one.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The attachment id.")],
        responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, "The preview.")},
    )
    def get(self, request, pk):
        return thumbnail_response(selectors.attachment_get_for_user(request.user, pk))
