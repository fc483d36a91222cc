from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin with ``helpdesk.admin_site.HelpdeskAdminSite`` as ``admin.site``."""

    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
