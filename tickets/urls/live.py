from django.urls import path

from tickets.views import live

app_name = "live"

urlpatterns = [
    path("events/", live.events, name="events"),
    path("tickets/<int:pk>/presence/", live.presence, name="presence"),
]
