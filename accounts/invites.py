"""Accepting an invitation: the public page behind the link an admin's invite sends.

GET shows who is invited and a form for name and password; POST turns the invite into an
account (``accounts.services.invite_accept``) and signs the person in. An unknown, used or
expired token shows ``InviteInvalid``'s message instead of the form (status 410 for used and
expired, 404 for unknown tokens: the page says which, so the person knows what to do).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services
from accounts.models import Invite
from helpdesk.forms import apply_errors


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
