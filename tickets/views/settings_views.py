"""Settings → Views: the desk's shared views (a team's or everyone's), for desk managers.

Registered in the settings area by ``TicketsConfig.ready()``; each view is edited, tested and
deleted in the queue's view editor (``tickets.views.saved_views``), where the same permission
rules apply (``tickets.permissions.may_manage_view``). Personal views are their owners' own and
are not listed here.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from tickets.models import SavedView, ViewScope

SECTION = "views"


@settings_view
@require_http_methods(["GET"])
def views(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = SavedView.objects.exclude(scope=ViewScope.PERSONAL).select_related("team", "created_by")
    return common.render_page(request, "settings/views.html", {"views": rows}, section=SECTION, landing=True)


urlpatterns = [path("", views, name="views")]
