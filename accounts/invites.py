"""Accepting an invitation: the public page behind the link an admin's invite sends.

GET shows who is invited and a form for name and password; POST turns the invite into an
account (``accounts.services.invite_accept``) and signs the person in. An unknown, used or
expired token shows ``InviteInvalid``'s message instead of the form (status 410 for used and
expired, 404 for unknown tokens: the page says which, so the person knows what to do).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services
from accounts.models import Invite
from helpdesk.forms import apply_errors


def invitation_link(request: HttpRequest, invite: Invite) -> str:
    """The address of ``invite``'s acceptance page, on the host the admin's browser used."""
    return request.build_absolute_uri(reverse("accounts:invite_accept", args=[invite.token]))


def send_invitation(request: HttpRequest, invite: Invite) -> str:
    """Email ``invite``'s link to the invitee once the current transaction commits (the back
    office and the settings area both send it this way); returns the link, to show the admin."""
    link = invitation_link(request, invite)
    transaction.on_commit(lambda: _send_invite(link, invite))
    return link


def _send_invite(link: str, invite: Invite) -> None:
    # Not a user yet, so no language of their own: the inviter's (the language of this request).
    role = str(invite.get_role_display()).lower()
    if invite.team:
        invited = _("You are invited to join the help desk as %(role)s in team %(team)s.") % {
            "role": role,
            "team": invite.team.name,
        }
    else:
        invited = _("You are invited to join the help desk as %(role)s.") % {"role": role}
    expires = date_format(timezone.localtime(invite.expires_at), "DATETIME_FORMAT")
    send_mail(
        subject=str(_("You are invited to the help desk")),
        message=(
            _("Hello,")
            + "\n\n"
            + invited
            + "\n"
            + _("Choose your name and password here:")
            + f"\n\n{link}\n\n"
            + _("The link works once and expires on %(when)s (%(zone)s).")
            % {"when": expires, "zone": timezone.get_current_timezone_name()}
            + "\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invite.email],
    )


class InviteAcceptForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data


@login_not_required
@never_cache
@sensitive_post_parameters("password", "password_again")
def accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = services.invite_check(token=token)
    except services.InviteInvalid as exc:
        status = 410 if Invite.objects.filter(token=token).exists() else 404
        return render(request, "accounts/invite_accept.html", {"problem": exc.message}, status=status)
    form = InviteAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invite_accept(
                token=token, name=form.cleaned_data["name"], password=form.cleaned_data["password"]
            )
        except services.InviteInvalid as exc:
            return render(request, "accounts/invite_accept.html", {"problem": exc.message}, status=410)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome, %(name)s! Your %(role)s account is ready.")
                % {"name": user.get_short_name(), "role": str(user.get_role_display()).lower()},
            )
            return redirect("home")
    return render(
        request,
        "accounts/invite_accept.html",
        {"invite": invite, "form": form},
        status=400 if request.method == "POST" else 200,
    )
