from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import URLResolver, include, path

from accounts import views as account_views
from helpdesk import health, metrics, views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", health.healthz, name="health"),
    path("readyz", health.readyz, name="ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("tickets.urls.portal")),
    path("agent/", include("tickets.urls.agent")),
    path("attachments/", include("tickets.urls.attachments")),
    path("live/", include("tickets.urls.live")),
    path("notifications/", include("tickets.urls.notifications")),
    path("settings/", include("accounts.settings_pages.urls")),
    path("api/", include("helpdesk.api.urls")),
    path("mail/", include("tickets.urls.mail")),
    path("satisfaction/", include("tickets.satisfaction.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG_TOOLBAR:  # development only (helpdesk/settings.py)
    from debug_toolbar.toolbar import debug_toolbar_urls

    toolbar = debug_toolbar_urls()
    assert isinstance(toolbar[0], URLResolver)
    for entry in toolbar[0].url_patterns:
        # The toolbar shows on the sign-in page too; its panels load from these addresses.
        if entry.callback is not None:
            entry.callback = login_not_required(entry.callback)
    urlpatterns += toolbar
