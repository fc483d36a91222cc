"""Settings come from the environment; a bad value stops start-up naming the variable (DESIGN §8)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(**env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "S3_", "EMAIL_URL"))
    }
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "k" * 50,
            "HELPDESK_VAR_DIR": "/tmp/helpdesk-settings-test",
        }
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_DEBUG", "flase"),
        ("DJANGO_HTTPS", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/helpdesk"),
        ("REDIS_URL", "localhost:6379"),
        ("HELPDESK_MAX_ATTACHMENT_BYTES", "ten megabytes"),
        ("HELPDESK_AUTOCLOSE_DAYS", "0"),
    ],
)
def test_bad_value_names_the_variable(variable, value):
    result = _check(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


def test_secret_key_required_without_debug(tmp_path):
    """The web server (not manage.py) refuses to start without a key when debug is off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "helpdesk.settings", "HELPDESK_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", "import helpdesk.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_manage_py_creates_a_local_key_once(tmp_path):
    """On a checkout, manage.py makes var/secret_key (owner-only) once and reuses it."""
    result = _check(DJANGO_SECRET_KEY="", HELPDESK_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first.strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert _check(DJANGO_SECRET_KEY="", HELPDESK_VAR_DIR=str(tmp_path)).returncode == 0
    assert key_file.read_text() == first


def test_defaults_work_on_a_bare_checkout():
    result = _check()
    assert result.returncode == 0, result.stderr


def test_https_defaults_on_without_debug():
    from django.conf import settings

    # The test settings turn HTTPS off explicitly; the production default is checked in a subprocess.
    assert settings.SECURE_SSL_REDIRECT is False
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "k" * 50,
            "HELPDESK_VAR_DIR": "/tmp/helpdesk-settings-test",
        }
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["True", "True", "31536000"], out.stderr
