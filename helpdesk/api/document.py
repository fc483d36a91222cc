"""The OpenAPI document's settings (drf-spectacular's ``SPECTACULAR_SETTINGS``, read by
``helpdesk.settings``): its title and description, where Swagger UI comes from, and the names of
its shared enums. Plain data, importable while the settings load.
"""

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": (
        "Tickets, their conversation, attachments and history, and the people who work them. "
        "Authenticate with `Authorization: Token <key>` (get a key from `POST /api/v1/auth/token/`) "
        "or a browser session. Lists are cursor-paginated: follow `next` and `previous`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999}},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "tickets.models.Status",
        "PriorityEnum": "tickets.models.Priority",
        "CategoryEnum": "tickets.models.Category",
        "ChannelEnum": "tickets.models.Channel",
        "RoleEnum": "accounts.models.Role",
        "StaffRoleEnum": [("agent", "Agent"), ("admin", "Admin")],
        "TicketScopeEnum": "accounts.models.TicketScope",
        "MacroScopeEnum": "tickets.models.MacroScope",
        "ViewScopeEnum": "tickets.models.ViewScope",
        "SlaAudienceEnum": "tickets.sla.models.Audience",
    },
}
