"""Production settings and security headers (issue 7)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_the_deploy_check():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "a-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_ALLOWED_HOSTS": "help.example.com",
            "HELPDESK_VAR_DIR": "/tmp/helpdesk-deploy-check",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings):
    import importlib

    from accounts import services

    # The test run swaps in a fast hasher; put production's list back for this one account.
    settings.PASSWORD_HASHERS = importlib.import_module("helpdesk.settings").PASSWORD_HASHERS
    user = services.user_create(email="argon@example.com", name="Argon", password="a-long-and-unusual-passphrase")
    assert user.password.startswith("argon2$")
    assert user.check_password("a-long-and-unusual-passphrase")


def test_s3_downloads_are_private_signed_links_that_expire_within_five_minutes():
    """With the S3 variables set, attachments go to a private bucket and their links are signed
    and short-lived. (Signing happens locally in boto3: no bucket is needed to check the link.)"""
    code = (
        "import django; django.setup();"
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__name__, s.default_acl, s.querystring_auth);"
        "print(s.url('attachments/2026/11/abc'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "S3_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DJANGO_SECRET_KEY": "k" * 50,
            "HELPDESK_VAR_DIR": "/tmp/helpdesk-s3-check",
            "S3_BUCKET": "helpdesk-attachments",
            "S3_REGION": "eu-central-1",
            "S3_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
            "S3_SECRET_ACCESS_KEY": "secret-example-secret-example-secret-exam",
        }
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    first, url = out.stdout.strip().splitlines()
    assert first == "S3Storage private True"
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
