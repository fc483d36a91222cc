"""Customer sign-up, confirmed by email.

The sign-up page must not tell a visitor whether an address already has an account, so it
answers the same way for every well-formed address: "check your email". What arrives there
depends on the address, which only its owner can read:

- no account yet: a link (signed, valid ``HELPDESK_SIGNUP_LINK_DAYS`` days) to choose a password;
  following it makes the customer account and signs the person in. Nothing is stored before
  that, so an address cannot be squatted, and whoever reads the mailbox chooses the password —
  someone signing up with another person's address gains nothing;
- an active account: a note that someone tried to sign up with the address, with links to sign in
  and to reset the password;
- a deactivated account: nothing.

Mail is sent within the account-mail limits (``accounts.limits``): beyond them the page answers
the same and nothing is sent. The role is never taken from input: sign-up makes customers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import limits, services
from accounts.forms import SignupConfirmForm, SignupForm
from accounts.languages import speaking_to
from accounts.models import User
from helpdesk.forms import apply_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_SALT = "accounts.signup.confirm"


class SignupLinkInvalid(Exception):
    """The link is tampered with, expired or already used; ``message`` says which, ``status`` is the
    page's answer (404 unknown, 410 expired or used)."""

    def __init__(self, message: StrOrPromise, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def signup_token(*, email: str, name: str) -> str:
    """The signed token of a sign-up link for ``email`` (normal form) and ``name``."""
    return signing.dumps({"email": email, "name": name}, salt=_SALT, compress=True)


def signup_token_read(token: str) -> tuple[str, str]:
    """``(email, name)`` of a usable sign-up token, or ``SignupLinkInvalid``."""
    max_age = settings.HELPDESK_SIGNUP_LINK_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise SignupLinkInvalid(
            _("This link has expired (they last a few days). Sign up again to get a new one."), 410
        ) from None
    except signing.BadSignature:
        raise SignupLinkInvalid(_INVALID, 404) from None
    if not isinstance(data, dict) or not isinstance(data.get("email"), str) or not isinstance(data.get("name"), str):
        raise SignupLinkInvalid(_INVALID, 404)
    if User.objects.with_email(data["email"]).exists():
        raise SignupLinkInvalid(_ALREADY, 410)
    return data["email"], data["name"]


_ALREADY = _("This address already has an account. Sign in, or reset your password if you have forgotten it.")
_INVALID = _("This link is not valid. Copy the whole link from the email, or sign up again.")


def _mail(request: HttpRequest, template: str, to: str, context: dict, user: User | None = None) -> None:
    """Mail in ``user``'s language when they chose one, else in the language of this page."""
    with speaking_to(user, fallback=translation.get_language()):
        _render_and_send(request, template, to, context)


def _render_and_send(request: HttpRequest, template: str, to: str, context: dict) -> None:
    context = {
        **context,
        "login_url": request.build_absolute_uri(reverse("accounts:login")),
        "reset_url": request.build_absolute_uri(reverse("accounts:password_reset")),
    }
    subject = "".join(render_to_string(f"registration/{template}_subject.txt", context).splitlines())
    body = render_to_string(f"registration/{template}_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


@login_not_required
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    """Ask for name and email; answer "check your email" whoever owns the address."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            email = services.clean_email(form.cleaned_data["email"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if limits.allow_account_mail(request, email):
                existing = User.objects.with_email(email).first()
                if existing is None:
                    link = reverse(
                        "accounts:signup_confirm", args=[signup_token(email=email, name=form.cleaned_data["name"])]
                    )
                    _mail(
                        request,
                        "signup_confirm",
                        email,
                        # Not the name: it is whatever the visitor typed, and the mail goes to an
                        # address that may not be theirs.
                        {"link": request.build_absolute_uri(link), "days": settings.HELPDESK_SIGNUP_LINK_DAYS},
                    )
                elif existing.is_active:
                    _mail(request, "signup_exists", existing.email, {"user": existing}, user=existing)
            return render(request, "accounts/signup_sent.html", {"email": email})
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_not_required
@never_cache
@sensitive_post_parameters("password", "password_again")
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Behind the mailed link: choose a password; the customer account is made and signed in."""
    try:
        email, name = signup_token_read(token)
    except SignupLinkInvalid as exc:
        return render(request, "accounts/signup_confirm.html", {"problem": exc.message}, status=exc.status)
    form = SignupConfirmForm(request.POST or None, initial={"name": name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                email=email, name=form.cleaned_data["name"], password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            if "email" in getattr(exc, "error_dict", {}):  # the address got an account meanwhile (a second tab)
                return render(request, "accounts/signup_confirm.html", {"problem": _ALREADY}, status=410)
            apply_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is ready. File a ticket whenever you need help."))
            return redirect("home")
    return render(
        request,
        "accounts/signup_confirm.html",
        {"form": form, "email": email},
        status=400 if form.errors else 200,
    )
