"""ASGI entry point: live-update streams through Django's ASGI handler, every other request
through its WSGI handler on a thread pool (``helpdesk.serving``)."""

import os

from helpdesk.runtime import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from helpdesk.serving import build_application  # noqa: E402 - after the settings module is named

application = build_application()


def _warm_up() -> None:
    """Load what Django otherwise loads on a worker's first request (the URL conf with every view
    module, the base template), so the first requests after a start are not slow (and not logged as
    slow requests by helpdesk.middleware)."""
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    get_template("base.html")


_warm_up()
settle()  # helpdesk.runtime: the garbage collector leaves the loaded app alone
