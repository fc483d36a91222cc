from django.urls import path

from tickets.views import attachments

app_name = "attachments"

urlpatterns = [
    path("<int:pk>/download/", attachments.download, name="download"),
    path("<int:pk>/preview/", attachments.preview, name="preview"),
]
