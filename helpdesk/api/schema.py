"""The API's OpenAPI schema (drf-spectacular): list detection for our views and the documented
error responses. Its own module (``helpdesk.api`` imports nothing at load) because
drf-spectacular imports DRF's views, which import the settings that name the other modules here."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema

# ------------------------------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Either {"detail": "message"} or {"field": ["message", ...]}.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
_ERRORS = {
    "400": "Invalid input: the fields at fault with their messages, or a detail.",
    "401": "No credentials, or bad ones.",
    "403": "You can see this but may not do it.",
    "404": "Not found (or not visible to you: the two are indistinguishable).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflict with the ticket's current state.",
    "413": "A file is too large.",
    "415": "A file type (judged by content) is not accepted, or the request body type is not.",
    "429": "Too many requests: wait the number of seconds in Retry-After.",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: document the error responses of API.md on every
    operation (one shared `Error` component), so the schema tells clients every status they can get."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "401", "403", "404", "405", "406", "429"]
            if method != "get" or "{" in path:
                codes.append("409")
            if "requestBody" in operation:
                codes += ["413", "415"]
            for code in codes:
                responses.setdefault(
                    code,
                    {"description": _ERRORS[code], "content": {"application/json": {"schema": ref}}},
                )
            retry = responses["429"].setdefault("headers", {})
            retry.setdefault("Retry-After", {"schema": {"type": "integer"}, "description": "Seconds to wait."})
    return result


class AutoSchema(_SpectacularAutoSchema):
    """drf-spectacular's schema, told which of our plain GenericAPIViews answer GET with a list
    (views with ``ordering_fields``), so their responses show the cursor-paginated envelope and
    their filter, cursor, page_size and ordering parameters."""

    def _is_list_view(self, serializer=None) -> bool:
        if self.method == "GET" and getattr(self.view, "ordering_fields", None):
            return True
        return super()._is_list_view(serializer)

    def _map_basic_serializer(self, serializer, direction):
        """A serializer's ``sometimes_omitted`` fields (left out of some callers' copies: a ticket's
        internal fields for customers) are documented as optional, not required."""
        schema = super()._map_basic_serializer(serializer, direction)
        omitted = set(getattr(serializer, "sometimes_omitted", ()))
        if omitted and schema.get("required"):
            schema["required"] = [name for name in schema["required"] if name not in omitted]
            if not schema["required"]:
                del schema["required"]
        return schema
