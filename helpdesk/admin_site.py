"""The admin site: Django's, with every admin view guarded against input Django's own admin
views turn into server errors (issue 13 §4), whichever app registered the model.

- ``_to_field`` given but empty: Django looks the empty name up as a field (``FieldDoesNotExist``).
- ``_selected_action`` values that are not ids: Django filters ``pk__in`` with them (``ValueError``).

Both are a 400 here, before Django's view runs. Installed as the default admin site by
``helpdesk.apps.AdminConfig`` (``INSTALLED_APPS``), so ``admin.site`` is this site everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import TO_FIELD_VAR
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _

from helpdesk.ids import parse_id

ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])


def refused_admin_input(request: HttpRequest) -> str | None:
    """Why the admin cannot take this request's parameters, or None when it can."""
    for source in (request.GET, request.POST):
        if TO_FIELD_VAR in source and not source.get(TO_FIELD_VAR):
            return f"{TO_FIELD_VAR} must name a field."
    selected = request.POST.getlist(ACTION_CHECKBOX_NAME) if request.method == "POST" else []
    if any(parse_id(value) is None for value in selected):
        return "The selected rows must be given by their ids."
    return None


class HelpdeskAdminSite(admin.AdminSite):
    # Named as the product names it (README: the back office, the "Admin" link), not "Django administration".
    site_header = _("Helpdesk back office")
    site_title = _("Helpdesk back office")
    index_title = _("Every model of the desk")

    def admin_view(self, view: ViewT, cacheable: bool = False) -> ViewT:
        guarded_view = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            problem = refused_admin_input(request)
            if problem is not None:
                return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
            return guarded_view(request, *args, **kwargs)

        return cast(ViewT, guarded)
