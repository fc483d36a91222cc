"""django-helpdesk's URLs at the root (its login view included), and the admin its pages link to."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls")),
]
