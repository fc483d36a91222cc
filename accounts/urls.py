from django.contrib.auth import views as auth_views
from django.urls import path, re_path, reverse_lazy

from accounts import invites, signup, views
from accounts.forms import PasswordResetForm

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Tokens are URL-safe base64 (secrets.token_urlsafe): anything else, a NUL byte included, is a 404
    # before it reaches the database.
    re_path(r"^invite/(?P<token>[A-Za-z0-9_-]{1,64})/$", invites.accept, name="invite_accept"),
    path("signup/", signup.signup, name="signup"),
    # Signed tokens (django.core.signing): URL-safe base64, ":" and "."; anything else is a 404.
    re_path(r"^signup/confirm/(?P<token>[A-Za-z0-9_.:-]{1,2000})/$", signup.confirm, name="signup_confirm"),
    path("profile/", views.profile, name="profile"),
    path("profile/name/", views.profile_name, name="profile_name"),
    path("profile/language/", views.profile_locale, name="profile_locale"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/token/", views.token_regenerate, name="token_regenerate"),
    path("profile/notifications/", views.notification_preferences, name="notification_preferences"),
    path("profile/export/", views.profile_export, name="profile_export"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/password_reset_form.html",
            form_class=PasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
