from django.urls import path

from tickets.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.my_tickets, name="my_tickets"),
    path("tickets/new/", portal.new_ticket, name="new_ticket"),
    path("tickets/<int:pk>/", portal.ticket, name="ticket"),
    path("tickets/<int:pk>/reply/", portal.reply, name="reply"),
    path("tickets/<int:pk>/solve/", portal.solve, name="solve"),
    path("tickets/<int:pk>/reopen/", portal.reopen, name="reopen"),
]
