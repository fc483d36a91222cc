"""Settings → Invitations: inviting agents and admins by email, sending again, revoking."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, services
from accounts.http import AuthenticatedHttpRequest
from accounts.invites import send_invitation
from accounts.models import Invite
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import InvitationFilterForm, InvitationForm
from helpdesk.forms import apply_errors, error_text

SECTION = "invitations"


@settings_view
@require_http_methods(["GET"])
def invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Invitations, newest first, optionally only the waiting, accepted or expired ones."""
    form = InvitationFilterForm(request.GET or None)
    rows = Invite.objects.select_related("team", "invited_by", "accepted_user").order_by("-created_at", "-pk")
    state = form.cleaned_data.get("state") if form.is_valid() else ""
    now = timezone.now()
    if state == "accepted":
        rows = rows.filter(accepted_at__isnull=False)
    elif state == "pending":
        rows = rows.filter(accepted_at__isnull=True, expires_at__gt=now)
    elif state == "expired":
        rows = rows.filter(accepted_at__isnull=True, expires_at__lte=now)
    page = common.page_of(request, rows)
    return common.render_page(
        request,
        "settings/invitations.html",
        {"form": form, "page": page, "query": common.query_without_page(request), "now": now},
        section=SECTION,
        landing=True,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def invitation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Invite an agent or admin: ``invite_create``, then the email the back office sends too."""
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                invite = services.invite_create(actor=request.user, **form.cleaned_data)
                audit.record_addition(request.user, invite, audit.invitation_values(invite))
                link = send_invitation(request, invite)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s. Their link: %(link)s") % {"email": invite.email, "link": link}
            )
            return redirect("settings:invitations")
    return common.render_page(
        request,
        "settings/invitation_new.html",
        {"form": form},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


@settings_view
@require_POST
def invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Send a waiting or expired invitation again, valid for another seven days."""
    invite = common.get_or_404(Invite.objects.select_related("team"), pk)
    try:
        with audit.changing(request.user, invite, audit.invitation_values):
            renewed = services.invite_renew(actor=request.user, invite=invite)
            invite.expires_at = renewed.expires_at
            send_invitation(request, renewed)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The invitation is sent again to %(email)s.") % {"email": invite.email})
    return redirect("settings:invitations")


@settings_view
@require_http_methods(["GET", "POST"])
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Withdraw an invitation that was not accepted: GET asks, POST does it."""
    invite = common.get_or_404(Invite.objects.select_related("team"), pk)
    back = reverse("settings:invitations")
    if request.method == "POST":
        try:
            with transaction.atomic():
                audit.record_deletion(request.user, invite, audit.invitation_values(invite))
                services.invite_revoke(actor=request.user, invite=invite)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("The invitation for %(email)s is revoked.") % {"email": invite.email})
        return redirect(back)
    return common.confirm(
        request,
        section=SECTION,
        title=_("Revoke the invitation for %(email)s?") % {"email": invite.email},
        question=_("The invitation link will stop working at once."),
        consequences=[_("You can invite the same address again later.")],
        button=_("Yes, revoke the invitation"),
        cancel_url=back,
        refusal=_("This invitation has already been accepted; deactivate the person instead.")
        if invite.is_used
        else "",
    )


urlpatterns = [
    path("", invitations, name="invitations"),
    path("new/", invitation_new, name="invitation_new"),
    path("<int:pk>/resend/", invitation_resend, name="invitation_resend"),
    path("<int:pk>/revoke/", invitation_revoke, name="invitation_revoke"),
]
