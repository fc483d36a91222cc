"""Settings → People → a person → "Data protection": download everything about them (a zip),
and erase them after a confirmation page (``accounts.privacy``). Admins only, like every
settings page; each run is written to the audit log by the service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.privacy import services
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from helpdesk.forms import error_text

SECTION = "people"


def zip_response(archive, person: User) -> FileResponse:
    """The export as a download (streamed from its temporary file)."""
    return FileResponse(
        archive, as_attachment=True, filename=f"helpdesk-export-{person.pk}.zip", content_type="application/zip"
    )


@settings_view
@require_POST
def person_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The zip of everything about the person (a POST: it writes an audit entry)."""
    person = common.get_or_404(User.objects.select_related("organization"), pk)
    return zip_response(services.export_person(actor=request.user, person=person), person)  # type: ignore[return-value]  # a streamed response


@settings_view
@require_http_methods(["GET", "POST"])
def person_erase(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: what erasing does, with the choice to erase message bodies too; POST (confirmed): do it."""
    person = common.get_or_404(User.objects.select_related("organization"), pk)
    back = reverse("settings:person", args=[person.pk])
    refusal = ""
    try:
        services.check_erasable(actor=request.user, person=person)
    except ValidationError as exc:
        refusal = error_text(exc)
    except PermissionDenied as exc:  # pragma: no cover — settings_view lets only admins in
        refusal = str(exc)
    if request.method == "POST" and request.POST.get("confirmed") and not refusal:
        erase_messages = request.POST.get("erase_messages") == "1"
        try:
            services.erase_person(actor=request.user, person=person, erase_messages=erase_messages)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect(back)
        messages.success(request, _("The person is erased. Their tickets now show “Deleted user”."))
        return redirect(back)
    return common.render_page(
        request,
        "settings/person_erase.html",
        {"person": person, "refusal": refusal, "cancel_url": back},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("<int:pk>/export/", person_export, name="person_export"),
    path("<int:pk>/erase/", person_erase, name="person_erase"),
]
