from django.contrib import admin
from django.urls import include, path

from helpdesk import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
