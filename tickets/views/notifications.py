"""In-app notifications: the list page and marking them read (the bell is in base.html)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from tickets import permissions, selectors, services


def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in person's notifications, newest first, unread ones marked."""
    page = selectors.notifications_page(request.user, before=request.GET.get("before"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to its ticket."""
    notification = selectors.notification_get_for_user(request.user, pk)
    services.notification_mark_read(actor=request.user, ids=[notification.pk])
    return redirect(permissions.ticket_path_for(request.user, notification.ticket_id))


@require_POST
def notification_mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.notification_mark_read(actor=request.user, ids=None)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "notifications:list"
    return redirect(target)
