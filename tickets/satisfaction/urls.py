"""The survey page (``tickets.satisfaction.views``): ``/satisfaction/<token>/``."""

from django.urls import path

from tickets.satisfaction import views

app_name = "satisfaction"

urlpatterns = [
    path("<str:token>/", views.rate, name="rate"),
]
