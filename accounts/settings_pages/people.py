"""Settings → People: everyone with an account; a person's role, ticket scope, teams and
organization; deactivating and reactivating accounts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import audit, services
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Role, User
from accounts.permissions import administers
from accounts.settings_pages import common, privacy
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import PeopleFilterForm, PersonForm
from helpdesk.forms import apply_errors, error_text

SECTION = "people"


def _team_groups() -> Prefetch:
    return Prefetch(
        "groups",
        queryset=Group.objects.filter(team__isnull=False).select_related("team").order_by("team__name"),
        to_attr="team_groups",
    )


@settings_view
@require_http_methods(["GET"])
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everyone, searchable and paged: four queries per page whatever the number of people (the
    count, the page with organizations, the page's teams, the filter's organizations)."""
    form = PeopleFilterForm(request.GET or None)
    rows = form.filter(User.objects.select_related("organization").order_by("name", "id"))
    page = common.page_of(request, rows.prefetch_related(_team_groups()))
    return common.render_page(
        request,
        "settings/people.html",
        {"form": form, "page": page, "query": common.query_without_page(request)},
        section=SECTION,
        landing=True,
    )


def _person(pk: int) -> User:
    return common.get_or_404(User.objects.select_related("organization"), pk)


@settings_view
@require_http_methods(["GET", "POST"])
def person(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A person's name, role, ticket scope, organization and teams. Taking the admin role from an
    admin asks first (the page posts again with ``confirmed``)."""
    person = _person(pk)
    initial = {
        "name": person.name,
        "role": person.role,
        "ticket_scope": person.ticket_scope,
        "organization": person.organization,
        "teams": list(person.teams),
    }
    form = PersonForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if administers(person) and data["role"] != Role.ADMIN and not request.POST.get("confirmed"):
            return common.confirm(
                request,
                section=SECTION,
                title=_("Take the admin role from %(name)s?") % {"name": person.name},
                question=_("%(name)s will no longer be an admin.") % {"name": person.name},
                consequences=[
                    _("They can no longer open the settings area or the back office."),
                    _("They can no longer manage people, teams, organizations or invitations."),
                    _("Their new role applies from their next page or API request."),
                ],
                button=_("Yes, change the role"),
                cancel_url=reverse("settings:person", args=[person.pk]),
                hidden=common.carried_fields(request),
            )
        try:
            with audit.changing(request.user, person, audit.person_values):
                services.user_update(
                    actor=request.user,
                    user=person,
                    name=data["name"],
                    role=data["role"],
                    ticket_scope=data["ticket_scope"],
                    organization=data["organization"],
                    teams=list(data["teams"]),
                )
        except ValidationError as exc:
            apply_errors(form, exc)
            person = _person(pk)
        else:
            messages.success(request, _("The changes to %(name)s are saved.") % {"name": person.name})
            return redirect("settings:person", person.pk)
    return common.render_page(
        request,
        "settings/person.html",
        {"person": person, "form": form, "is_me": person.pk == request.user.pk},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def person_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Deactivate an active person or reactivate a deactivated one: GET asks, POST does it."""
    person = _person(pk)
    activate = not person.is_active
    back = reverse("settings:person", args=[person.pk])
    if request.method == "POST":
        try:
            with audit.changing(request.user, person, audit.person_values):
                services.user_set_active(actor=request.user, user=person, active=activate)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            done = _("%(name)s is active again.") if activate else _("%(name)s is deactivated.")
            messages.success(request, done % {"name": person.name})
        return redirect(back)
    if activate:
        return common.confirm(
            request,
            section=SECTION,
            title=_("Reactivate %(name)s?") % {"name": person.name},
            question=_("%(name)s will be able to sign in again with their password.") % {"name": person.name},
            consequences=[
                _("Their role, teams and organization are as they were."),
                _("API tokens deleted at deactivation stay deleted; they can make a new one on their profile."),
            ],
            button=_("Yes, reactivate"),
            cancel_url=back,
        )
    refusal = ""
    if person.pk == request.user.pk:
        refusal = _("You cannot deactivate your own account. Ask another admin.")
    return common.confirm(
        request,
        section=SECTION,
        title=_("Deactivate %(name)s?") % {"name": person.name},
        question=_("%(name)s will be signed out everywhere and will not be able to sign in.") % {"name": person.name},
        consequences=[
            _("Every browser session of theirs ends on its next request; their live pages stop."),
            _("Their API tokens are deleted."),
            _(
                "Their tickets, replies and history stay. Tickets assigned to them stay assigned: reassign them from the queue."
            ),
            _("They get no more email from the desk. You can reactivate them later."),
        ],
        button=_("Yes, deactivate"),
        cancel_url=back,
        refusal=refusal,
    )


urlpatterns = [
    *privacy.urlpatterns,
    path("", people, name="people"),
    path("<int:pk>/", person, name="person"),
    path("<int:pk>/active/", person_active, name="person_active"),
]
