from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import api_token, invites

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invite/<str:token>/", invites.accept, name="invite_accept"),
    path("api-token/", api_token.page, name="api_token"),
    path("api-token/new/", api_token.regenerate, name="api_token_regenerate"),
]
