"""Site-wide pages that belong to no single app: the favicon. (Health checks: ``helpdesk.health``.)"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control


@login_not_required
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """``/favicon.ico``, which browsers ask for on pages without an icon link (the admin, the API's
    JSON): a redirect to the SVG icon among the static files (pages link it from the base template)."""
    return HttpResponseRedirect(static("favicon.svg"))
