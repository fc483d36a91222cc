from django.urls import path

from tickets.views import notifications

app_name = "notifications"

urlpatterns = [
    path("", notifications.notification_list, name="list"),
    path("<int:pk>/open/", notifications.notification_open, name="open"),
    path("read-all/", notifications.notification_mark_all_read, name="read_all"),
]
