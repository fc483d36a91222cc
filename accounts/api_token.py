"""The "API token" page: a signed-in user sees their token for scripts and can replace it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from accounts import services


@never_cache
def page(request: HttpRequest) -> HttpResponse:
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/api_token.html", {"token": token})


@require_POST
def regenerate(request: HttpRequest) -> HttpResponse:
    had_one = Token.objects.filter(user=request.user).exists()
    services.api_token_regenerate(user=request.user)
    messages.success(
        request,
        "Your new API token is ready. The old one no longer works." if had_one else "Your API token is ready.",
    )
    return redirect("accounts:api_token")
