"""Forms of the account pages. They check input shape only; accounts.services does the writes."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import limits
from accounts.addresses import normalize_email
from accounts.languages import language_choices, speaking_to
from accounts.models import User


class EmailAddressField(forms.EmailField):
    """An email field that puts the address in the desk's normal form before validating it."""

    def to_python(self, value):
        return normalize_email(super().to_python(value))


class SignupForm(forms.Form):
    """Sign-up asks who you are; the password is chosen behind the link mailed to the address."""

    name = forms.CharField(label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = EmailAddressField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SignupConfirmForm(forms.Form):
    """Behind the sign-up link: the name (as typed at sign-up, to correct) and a password."""

    name = forms.CharField(label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not a common password and not only digits."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ; type the same password twice."))
        return data


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, finding the account by the address's normal form (exactly as sign-in
    does) and sending within the account-mail limits (``accounts.limits``)."""

    email = EmailAddressField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email):
        # Accounts made without a password (admin, API) choose their first one this way.
        return User.objects.with_email(email).filter(is_active=True)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # In the account's own language (else the language of the page that asked) and time zone.
        with speaking_to(context.get("user"), fallback=translation.get_language()):
            super().send_mail(
                subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name
            )

    def save(self, *args, **kwargs):
        request = kwargs.get("request")
        if request is not None and not limits.allow_account_mail(request, self.cleaned_data["email"]):
            return  # the page answers "check your email" all the same
        super().save(*args, **kwargs)


class NameForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))


class LocaleForm(forms.Form):
    """The profile's language and time zone; blank means "the browser's" and "the desk's"."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "time-zone-names", "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("The browser's language")),
            *language_choices(),
        ]
        self.fields["time_zone"].help_text = _(
            "A name such as Europe/Madrid. Leave empty for the desk's zone, %(zone)s."
        ) % {"zone": settings.TIME_ZONE}


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's checks (old password, strength, both new fields equal); saving is left to the
    ``accounts.services.user_set_password`` service."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One section of the profile page among three: it must not grab the focus on load.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)

    def save(self, commit=True):  # pragma: no cover - the view calls the service instead
        raise NotImplementedError("Use accounts.services.user_set_password.")
