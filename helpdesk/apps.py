from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.db.backends.signals import connection_created


class AdminConfig(DjangoAdminConfig):
    """Django's admin with ``helpdesk.admin_site.HelpdeskAdminSite`` as ``admin.site``."""

    default_site = "helpdesk.admin_site.HelpdeskAdminSite"


class HelpdeskConfig(AppConfig):
    """The project package as an app: its management commands (``backup``, ``restore``), the
    database connections' date-time loader and, in a web worker under ``helpdesk.gunicorn``, the
    metrics sampler. It has no models."""

    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from helpdesk import metrics, orm

        orm.install()  # a column's identity without inspect.signature (helpdesk/orm.py)
        from helpdesk.db import (
            checks,  # noqa: F401 - registers the scale-out settings' checks
            timestamps,
        )

        # Date-times from PostgreSQL parsed in C (helpdesk/db/timestamps.py).
        connection_created.connect(timestamps.install, dispatch_uid="helpdesk.db.timestamps")

        if metrics.multiprocess_mode():
            metrics.start_sampler()  # web workers under helpdesk.gunicorn: per-process gauges
