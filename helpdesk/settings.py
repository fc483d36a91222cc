"""Settings for Helpdesk, all read from environment variables (DESIGN §8).

Defaults make a bare checkout work on one machine: SQLite under var/, local-memory cache, local
disk for attachments, console email. Production sets DATABASE_URL, REDIS_URL, the S3 variables,
EMAIL_URL and DJANGO_SECRET_KEY. `.env.example` lists every variable.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from helpdesk import env, logs
from helpdesk.api import document as api_document
from helpdesk.db import config as db_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.raw("HELPDESK_VAR_DIR") or BASE_DIR / "var")

DEBUG = env.boolean("DJANGO_DEBUG", False)
# The key comes from DJANGO_SECRET_KEY, or from the file manage.py writes once on a developer's
# checkout (var/secret_key). A deployment sets the variable; nothing here invents a key.
SECRET_KEY = env.raw("DJANGO_SECRET_KEY") or env.secret_key_file(VAR_DIR)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off (on a checkout, any manage.py command "
            "creates var/secret_key once)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG-on"  # noqa: S105
ALLOWED_HOSTS = env.string_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if not DEBUG else ["*"])
CSRF_TRUSTED_ORIGINS = env.string_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# HTTPS hardening is on whenever debug is off; `make run` and local tests turn it off explicitly
# with DJANGO_HTTPS=0 so the defaults of a real deployment are never weakened.
HTTPS = env.boolean("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.boolean("DJANGO_BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content Security Policy: every script and style comes from our own static files; no inline code,
# no framing. (django-csp adds the header to every response.)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False

INSTALLED_APPS = [
    "helpdesk.apps.AdminConfig",  # django.contrib.admin with our site (helpdesk.admin_site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "csp",
    "axes",
    "helpdesk.apps.HelpdeskConfig",  # plumbing: the backup and restore commands
    "accounts",
    "tickets",
]

MIDDLEWARE = [
    # Outermost: the request id and the access line (helpdesk.logs).
    "helpdesk.logs.RequestContextMiddleware",
    "helpdesk.memo.RequestMemoMiddleware",  # answers remembered for one request only
    "helpdesk.middleware.QueryMonitorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language) for everyone; a signed-in person's own choice below.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before any view (and CSRF's check, which reads the form): NUL bytes in the input are a 400.
    "helpdesk.middleware.HostileInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person's language (when they chose one) and time zone, for this request.
    "accounts.middleware.UserLocaleMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Request metrics by view and status (django-prometheus, trimmed: helpdesk.metrics).
    "helpdesk.metrics.RequestMetricsMiddleware",
    # Last, so it turns a login refused by the throttle into our "try again later" page.
    "axes.middleware.AxesMiddleware",
]

# django-debug-toolbar (requirements-dev.txt) in `make dev`: only with DJANGO_DEBUG on, only when
# installed, and never under tests (settings_test sets HELPDESK_DEBUG_TOOLBAR=0). Without debug
# the package is not even looked for, let alone imported.
DEBUG_TOOLBAR = (
    DEBUG and env.boolean("HELPDESK_DEBUG_TOOLBAR", True) and importlib.util.find_spec("debug_toolbar") is not None
)
if DEBUG_TOOLBAR:
    INSTALLED_APPS.append("debug_toolbar")
    # After the security, compression and session layers, so it sees the finished page.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.common.CommonMiddleware"), "debug_toolbar.middleware.DebugToolbarMiddleware"
    )
    INTERNAL_IPS = ["127.0.0.1", "::1"]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.context_processors.layout",
                "accounts.permissions.layout",
            ],
            # Django's i18n tags, with constant {% translate %} texts remembered per language
            # (helpdesk.templatetags.kept_i18n, issue 19).
            "libraries": {"i18n": "helpdesk.templatetags.kept_i18n"},
            # Django's {% url %}, with constant addresses remembered (helpdesk.templatetags.kept_url).
            "builtins": ["helpdesk.templatetags.kept_url"],
        },
    },
    {
        # The hot fragments (agent timeline, portal conversation and list) and every form widget render with
        # Jinja2, which compiles templates to Python: several times less CPU per row (issue 19).
        # Included from Django templates by ``{% jinja %}`` (helpdesk.templatetags.jinja); the environment:
        # tickets.jinja.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "tickets.jinja.environment"},
    },
]
# Form widgets from Django's own Jinja2 templates (django/forms/jinja2): the same markup as the
# Django-template widgets, at a fraction of the cost per field and option; widgets with Django
# templates only (the admin's, other packages') as before (helpdesk.form_renderer).
FORM_RENDERER = "helpdesk.form_renderer.FormRenderer"

# --- Database -------------------------------------------------------------------------------
# Built in helpdesk.db.config: the primary (SQLite pragmas, or PostgreSQL's pool, PgBouncer
# ("pgbouncer": DATABASE_URL and the replica URLs point at PgBouncer in transaction mode) and JIT
# settings), and for scaling out (README "Scaling out: replicas and PgBouncer") a direct connection
# to the primary past the pooler and read replicas. Unset: one database, nothing routed.
DATABASES, DATABASE_POOLER, DATABASE_DIRECT_URL, DATABASE_REPLICA_URLS = db_config.from_environment(
    default_url=f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}"
)
if DATABASE_REPLICA_URLS:
    DATABASE_ROUTERS = ["helpdesk.db.router.ReplicaRouter"]
    # After authentication (it reads who is signed in, lazily) and before anything reads.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "helpdesk.db.router.ReadRoutingMiddleware",
    )
# Read-your-writes: after a request of theirs wrote, a person's reads stay on the primary this long
# (longer than the replicas' usual lag). A replica that fails is left alone this many seconds.
HELPDESK_READ_YOUR_WRITES_SECONDS = env.integer("HELPDESK_READ_YOUR_WRITES_SECONDS", 10, minimum=0)
# Writes that leave no read-your-writes mark (model labels): bookkeeping every page view writes.
HELPDESK_READ_YOUR_WRITES_EXEMPT = ["tickets.TicketReadMarker"]
HELPDESK_REPLICA_RETRY_SECONDS = env.integer("HELPDESK_REPLICA_RETRY_SECONDS", 10, minimum=1)
# A replica further behind than this is not read (the router measures its lag at most every
# LAG_CHECK seconds per process) and /readyz calls it "degraded" (the lag is always in /metrics).
HELPDESK_REPLICA_MAX_LAG_SECONDS = env.integer("HELPDESK_REPLICA_MAX_LAG_SECONDS", 30, minimum=1)
HELPDESK_REPLICA_LAG_CHECK_SECONDS = env.integer("HELPDESK_REPLICA_LAG_CHECK_SECONDS", 5, minimum=0)
# The statistics page's "Over time" charts: the day (or week) still running is counted again at
# most this often, not after every change (0: after every change). A busy desk files tickets
# every second; counting today's thousands of rows each time was half the page's CPU (issue 19).
HELPDESK_TREND_RUNNING_SECONDS = env.integer("HELPDESK_TREND_RUNNING_SECONDS", 30, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL")
if REDIS_URL:
    # Django's Redis backend with one connection pool per process (helpdesk.cache: Django's own
    # opened a connection per request under the page threads).
    CACHES = {"default": {"BACKEND": "helpdesk.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache, not local memory: the web processes of one machine must share counts and
    # presence. Redis replaces it as soon as REDIS_URL is set.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Sessions are read from the cache on every request and written through to the database, so a
# signed-in request does not start with a session query (and a cleared cache loses no session).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Background jobs (Celery) ---------------------------------------------------------------
CELERY_BROKER_URL = env.url("CELERY_BROKER_URL") or REDIS_URL
# No broker: run tasks in process. They are only ever queued after a commit, so the user's
# request still never waits on, or fails because of, a rolled-back change.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "helpdesk"
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # The automations (the auto-close of solved tickets among them): every five minutes.
    "run-automations": {"task": "tickets.tasks.run_automations", "schedule": 300.0},
    # SLA breaches and "breaches in 30 min" warnings (tickets.sla.sweeper; cron: manage.py sla_sweep).
    "sla-sweep": {"task": "tickets.sla.sweep", "schedule": 60.0},
    # The Zendesk-compatible API: uploads never attached (after 3 days) and old bulk job statuses.
    "zendesk-api-cleanup": {"task": "tickets.zendesk.tasks.forget_expired", "schedule": 3600.0},
    # Outgoing webhooks due now (tickets.webhooks.sender; or `manage.py send_webhooks` as a service).
    "send-webhooks": {"task": "tickets.webhooks.send", "schedule": 10.0},
    # The retention policy on old closed tickets, once a day (tickets.privacy; cron: manage.py apply_retention).
    "apply-retention": {"task": "tickets.tasks.apply_retention", "schedule": 86400.0},
}

# --- Storage: attachments on local disk (never served directly) or a private S3 bucket ---------
S3_BUCKET = env.raw("S3_BUCKET")
if S3_BUCKET:
    _attachments = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.url("S3_ENDPOINT_URL"),
            "region_name": env.raw("S3_REGION") or None,
            "access_key": env.raw("S3_ACCESS_KEY_ID") or None,
            "secret_key": env.raw("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.integer("S3_URL_EXPIRE_SECONDS", 300, minimum=1),
            "file_overwrite": False,
            "location": env.raw("S3_PREFIX") or "",
        },
    }
else:
    _attachments = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # base_url None: files have no public URL; downloads go through a permission-checked view.
        "OPTIONS": {"location": str(Path(env.raw("HELPDESK_MEDIA_ROOT") or VAR_DIR / "media")), "base_url": None},
    }
STORAGES: dict[str, dict[str, Any]] = {
    "default": _attachments,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env.boolean("HELPDESK_PLAIN_STATIC", False)
            else "helpdesk.static_storage.StaticStorage"
        )
    },
}
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Email ----------------------------------------------------------------------------------
vars().update(env.email("EMAIL_URL", "consolemail://"))
DEFAULT_FROM_EMAIL = env.raw("DEFAULT_FROM_EMAIL") or "Helpdesk <support@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses sign-in while a username+IP pair is cooling off after too many failures.
    "accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Email is unique case-insensitively (a functional unique constraint Django's check cannot see);
# stored addresses are in one normal form (accounts/addresses.py) that sign-in matches exactly.
# templates.W003: "i18n" names two libraries, Django's and ours (helpdesk.templatetags.kept_i18n,
# which takes its place on purpose); helpdesk/tests/test_kept_i18n.py runs the check and fails on
# any other name given twice.
SILENCED_SYSTEM_CHECKS = ["auth.W004", "templates.W003"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify, and are upgraded to Argon2 at the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Login throttling (django-axes): after 5 failures for one email from one IP address, that pair
# waits 15 minutes (a cool-off, never a permanent lock-out); a successful sign-in resets it.
AXES_FAILURE_LIMIT = env.integer("HELPDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("HELPDESK_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Django's login form and authenticate() call the email "username"; axes would default to the
# model's USERNAME_FIELD ("email"), find no username and throttle by IP address alone.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.backends.throttle_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AXES_VERBOSE = False
# Mail the account pages send to whoever asks (password reset, sign-up): at most this many to one
# address and from one client IP address per window; beyond that the page answers as always and
# sends nothing (accounts/limits.py).
HELPDESK_ACCOUNT_MAIL_PER_ADDRESS = env.integer("HELPDESK_ACCOUNT_MAIL_PER_ADDRESS", 3, minimum=1)
HELPDESK_ACCOUNT_MAIL_PER_IP = env.integer("HELPDESK_ACCOUNT_MAIL_PER_IP", 20, minimum=1)
HELPDESK_ACCOUNT_MAIL_WINDOW = timedelta(minutes=env.integer("HELPDESK_ACCOUNT_MAIL_WINDOW_MINUTES", 60, minimum=1))
# How long a sign-up confirmation link works.
HELPDESK_SIGNUP_LINK_DAYS = env.integer("HELPDESK_SIGNUP_LINK_DAYS", 3, minimum=1)
# guardian: no anonymous user row; anonymous visitors never hold object permissions here.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# --- Internationalisation -------------------------------------------------------------------
# English is the desk's default: for anonymous visitors whose browser asks for no language we
# have, and for mail to people who chose none. Each language is named in its own words.
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.raw("DJANGO_TIME_ZONE") or "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------
# HELPDESK_LOG_FORMAT=json: one JSON object a line (helpdesk.logs.JsonFormatter), for a log
# collector; "plain" (default) for people. Either way every line logged while a request is served
# carries its request id (helpdesk.logs), and each request ends with one line on helpdesk.access
# (HELPDESK_ACCESS_LOG=0 turns those off, e.g. when the proxy in front already writes them).
HELPDESK_LOG_FORMAT = env.choice("HELPDESK_LOG_FORMAT", ("plain", "json"), "plain")
HELPDESK_ACCESS_LOG = env.boolean("HELPDESK_ACCESS_LOG", True)
LOGGING = logs.configuration(HELPDESK_LOG_FORMAT, level=env.raw("DJANGO_LOG_LEVEL") or "INFO")

# --- Helpdesk -------------------------------------------------------------------------------
HELPDESK_MAX_ATTACHMENT_BYTES = env.integer("HELPDESK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1)
HELPDESK_MAX_ATTACHMENTS_PER_REQUEST = env.integer("HELPDESK_MAX_ATTACHMENTS_PER_REQUEST", 10, minimum=1)
HELPDESK_AUTOCLOSE_DAYS = env.integer("HELPDESK_AUTOCLOSE_DAYS", 4, minimum=1)
# Retention (tickets.privacy.retention): closed tickets older than this many months are anonymized
# or deleted (HELPDESK_RETENTION_MODE) by `manage.py apply_retention` / Celery beat. 0: keep forever.
HELPDESK_RETENTION_CLOSED_MONTHS = env.integer("HELPDESK_RETENTION_CLOSED_MONTHS", 0, minimum=0)
HELPDESK_RETENTION_MODE = env.choice("HELPDESK_RETENTION_MODE", ("anonymize", "delete"), "anonymize")
# Customer satisfaction surveys after each solve (tickets.satisfaction): on unless set to 0.
HELPDESK_SATISFACTION_SURVEYS = env.boolean("HELPDESK_SATISFACTION_SURVEYS", True)
HELPDESK_SITE_URL = env.raw("HELPDESK_SITE_URL") or "http://127.0.0.1:8000"
HELPDESK_SLOW_REQUEST_MS = env.integer("HELPDESK_SLOW_REQUEST_MS", 500, minimum=1)
HELPDESK_SLOW_REQUEST_QUERIES = env.integer("HELPDESK_SLOW_REQUEST_QUERIES", 30, minimum=1)
# --- Operations: readiness, metrics (helpdesk.health, helpdesk.metrics) ---
# /readyz answers within this many seconds whatever hangs (a check not done by then fails).
HELPDESK_READY_TIMEOUT_SECONDS = env.integer("HELPDESK_READY_TIMEOUT_SECONDS", 2, minimum=1)
# /metrics answers these addresses or networks (comma-separated; default the loopback addresses),
# and anyone sending "Authorization: Bearer <HELPDESK_METRICS_TOKEN>" when a token is set.
HELPDESK_METRICS_ALLOWED_IPS = env.string_list("HELPDESK_METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
HELPDESK_METRICS_TOKEN = env.raw("HELPDESK_METRICS_TOKEN") or ""
for _network in HELPDESK_METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"HELPDESK_METRICS_ALLOWED_IPS: {_network!r} is not an IP address or network (e.g. 10.0.0.0/8)."
        ) from None
# The desk's own gauges (tickets.metrics): per web process (summed over processes), and read when scraped.
HELPDESK_METRICS_PROCESS_GAUGES = {
    "helpdesk_live_streams": ("Live-update streams open.", "tickets.metrics.open_streams"),
}
HELPDESK_METRICS_DESK_GAUGES = "tickets.metrics.desk_gauges"
# django-prometheus: latency buckets (seconds) for the request histograms.
PROMETHEUS_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"))
# Who gets the Server-Timing header: "agents" (staff only), or "everyone" for benchmarks.
HELPDESK_SERVER_TIMING = env.choice("HELPDESK_SERVER_TIMING", ("agents", "everyone"), "agents")
# Who counts as "agents" for that: the permission layer's predicate (plumbing reads no roles).
HELPDESK_SERVER_TIMING_FOR = "accounts.permissions.sees_server_timing"
# Live updates (tickets.live): how changes reach every web process — "auto" is Redis pub/sub when
# REDIS_URL is set, else PostgreSQL LISTEN/NOTIFY on PostgreSQL, else the embedded bus (one machine).
# Behind PgBouncer in transaction mode LISTEN does not work: set REDIS_URL (or choose "redis").
HELPDESK_LIVE_BUS = env.choice("HELPDESK_LIVE_BUS", ("auto", "redis", "postgres", "local"), "auto")
# Open live streams a web process serves, and one person's share of them (429 past either).
HELPDESK_LIVE_MAX_STREAMS = env.integer("HELPDESK_LIVE_MAX_STREAMS", 1000, minimum=1)
HELPDESK_LIVE_MAX_STREAMS_PER_PERSON = env.integer("HELPDESK_LIVE_MAX_STREAMS_PER_PERSON", 8, minimum=1)
# Text-search configuration (language) of ticket search on PostgreSQL; `reindex_search` after changing it.
HELPDESK_SEARCH_CONFIG = env.raw("HELPDESK_SEARCH_CONFIG") or "english"
# The ticket search backend (dotted path to a tickets.search.base.SearchBackend class); the default
# is PostgreSQL full-text search (LIKE on SQLite). docs/SCALING.md: how a search engine plugs in.
HELPDESK_SEARCH_BACKEND = env.raw("HELPDESK_SEARCH_BACKEND") or "tickets.search.postgres.PostgresBackend"
# --- Email channel (tickets.mail) ---
# The default mailbox: created on first use, so mail to it works with no set-up. Replies to a
# ticket go to its signed plus-address on the same domain (support+t123.<signature>@...).
HELPDESK_INBOUND_ADDRESS = env.raw("HELPDESK_INBOUND_ADDRESS") or "support@localhost"
# A bigger message is refused by the SMTP listener (552) and quarantined from the other doors.
HELPDESK_INBOUND_MAX_BYTES = env.integer("HELPDESK_INBOUND_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# At most this many messages from one sender per window; past that they are quarantined (floods, loops).
HELPDESK_INBOUND_RATE_LIMIT = env.integer("HELPDESK_INBOUND_RATE_LIMIT", 20, minimum=1)
HELPDESK_INBOUND_RATE_WINDOW = timedelta(minutes=env.integer("HELPDESK_INBOUND_RATE_WINDOW_MINUTES", 10, minimum=1))
# Provider webhooks (tickets.mail.webhooks, django-anymail): /mail/inbound/<provider>/. A door
# stays closed (404) until its secret is set. ANYMAIL_WEBHOOK_SECRET is "user:password" for HTTP
# basic auth in the URL given to the provider (several, comma-separated, while rotating);
# Mailgun also needs its webhook signing key.
ANYMAIL: dict[str, Any] = {
    "WEBHOOK_SECRET": env.string_list("ANYMAIL_WEBHOOK_SECRET", []),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.raw("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY") or None,
}
# --- Outgoing webhooks (tickets.webhooks) ---
# Receivers on private, loopback or link-local addresses are refused unless named here:
# comma-separated host names or networks (e.g. "hooks.intranet,10.20.0.0/16,127.0.0.1").
HELPDESK_WEBHOOK_ALLOWED_HOSTS = env.string_list("HELPDESK_WEBHOOK_ALLOWED_HOSTS", [])
for _allowed in HELPDESK_WEBHOOK_ALLOWED_HOSTS:
    if not re.fullmatch(r"[0-9A-Za-z.:/_-]+", _allowed):
        raise ImproperlyConfigured(
            f"HELPDESK_WEBHOOK_ALLOWED_HOSTS: {_allowed!r} is neither a host name nor a network (e.g. 10.0.0.0/8)."
        )
# Seconds to wait for a receiver; deliveries a worker claims at once; failed attempts in a row
# after which an endpoint is disabled (a 410 Gone disables it at once).
HELPDESK_WEBHOOK_TIMEOUT = env.integer("HELPDESK_WEBHOOK_TIMEOUT", 10, minimum=1)
HELPDESK_WEBHOOK_BATCH = env.integer("HELPDESK_WEBHOOK_BATCH", 20, minimum=1)
HELPDESK_WEBHOOK_MAX_FAILURES = env.integer("HELPDESK_WEBHOOK_MAX_FAILURES", 50, minimum=1)
# Django rejects bigger request bodies before our views see them; keep room for 10 files of 10 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    # Token first: a request without credentials gets 401 with `WWW-Authenticate: Token`.
    # No BasicAuthentication: passwords are only ever sent to the token endpoint.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",  # DRF's, then the person's language and zone
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["helpdesk.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.api.pagination.CursorPagination",
    "EXCEPTION_HANDLER": "helpdesk.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "helpdesk.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.api.throttles.UserThrottle", "helpdesk.api.throttles.AnonymousThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.raw("API_THROTTLE_USER") or "2000/hour",
        "anon": env.raw("API_THROTTLE_ANON") or "100/hour",
        "token": env.raw("API_THROTTLE_TOKEN") or "10/minute",
    },
    "NUM_PROXIES": 1 if env.boolean("DJANGO_BEHIND_PROXY", False) else 0,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
for _scope, _rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items():
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"API_THROTTLE_{_scope.upper()} must look like 100/hour (got {_rate!r}).")
# The OpenAPI document (drf-spectacular): its title, description and enum names live with the API.
SPECTACULAR_SETTINGS = api_document.SPECTACULAR_SETTINGS
