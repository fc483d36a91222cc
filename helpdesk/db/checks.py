"""System checks (``manage.py check``, and at every start) for the scale-out settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register("database")
def pooled_configuration(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if getattr(settings, "DATABASE_POOLER", "none") != "pgbouncer":
        return errors
    bus = getattr(settings, "HELPDESK_LIVE_BUS", "auto")
    listens_on_postgres = bus == "postgres" or (bus == "auto" and not getattr(settings, "REDIS_URL", None))
    if listens_on_postgres and "direct" not in settings.DATABASES:
        errors.append(
            Error(
                "DATABASE_POOLER=pgbouncer with live updates over PostgreSQL LISTEN needs DATABASE_DIRECT_URL.",
                hint="LISTEN cannot work through transaction pooling: set DATABASE_DIRECT_URL to the primary "
                "itself (not PgBouncer), or set REDIS_URL so live updates go through Redis.",
                id="helpdesk.E901",
            )
        )
    return errors
