"""Account pages: profile (name, password, API token), the sign-in throttle's answer.

Sign-up is ``accounts/signup.py``, invitations ``accounts/invites.py``. Sign-in, sign-out and the
password-reset flow are Django's own views with our templates and forms (``accounts/urls.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import permissions, selectors, services
from accounts.forms import LocaleForm, NameForm, PasswordChangeForm
from accounts.http import AuthenticatedHttpRequest
from accounts.languages import time_zone_options
from helpdesk.forms import apply_errors


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    """Signed out: the sign-in page. Signed in: the queue for agents, the portal for customers."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect(permissions.home_url_name(request.user))


def _profile_context(request: AuthenticatedHttpRequest, **forms) -> dict:
    return {
        "name_form": forms.get("name_form") or NameForm(initial={"name": request.user.name}),
        "password_form": forms.get("password_form") or PasswordChangeForm(request.user),
        "locale_form": forms.get("locale_form")
        or LocaleForm(initial={"language": request.user.language, "time_zone": request.user.time_zone}),
        "time_zone_options": time_zone_options(),
        "token": selectors.api_token_for(request.user),
        "may_export_own_data": permissions.may_export_own_data(request.user),
        "nav": "profile",
    }


def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in person's account: name, password and API token."""
    return render(request, "accounts/profile.html", _profile_context(request))


@require_POST
def profile_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = NameForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_name(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your name is saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, name_form=form), status=400)


@require_POST
def profile_locale(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Language and time zone; the next page is already in the new language."""
    form = LocaleForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_locale(
                user=request.user, language=form.cleaned_data["language"], time_zone=form.cleaned_data["time_zone"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # Say so in the language just chosen (or, for "the browser's", the browser's).
            translation.activate(request.user.language or translation.get_language_from_request(request))
            messages.success(request, _("Your language and time zone are saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, locale_form=form), status=400)


@require_POST
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        try:
            services.user_set_password(user=request.user, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            for message in exc.message_dict.get("password", exc.messages):
                form.add_error("new_password1", message)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in here, sign out elsewhere
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, password_form=form), status=400)


@require_POST
def token_regenerate(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.api_token_regenerate(user=request.user)
    messages.success(request, _("You have a new API token. The old one no longer works."))
    return redirect("accounts:profile")


@require_POST
def notification_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Agents: mute or unmute email about new unassigned tickets in their teams."""
    if not permissions.may_set_team_notifications(request.user):
        raise PermissionDenied(_("Only agents receive team notifications."))
    services.user_set_notification_preferences(
        user=request.user, notify_team_tickets=request.POST.get("notify_team_tickets") == "1"
    )
    messages.success(request, _("Your email settings are saved."))
    return redirect("accounts:profile")


@require_POST
def profile_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """A customer downloads everything the desk holds about them (their right of access): the
    same zip an admin gets (``accounts.privacy``), written to the audit log. Agents ask an admin
    (their export holds desk work); for them this is a 404 like any page they may not use."""
    if not permissions.may_export_own_data(request.user):
        raise Http404("No such page.")
    from accounts.privacy import services as privacy
    from accounts.settings_pages.privacy import zip_response

    return zip_response(privacy.export_person(actor=request.user, person=request.user), request.user)


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What the sign-in page answers while an email+IP pair cools off (django-axes' callable):
    the form again, with a message saying how long to wait, status 429 with ``Retry-After``."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = seconds // 60
    if request.path.startswith("/api/"):
        # The API's token endpoint: the contract's 429 with Retry-After, as JSON.
        response: HttpResponse = JsonResponse(
            {
                "detail": ngettext(
                    "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
                    "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes}
            },
            status=429,
        )
        response["Retry-After"] = str(seconds)
        return response
    username = (request.POST.get("username") or "").strip()
    form = AuthenticationForm(request, initial={"username": username})
    response = render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
