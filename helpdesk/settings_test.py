"""Settings for the test suite: the real settings, with a test-only environment.

Environment variables given by the caller win (`make test` sets DATABASE_URL for the PostgreSQL
run); everything else gets a safe test default before the real settings module is read.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("HELPDESK_PLAIN_STATIC", "1")
os.environ.setdefault("HELPDESK_MEDIA_ROOT", tempfile.mkdtemp(prefix="helpdesk-test-media-"))
os.environ.setdefault("EMAIL_URL", "consolemail://")

from helpdesk.settings import *  # noqa: E402,F403
from helpdesk.settings import DATABASES, VAR_DIR  # noqa: E402

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests hash thousands
ALLOWED_HOSTS = ["*"]
STATIC_ROOT = tempfile.mkdtemp(prefix="helpdesk-test-static-")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: tests with concurrent connections need real SQLite locking.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-helpdesk.sqlite3")}
