"""A URLconf for helpdesk/tests/test_kept_url.py: the agent queue's name at another address."""

from django.http import HttpResponse
from django.urls import include, path

agent = ([path("queue/", lambda request: HttpResponse(), name="queue")], "agent")
urlpatterns = [path("desk/", include(agent))]
