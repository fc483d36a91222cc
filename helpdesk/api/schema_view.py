"""``/api/schema/``: the OpenAPI document, generated once per process, language and version.

drf-spectacular's view walks every endpoint and serializer on each request (130–185 ms here).
The document depends only on the code and the language it is written in — it is served publicly,
the same to everyone — so it is kept after the first request. Only the languages the desk offers
and the versions the API allows are kept: a ``?lang=`` or ``?version=`` of a caller's choosing is
answered, not remembered.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response
from rest_framework.settings import api_settings


class SchemaView(SpectacularAPIView):
    _documents: ClassVar[dict[tuple[str, str | None], Any]] = {}

    def _get_schema_response(self, request: Any) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        language = translation.get_language()
        key = (language, version)
        document = self._documents.get(key)
        if document is None:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            document = generator.get_schema(request=request, public=self.serve_public)
            allowed_versions = api_settings.ALLOWED_VERSIONS or (None,)
            if language in dict(settings.LANGUAGES) and version in allowed_versions:
                self._documents[key] = document
        return Response(
            data=document,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
