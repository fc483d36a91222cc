from django.contrib import admin
from django.urls import include, path

from helpdesk import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("tickets.urls_portal")),
    path("agent/", include("tickets.urls_agent")),
    path("attachments/", include("tickets.urls_attachments")),
    path("live/", include("tickets.urls_live")),
    path("notifications/", include("tickets.urls_notifications")),
    path("api/", include("helpdesk.urls_api")),
    path("admin/", admin.site.urls),
]
