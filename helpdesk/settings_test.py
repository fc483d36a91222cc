"""Settings for the test suite: the real settings, with a test-only environment.

Environment variables given by the caller win (`make test` sets DATABASE_URL for the PostgreSQL
run); everything else gets a safe test default before the real settings module is read.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("HELPDESK_PLAIN_STATIC", "1")
os.environ.setdefault("EMAIL_URL", "consolemail://")
# Never the debug toolbar under tests, whatever the caller's environment: it adds queries and
# markup to every page the tests measure.
os.environ["HELPDESK_DEBUG_TOOLBAR"] = "0"

from helpdesk.settings import *  # noqa: E402,F403
from helpdesk.settings import DATABASES, STORAGES, VAR_DIR  # noqa: E402

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests hash thousands
ALLOWED_HOSTS = ["*"]
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="helpdesk-test-static-"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: tests with concurrent connections need real SQLite locking.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-helpdesk.sqlite3")}
# Jobs run in process unless a test starts a real worker (tickets/tests/test_notifications.py).
# The broker named here is only used by the one test that starts a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "helpdesk-tests"}}
# Each test process (each xdist worker) stores attachments in its own fresh directory: tests
# compare the files on disk before and after, which only means something without neighbours.
if STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage":
    STORAGES["default"]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix="helpdesk-test-media-")
# Live-update streams under the (WSGI) test server end sooner, so a closed browser page does not
# leave a server thread polling; EventSource reconnects by itself.
HELPDESK_LIVE_WSGI_STREAM_SECONDS = 4
