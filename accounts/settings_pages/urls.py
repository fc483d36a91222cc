"""``/settings/``: the index sends admins to the first section; each registered section's URL
module is mounted under its slug, its names in the ``settings`` namespace."""

from django.urls import include, path

from accounts.settings_pages import common
from accounts.settings_pages.registry import SECTIONS

app_name = "settings"

urlpatterns = [
    path("", common.index, name="index"),
    *(path(f"{section.slug}/", include(section.urls)) for section in SECTIONS),
]
