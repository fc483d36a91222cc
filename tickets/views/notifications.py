"""In-app notifications: the list page and marking them read (the bell is in base.html)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from helpdesk.redirects import redirect_next
from tickets import permissions, selectors, services


def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in person's notifications, newest first, unread ones marked."""
    page = selectors.notifications_page(request.user, before=request.GET.get("before"))
    return render(request, "notifications/list.html", {"page": page, "nav": "notifications"})


@require_POST
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to its ticket."""
    notification = selectors.notification_get_for_user(request.user, pk)
    services.notification_mark_read(actor=request.user, ids=[notification.pk])
    return redirect(permissions.ticket_path_for(request.user, notification.ticket_id))


@require_POST
def notification_mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.notification_mark_read(actor=request.user, ids=None)
    messages.success(
        request,
        ngettext("Marked %(count)d notification as read.", "Marked %(count)d notifications as read.", count)
        % {"count": count},
    )
    return redirect_next(request, request.POST.get("next"), reverse("notifications:list"))
