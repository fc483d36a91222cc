"""Site-wide pages that belong to no single app: the home redirect and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    """Signed out: the sign-in page. Signed in: the queue for agents, the portal for customers."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.is_agent:
        return redirect("agent:queue")
    return redirect("portal:my_tickets")


@login_not_required
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
