from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import invites

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invite/<str:token>/", invites.accept, name="invite_accept"),
]
