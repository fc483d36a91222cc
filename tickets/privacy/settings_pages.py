"""Settings → Data retention: the retention policy as configured (``HELPDESK_RETENTION_*``), what
it would act on now, "Apply now" after a confirmation, and the last runs from the audit log.

Registered in the settings area by ``TicketsConfig.ready()``; admins only (``settings_view``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.http import AuthenticatedHttpRequest
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from tickets.privacy.retention import DELETE, apply_retention

SECTION = "retention"


@settings_view
@require_http_methods(["GET"])
def retention(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Three queries: what the policy would take now (tickets, files) and the last ten runs."""
    preview = apply_retention(dry_run=True)
    runs = LogEntry.objects.filter(content_type__isnull=True, object_repr__startswith="Retention policy")
    rows = [
        {"entry": entry, "lines": audit.describe(entry)}
        for entry in runs.select_related("user").order_by("-action_time", "-pk")[:10]
    ]
    return common.render_page(
        request,
        "settings/retention.html",
        {
            "months": settings.HELPDESK_RETENTION_CLOSED_MONTHS,
            "deletes": settings.HELPDESK_RETENTION_MODE == DELETE,
            "preview": preview,
            "runs": rows,
        },
        section=SECTION,
        landing=True,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def retention_apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Run the policy now: GET asks (with the count), POST does it."""
    back = reverse("settings:retention")
    if request.method == "POST" and settings.HELPDESK_RETENTION_CLOSED_MONTHS:
        result = apply_retention(actor=request.user)
        messages.success(request, _("The retention policy ran: %(count)d ticket(s).") % {"count": result.tickets})
        return redirect(back)
    preview = apply_retention(dry_run=True)
    deletes = settings.HELPDESK_RETENTION_MODE == DELETE
    question = (
        _("Delete %(count)d closed ticket(s) with their files now?")
        if deletes
        else _("Anonymize %(count)d closed ticket(s) now?")
    ) % {"count": preview.tickets}
    return common.confirm(
        request,
        section=SECTION,
        title=_("Apply the retention policy"),
        question=question,
        consequences=[
            _("Deleted tickets, their conversations, history and files cannot be brought back.")
            if deletes
            else _("Their requester, subject, message text, files and comments are removed; the figures stay."),
        ],
        button=_("Yes, apply it now"),
        cancel_url=back,
        refusal="" if preview.months else _("Retention is off: set HELPDESK_RETENTION_CLOSED_MONTHS first."),
    )


urlpatterns = [
    path("", retention, name="retention"),
    path("apply/", retention_apply, name="retention_apply"),
]
