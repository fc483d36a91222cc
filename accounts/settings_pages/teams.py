"""Settings → Teams: the agent teams tickets are routed to, their names and their members."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, services
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Team
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import TeamForm, TeamMemberForm
from helpdesk.exceptions import Conflict
from helpdesk.forms import apply_errors, error_text

SECTION = "teams"
MEMBER = gettext_noop("member")


@settings_view
@require_http_methods(["GET"])
def teams(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every team with its number of members: one query however many teams there are."""
    rows = Team.objects.annotate(member_count=Count("group__user")).order_by("name")
    return common.render_page(request, "settings/teams.html", {"teams": rows}, section=SECTION, landing=True)


@settings_view
@require_http_methods(["GET", "POST"])
def team_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                team = services.team_create(**form.cleaned_data)
                audit.record_addition(request.user, team, audit.team_values(team))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s is created. Add its members below.") % {"name": team.name})
            return redirect("settings:team", team.pk)
    return common.render_page(
        request,
        "settings/team_new.html",
        {"form": form},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


def _team(pk: int) -> Team:
    return common.get_or_404(Team.objects.select_related("group"), pk)


def _team_page(
    request: AuthenticatedHttpRequest, team: Team, *, form=None, member_form=None, status: int = 200
) -> HttpResponse:
    return common.render_page(
        request,
        "settings/team.html",
        {
            "team": team,
            "form": form or TeamForm(initial={"name": team.name, "description": team.description}),
            "member_form": member_form or TeamMemberForm(team=team),
            "members": team.members.select_related("organization").order_by("name", "id"),
        },
        section=SECTION,
        status=status,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def team(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A team's name and description (POST changes them) and its members."""
    team = _team(pk)
    if request.method == "GET":
        return _team_page(request, team)
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            with audit.changing(request.user, team, audit.team_values):
                services.team_update(team=team, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
            team = _team(pk)
        else:
            messages.success(request, _("Team %(name)s is saved.") % {"name": team.name})
            return redirect("settings:team", team.pk)
    return _team_page(request, team, form=form, status=400)


@settings_view
@require_POST
def team_member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team = _team(pk)
    form = TeamMemberForm(request.POST, team=team)
    if form.is_valid():
        member = form.cleaned_data["user"]
        try:
            with transaction.atomic():
                services.team_add_member(team=team, user=member)
                audit.record_related(request.user, team, added=True, name=MEMBER, related=member)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("%(person)s is now a member of %(team)s.") % {"person": member.name, "team": team.name}
            )
            return redirect("settings:team", team.pk)
    return _team_page(request, team, member_form=form, status=400)


@settings_view
@require_POST
def team_member_remove(request: AuthenticatedHttpRequest, pk: int, user_id: int) -> HttpResponse:
    team = _team(pk)
    member = common.get_or_404(team.members, user_id)
    with transaction.atomic():
        services.team_remove_member(team=team, user=member)
        audit.record_related(request.user, team, added=False, name=MEMBER, related=member)
    messages.success(
        request, _("%(person)s is no longer a member of %(team)s.") % {"person": member.name, "team": team.name}
    )
    return redirect("settings:team", team.pk)


@settings_view
@require_http_methods(["GET", "POST"])
def team_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a team without tickets. Tickets hold on to their team (``on_delete=PROTECT``): a team
    with tickets cannot go until they are moved, and the page says so and links to them."""
    team = _team(pk)
    ticket_count = team.tickets.count()
    member_count = team.members.count()
    back = reverse("settings:team", args=[team.pk])
    if request.method == "POST" and ticket_count == 0:
        try:
            with transaction.atomic():
                audit.record_deletion(request.user, team, audit.team_values(team))
                services.team_delete(team=team)
        except (Conflict, ValidationError) as exc:  # tickets arrived since the count
            messages.error(request, error_text(exc) if isinstance(exc, ValidationError) else str(exc))
            return redirect(back)
        messages.success(request, _("Team %(name)s is deleted.") % {"name": team.name})
        return redirect("settings:teams")
    refusal, refusal_link = "", None
    if ticket_count:
        refusal = ngettext(
            "Team %(name)s still has %(count)s ticket. Move it to another team first.",
            "Team %(name)s still has %(count)s tickets. Move them to another team first.",
            ticket_count,
        ) % {"name": team.name, "count": ticket_count}
        queue = reverse("agent:queue") + "?" + urlencode({"view": "all", "team": team.pk})
        refusal_link = (queue, _("See the team's tickets in the queue"))
    return common.confirm(
        request,
        section=SECTION,
        title=_("Delete team %(name)s?") % {"name": team.name},
        question=_("Team %(name)s will be deleted for good.") % {"name": team.name},
        consequences=[
            ngettext(
                "Its %(count)s member stays an agent but is no longer in this team.",
                "Its %(count)s members stay agents but are no longer in this team.",
                member_count,
            )
            % {"count": member_count},
            _("Team-scoped agents who were only in this team will see no team tickets until they join another."),
            _("Waiting invitations for this team invite to no team."),
        ],
        button=_("Yes, delete the team"),
        cancel_url=back,
        refusal=refusal,
        refusal_link=refusal_link,
        status=409 if request.method == "POST" and ticket_count else 200,
    )


urlpatterns = [
    path("", teams, name="teams"),
    path("new/", team_new, name="team_new"),
    path("<int:pk>/", team, name="team"),
    path("<int:pk>/members/", team_member_add, name="team_member_add"),
    path("<int:pk>/members/<int:user_id>/remove/", team_member_remove, name="team_member_remove"),
    path("<int:pk>/delete/", team_delete, name="team_delete"),
]
