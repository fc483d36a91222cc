"""The REST API: version 1 under /api/v1/, the Zendesk-compatible /api/v2/ (``tickets.zendesk``),
the OpenAPI schema and its interactive docs.

API views authenticate themselves (token or session) and answer 401/403 as JSON, so they are
exempt from the site's LoginRequiredMiddleware, which would redirect to the sign-in page.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, include, path, register_converter
from drf_spectacular.views import SpectacularSwaggerSplitView

from helpdesk.api.schema_view import SchemaView


class IdConverter:
    """A positive id that fits a bigint column: longer numbers never reach the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")

app_name = "api"


def _public(patterns: list) -> list:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            _public(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            login_not_required(entry.callback)
    return patterns


v1 = [
    path("", include("tickets.api.urls")),
    path("", include("accounts.api")),
    path("", include("tickets.sla.api")),
    path("", include("tickets.webhooks.api")),
]

urlpatterns = _public(
    [
        path("v1/", include(v1)),
        # The Zendesk-compatible API (tickets.zendesk): a translation layer over the same services.
        path("v2/", include("tickets.zendesk.urls")),
        path("schema/", SchemaView.as_view(), name="schema"),  # kept once generated (schema_view)
        # The split view serves its start-up script as a file: the site's CSP forbids inline scripts.
        path(
            "docs/",
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
            name="docs",
        ),
    ]
)
