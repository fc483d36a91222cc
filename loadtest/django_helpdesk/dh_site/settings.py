"""Settings of the django-helpdesk 2.6.1 site that ``make bench-django-helpdesk`` measures beside ours.

A minimal Django project around the package as installed from PyPI (never vendored): its
installation guide's apps, its URLs at the root, its own login view, debug off, static files
served by whitenoise, sessions in the database (Django's and django-helpdesk's default), mail
dropped (the dummy backend: notifications are rendered but not sent). Configured by the
environment that scripts/bench_django_helpdesk.sh sets: DH_BENCH_DATABASE (a postgres:// URL)
and DH_BENCH_STATIC_ROOT. Runs from this directory only: the name ``helpdesk`` here is
django-helpdesk's package, so the repository root must not be on ``sys.path``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent


def _database(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 600,  # as ours: one connection per worker, kept
        "CONN_HEALTH_CHECKS": True,
    }


SECRET_KEY = os.environ.get("DH_BENCH_SECRET_KEY", "django-helpdesk-bench-on-the-loopback-only")  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "dh_site.urls"
WSGI_APPLICATION = "dh_site.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
DATABASES = {"default": _database(os.environ.get("DH_BENCH_DATABASE", "postgres://postgres@127.0.0.1:5432/dh_bench"))}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # Django's default, as ours

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
SITE_ID = 1

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DH_BENCH_STATIC_ROOT", str(HERE.parent / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = os.environ.get("DH_BENCH_MEDIA_ROOT", str(HERE.parent / "media"))
MEDIA_URL = "/media/"

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

# django-helpdesk: its defaults, but no teams (pinax-teams is an optional extra, not installed), and
# only staff offered as owners and CCs: by default its staff pages list every active user in those
# drop-downs, and with the 100,000 customer logins of this desk (as many as ours has) the staff
# ticket page then renders 100,000+ <option>s and outlives gunicorn's 30-second timeout. A desk
# with customer logins sets these two (documented) settings.
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_STAFF_ONLY_TICKET_OWNERS = True
HELPDESK_STAFF_ONLY_TICKET_CC = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
