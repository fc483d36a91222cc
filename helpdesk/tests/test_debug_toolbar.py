"""django-debug-toolbar: in `make dev` (DJANGO_DEBUG on, package installed) only; never under
tests, never without debug."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import sys, django; django.setup(); from django.conf import settings; from django.urls import reverse;"
    "on = 'debug_toolbar' in settings.INSTALLED_APPS;"
    "assert on == ('debug_toolbar.middleware.DebugToolbarMiddleware' in settings.MIDDLEWARE);"
    "assert not on or reverse('djdt:render_panel');"
    "print('on' if on else 'off', 'imported' if 'debug_toolbar' in sys.modules else 'not-imported')"
)


def _toolbar(settings_module: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HELPDESK_DEBUG_TOOLBAR"))}
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DJANGO_SECRET_KEY": "k" * 50,
            "HELPDESK_VAR_DIR": "/tmp/helpdesk-toolbar-test",
        }
    )
    base.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_not_in_the_test_settings():
    assert "debug_toolbar" not in settings.INSTALLED_APPS
    assert not any("debug_toolbar" in name for name in settings.MIDDLEWARE)
    assert settings.DEBUG_TOOLBAR is False


def test_test_settings_never_load_it_even_with_debug_on():
    assert _toolbar("helpdesk.settings_test", DJANGO_DEBUG="1", HELPDESK_DEBUG_TOOLBAR="1") == "off not-imported"


def test_production_settings_do_not_import_it():
    assert _toolbar("helpdesk.settings", DJANGO_DEBUG="0") == "off not-imported"


def test_on_with_debug_and_off_when_asked():
    pytest.importorskip("debug_toolbar")  # requirements-dev.txt
    assert _toolbar("helpdesk.settings", DJANGO_DEBUG="1") == "on imported"
    assert _toolbar("helpdesk.settings", DJANGO_DEBUG="1", HELPDESK_DEBUG_TOOLBAR="0") == "off not-imported"
