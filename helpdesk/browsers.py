"""Debian's Chromium as the browser tests and ``make screens`` start it (standard library only, so
scripts can import it without Django). Playwright's own browser download is not used."""

from __future__ import annotations

import os
import shutil

# Quiet and self-contained: no sandbox (containers), no GPU, nothing fetched from Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """HELPDESK_CHROMIUM if set, else ``chromium`` (or ``chromium-browser``) on the PATH."""
    return os.environ.get("HELPDESK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
