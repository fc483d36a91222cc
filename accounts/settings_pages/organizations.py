"""Settings → Organizations: the customer companies, whether their members share tickets, and
who belongs to them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, services
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Organization
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import OrganizationForm, OrganizationMemberForm
from helpdesk.forms import apply_errors

SECTION = "organizations"
#: Members listed on an organization's page; the people list shows them all.
MEMBERS_SHOWN = 50


@settings_view
@require_http_methods(["GET"])
def organizations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Organizations with their number of members, paged: two queries per page."""
    rows = Organization.objects.annotate(member_count=Count("members")).order_by("name")
    page = common.page_of(request, rows)
    return common.render_page(
        request, "settings/organizations.html", {"page": page, "query": ""}, section=SECTION, landing=True
    )


@settings_view
@require_http_methods(["GET", "POST"])
def organization_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                organization = services.organization_create(**form.cleaned_data)
                audit.record_addition(request.user, organization, audit.organization_values(organization))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Organization %(name)s is created.") % {"name": organization.name})
            return redirect("settings:organization", organization.pk)
    return common.render_page(
        request,
        "settings/organization_new.html",
        {"form": form},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


def _organization(pk: int) -> Organization:
    return common.get_or_404(Organization.objects.select_related("group"), pk)


def _organization_page(
    request: AuthenticatedHttpRequest, organization: Organization, *, form=None, member_form=None, status: int = 200
) -> HttpResponse:
    members = organization.members.order_by("name", "id")
    return common.render_page(
        request,
        "settings/organization.html",
        {
            "organization": organization,
            "form": form
            or OrganizationForm(initial={"name": organization.name, "share_tickets": organization.share_tickets}),
            "member_form": member_form or OrganizationMemberForm(),
            "members": members[:MEMBERS_SHOWN],
            "member_count": members.count(),
            "members_url": reverse("settings:people") + f"?organization={organization.pk}",
        },
        section=SECTION,
        status=status,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def organization(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An organization's name and sharing (POST changes them) and its members."""
    organization = _organization(pk)
    if request.method == "GET":
        return _organization_page(request, organization)
    form = OrganizationForm(request.POST)
    if form.is_valid():
        try:
            with audit.changing(request.user, organization, audit.organization_values):
                services.organization_update(organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
            organization = _organization(pk)
        else:
            messages.success(request, _("Organization %(name)s is saved.") % {"name": organization.name})
            return redirect("settings:organization", organization.pk)
    return _organization_page(request, organization, form=form, status=400)


@settings_view
@require_POST
def organization_member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Put a person (by email) into this organization, out of any other."""
    organization = _organization(pk)
    form = OrganizationMemberForm(request.POST)
    if form.is_valid():
        person = form.cleaned_data["email"]
        if person.organization_id == organization.pk:
            form.add_error("email", _("%(name)s is already a member.") % {"name": person.name})
        else:
            with audit.changing(request.user, person, audit.person_values):
                services.user_set_organization(user=person, organization=organization)
            messages.success(
                request, _("%(person)s is now a member of %(org)s.") % {"person": person.name, "org": organization.name}
            )
            return redirect("settings:organization", organization.pk)
    return _organization_page(request, organization, member_form=form, status=400)


@settings_view
@require_POST
def organization_member_remove(request: AuthenticatedHttpRequest, pk: int, user_id: int) -> HttpResponse:
    organization = _organization(pk)
    person = common.get_or_404(organization.members.select_related("organization"), user_id)
    with audit.changing(request.user, person, audit.person_values):
        services.user_set_organization(user=person, organization=None)
    messages.success(
        request, _("%(person)s is no longer a member of %(org)s.") % {"person": person.name, "org": organization.name}
    )
    return redirect("settings:organization", organization.pk)


@settings_view
@require_http_methods(["GET", "POST"])
def organization_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete an organization: members and tickets stay, without it (``on_delete=SET_NULL``)."""
    organization = _organization(pk)
    if request.method == "POST":
        with transaction.atomic():
            audit.record_deletion(request.user, organization, audit.organization_values(organization))
            services.organization_delete(organization=organization)
        messages.success(request, _("Organization %(name)s is deleted.") % {"name": organization.name})
        return redirect("settings:organizations")
    member_count = organization.members.count()
    ticket_count = organization.tickets.count()
    consequences = [
        ngettext(
            "Its %(count)s member keeps their account and tickets, without an organization.",
            "Its %(count)s members keep their accounts and tickets, without an organization.",
            member_count,
        )
        % {"count": member_count},
        ngettext(
            "Its %(count)s ticket stays with its requester and the agents; it no longer names the organization.",
            "Its %(count)s tickets stay with their requesters and the agents; they no longer name the organization.",
            ticket_count,
        )
        % {"count": ticket_count},
    ]
    if organization.share_tickets:
        consequences.append(_("Members no longer see each other's tickets."))
    return common.confirm(
        request,
        section=SECTION,
        title=_("Delete organization %(name)s?") % {"name": organization.name},
        question=_("Organization %(name)s will be deleted for good.") % {"name": organization.name},
        consequences=consequences,
        button=_("Yes, delete the organization"),
        cancel_url=reverse("settings:organization", args=[organization.pk]),
    )


urlpatterns = [
    path("", organizations, name="organizations"),
    path("new/", organization_new, name="organization_new"),
    path("<int:pk>/", organization, name="organization"),
    path("<int:pk>/members/", organization_member_add, name="organization_member_add"),
    path("<int:pk>/members/<int:user_id>/remove/", organization_member_remove, name="organization_member_remove"),
    path("<int:pk>/delete/", organization_delete, name="organization_delete"),
]
