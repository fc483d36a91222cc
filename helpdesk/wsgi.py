"""WSGI entry point (gunicorn helpdesk.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from helpdesk.runtime import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
application = get_wsgi_application()
settle()  # helpdesk.runtime: the garbage collector leaves the loaded app alone
