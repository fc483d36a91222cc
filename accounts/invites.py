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
    team = f" in team {invite.team.name}" if invite.team else ""
    send_mail(
        subject="You are invited to the help desk",
        message=(
            f"Hello,\n\nYou are invited to join the help desk as {invite.get_role_display().lower()}{team}.\n"
            f"Choose your name and password here:\n\n{link}\n\n"
            f"The link works once and expires on {invite.expires_at:%d %B %Y at %H:%M} UTC.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invite.email],
    )


class InviteAcceptForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    password = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords differ.")
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
                request, f"Welcome, {user.get_short_name()}! Your {user.get_role_display().lower()} account is ready."
            )
            return redirect("home")
    return render(
        request,
        "accounts/invite_accept.html",
        {"invite": invite, "form": form},
        status=400 if request.method == "POST" else 200,
    )
