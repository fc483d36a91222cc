"""The interactive API docs render in a real browser under the site's CSP (no inline code)."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_with_our_static_files(page, live_server):
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    outside: list[str] = []
    page.on(
        "request", lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None
    )
    page.goto("/api/docs/")
    page.get_by_role("heading", name="Helpdesk API").wait_for()
    page.get_by_text("/api/v1/tickets/", exact=True).first.wait_for()
    shots = os.environ.get("HELPDESK_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "api-docs.png"), full_page=False)
    assert outside == []
    assert blocked == []
