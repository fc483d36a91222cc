"""The Django admin for people: users, teams and membership, organizations, invites.

Admins change roles here (DESIGN §3: roles never come from sign-up input). Every change goes
through ``accounts.services`` so the guardian groups that carry ticket access stay in step:
role and scope through ``user_set_role``, organization through ``user_set_organization``, team
membership through ``team_add_member``/``team_remove_member``, sharing through
``organization_set_sharing``, invitations through ``invite_create``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import EmailAddressField
from accounts.invites import send_invitation
from accounts.models import Invite, Organization, Role, Team, User
from accounts.permissions import staff_members
from helpdesk.forms import apply_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _staff_users():
    return staff_members(active=False).order_by("name", "id")


def _copy_into(obj, created) -> None:
    """Make the admin's unsaved ``obj`` the row a service created (so redirects find its pk)."""
    obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
    obj._state.adding = False


# --- users ------------------------------------------------------------------------------------


class UserAdminForm(forms.ModelForm):
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=FilteredSelectMultiple("teams", is_stacked=False),
        help_text=_("Agents and admins only. A team-scoped agent works only their teams' tickets."),
    )
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("New users only. Leave empty to let them set one through a password reset."),
    )

    class Meta:
        model = User
        fields = ["email", "name", "role", "ticket_scope", "organization", "is_active"]
        field_classes = {"email": EmailAddressField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["teams"].initial = list(self.instance.teams)
            self.fields["email"].disabled = True
            del self.fields["password"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("teams") and data.get("role") == Role.CUSTOMER:
            self.add_error("teams", "Customers cannot be members of agent teams.")
        return data


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserAdminForm
    list_display = ["email", "name", "role", "ticket_scope", "organization", "is_active", "date_joined"]
    list_filter = ["role", "ticket_scope", "is_active", "organization"]
    search_fields = ["email", "name"]
    list_select_related = ["organization"]
    ordering = ["name", "id"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password", "is_active"]}),
        ("Role and access", {"fields": ["role", "ticket_scope", "teams", "organization"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        return [
            (None, {"fields": ["email", "name", "is_active"]}),
            ("Role and access", {"fields": ["role", "ticket_scope", "teams", "organization"]}),
        ]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                email=data["email"],
                name=data["name"],
                password=data.get("password") or None,
                role=data["role"],
                ticket_scope=data["ticket_scope"],
                organization=data.get("organization"),
                teams=list(data.get("teams") or []),
            )
            if not data["is_active"]:
                created.is_active = False
                created.save(update_fields=["is_active"])
            _copy_into(obj, created)
            return
        # The settings area's services: ticket access follows each change, nobody changes their
        # own role or deactivates themselves, and the last active admin stays.
        user = User.objects.get(pk=obj.pk)
        services.user_update(
            actor=request.user,
            user=user,
            name=data["name"],
            role=data["role"],
            ticket_scope=data["ticket_scope"],
            organization=data.get("organization"),
            teams=list(data.get("teams") or []),
        )
        services.user_set_active(actor=request.user, user=user, active=data["is_active"])

    def save_related(self, request, form, formsets, change):
        pass  # teams are saved by save_model through the services

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # A service refused (e.g. a taken email): nothing was written (the view is atomic).
            messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
            return redirect(request.get_full_path())


# --- teams --------------------------------------------------------------------------------------


class TeamAdminForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=_staff_users(),
        required=False,
        widget=FilteredSelectMultiple("members", is_stacked=False),
        help_text=_("Agents and admins in this team."),
    )

    class Meta:
        model = Team
        fields = ["name", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["members"]).queryset = _staff_users()
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.members)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamAdminForm
    list_display = ["name", "description", "member_count"]
    search_fields = ["name"]

    @admin.display(description=_("Members"))
    def member_count(self, team):
        return team.group.user_set.count()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            _copy_into(obj, services.team_create(name=data["name"], description=data.get("description", "")))
        else:
            services.team_update(team=obj, name=data["name"], description=data.get("description", ""))
        wanted = set(data.get("members") or [])
        current = set(obj.members)
        for user in wanted - current:
            services.team_add_member(team=obj, user=user)
        for user in current - wanted:
            services.team_remove_member(team=obj, user=user)

    def save_related(self, request, form, formsets, change):
        pass


# --- organizations --------------------------------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "share_tickets", "created_at"]
    list_filter = ["share_tickets"]
    search_fields = ["name"]
    fields = ["name", "share_tickets"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            _copy_into(obj, services.organization_create(name=data["name"], share_tickets=data["share_tickets"]))
            return
        services.organization_update(
            organization=Organization.objects.get(pk=obj.pk), name=data["name"], share_tickets=data["share_tickets"]
        )


# --- invites ------------------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = EmailAddressField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=[(Role.AGENT, Role.AGENT.label), (Role.ADMIN, Role.ADMIN.label)])
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text=_("Optional. With a team, the new agent works only that team's tickets."),
    )


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "team", "invited_by", "created_at", "expires_at", "state"]
    list_filter = ["role", "team"]
    search_fields = ["email"]
    list_select_related = ["team", "invited_by"]
    readonly_fields = [
        "email",
        "role",
        "team",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_user",
        "link",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description=_("State"))
    def state(self, invite: Invite) -> StrOrPromise:
        if invite.is_used:
            return _("Accepted")
        return _("Expired") if invite.is_expired else _("Waiting")

    @admin.display(description=_("Invitation link"))
    def link(self, invite: Invite) -> str:
        if invite.is_used or invite.is_expired:
            return "—"
        url = reverse("accounts:invite_accept", args=[invite.token])
        return format_html('<a href="{}">{}</a>', url, url)

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """A small form that calls ``invite_create``, emails the link and shows it."""
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                invite = services.invite_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                link = send_invitation(request, invite)
                messages.success(
                    request,
                    _("Invitation sent to %(email)s. Their link: %(link)s") % {"email": invite.email, "link": link},
                )
                return redirect("admin:accounts_invite_change", invite.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Invite an agent or admin",
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/accounts/invite/invite_form.html", context)


# DRF's token admin searches ``user__username``, a field our User does not have: any search was a
# FieldError (a 500, found by the hostile-input fuzz, issue 13 §4). Search by email and name.
from rest_framework.authtoken.admin import TokenAdmin  # noqa: E402
from rest_framework.authtoken.models import TokenProxy  # noqa: E402

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    search_fields = ("user__email", "user__name")
