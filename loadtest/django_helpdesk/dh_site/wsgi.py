"""WSGI entry point of the django-helpdesk bench site (``gunicorn dh_site.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dh_site.settings")
application = get_wsgi_application()
