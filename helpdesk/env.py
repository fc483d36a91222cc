"""Reading settings from the environment, failing loudly with the variable's name.

django-environ parses the values; this module only makes sure a bad value stops start-up with a
message that says which variable is wrong and what was expected, instead of a stack trace deep in
a library or, worse, a silently ignored typo (``DJANGO_DEBUG=flase``).
"""

from __future__ import annotations

import os
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def raw(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def boolean(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def integer(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}.")
    return number


def choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip() not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value.strip()


def string_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database(name: str, default: str) -> dict[str, Any]:
    url = os.environ.get(name) or default
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for malformed URLs
        raise ImproperlyConfigured(f"{name}={url!r} is not a database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.postgresql":
        return config
    if engine == "django.db.backends.sqlite3":
        return config
    raise ImproperlyConfigured(
        f"{name}={url!r}: only postgres:// (production) and sqlite:/// (embedded default) are supported."
    )


def email(name: str, default: str) -> dict[str, Any]:
    url = os.environ.get(name) or default
    try:
        return environ.Env.email_url_config(url)
    except Exception as exc:
        raise ImproperlyConfigured(f"{name}={url!r} is not an email URL: {exc}") from None


def url(name: str) -> str | None:
    value = os.environ.get(name)
    if not value:
        return None
    if "://" not in value:
        raise ImproperlyConfigured(f"{name}={value!r} is not a URL (expected scheme://host...).")
    return value


SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a key


def secret_key_file(var_dir) -> str:
    """The key kept in ``var_dir/secret_key`` on a developer's checkout, or "" when there is none."""
    from pathlib import Path

    path = Path(var_dir) / SECRET_KEY_FILE
    return path.read_text().strip() if path.is_file() else ""


def ensure_local_secret_key(var_dir) -> None:
    """Create ``var_dir/secret_key`` (random, readable by its owner only) if it does not exist.

    Called by manage.py only, so a fresh checkout's commands (migrate, check, makemigrations) work
    without setup, while the web server of a deployment still needs DJANGO_SECRET_KEY.
    """
    import secrets
    from pathlib import Path

    path = Path(var_dir) / SECRET_KEY_FILE
    if path.is_file() and path.read_text().strip():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_urlsafe(50) + "\n")
