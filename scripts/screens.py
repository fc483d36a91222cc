"""`make screens`: screenshots of the main screens at desktop and phone size, in docs/screens/.

Serves a fresh demo desk exactly as `make run` does (scripts/run.sh: gunicorn + uvicorn workers,
whitenoise, the demo data of `manage.py seed_demo`) on a throw-away SQLite database and media
folder, signs in as the demo people in Debian's Chromium (Playwright; HELPDESK_CHROMIUM for another
binary) and saves one PNG per screen and size: `<screen>-desktop.png` (1366×900) and
`<screen>-phone.png` (390×844). The README shows them; run it again after a change to the pages.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpdesk.browsers import CHROMIUM_ARGS, chromium_path  # noqa: E402

OUT = ROOT / "docs" / "screens"
PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo desk's published password (seed_demo)
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
# Screens drawn by script after the page loads: what to wait for before the picture.
READY = {"api-docs": ".opblock"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"make screens: the server stopped (exit code {server.returncode}); see its output above")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"make screens: {url} did not answer within {seconds:.0f} s")


def sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("load")


def first_link(page: Page, base: str, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")
    if not href:
        sys.exit(f"make screens: no link matches {selector!r} on {page.url}")
    return base + href if href.startswith("/") else href


def screens(page: Page, base: str) -> list[tuple[str, str, str | None]]:
    """(name, address, who) for each screen; the ticket pages are found through the lists."""
    sign_in(page, base, "ada@acme.example")
    page.goto(f"{base}/portal/")
    portal_ticket = first_link(page, base, "a[href^='/portal/tickets/']:not([href$='/new/'])")
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/agent/?view=all")
    agent_ticket = first_link(page, base, "a[href^='/agent/tickets/']")
    found = [
        ("sign-in", f"{base}/accounts/login/", None),
        ("portal-my-tickets", f"{base}/portal/", "ada@acme.example"),
        ("portal-new-ticket", f"{base}/portal/tickets/new/", "ada@acme.example"),
        ("portal-ticket", portal_ticket, "ada@acme.example"),
        ("agent-queue", f"{base}/agent/", "alice@example.com"),
        ("agent-ticket", agent_ticket, "alice@example.com"),
        ("agent-statistics", f"{base}/agent/stats/", "alice@example.com"),
        ("notifications", f"{base}/notifications/", "alice@example.com"),
        ("profile", f"{base}/accounts/profile/", "ada@acme.example"),
        ("api-docs", f"{base}/api/docs/", "alice@example.com"),
    ]
    # The settings area, where this build has it.
    sign_in(page, base, "admin@example.com")
    if page.goto(f"{base}/settings/").status == 200:
        found.append(("settings-people", page.url, "admin@example.com"))
    return found


def main() -> None:
    chromium = chromium_path()
    if chromium is None:
        sys.exit("make screens needs Debian's chromium (apt-get install -y chromium) or HELPDESK_CHROMIUM")
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="helpdesk-screens-") as scratch:
        env = {
            **os.environ,
            "PORT": str(port),
            "DATABASE_URL": f"sqlite:///{scratch}/helpdesk.sqlite3",
            "HELPDESK_MEDIA_ROOT": f"{scratch}/media",
            "WEB_CONCURRENCY": "1",
        }
        env.pop("REDIS_URL", None)  # the embedded default, like a first `make run`
        server = subprocess.Popen(  # noqa: S603 - our own script
            [str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        try:
            wait_until_up(f"{base}/healthz", server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
                for size, (width, height) in SIZES.items():
                    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
                    page = context.new_page()
                    signed_in_as: str | None = "?"
                    for name, url, who in screens(page, base):
                        if who != signed_in_as:
                            if who is None:
                                context.clear_cookies()
                            else:
                                sign_in(page, base, who)
                            signed_in_as = who
                        response = page.goto(url)
                        if response is None or response.status != 200:
                            sys.exit(f"make screens: {url} answered {response and response.status}")
                        page.wait_for_load_state("load")
                        if name in READY:
                            page.wait_for_selector(READY[name], timeout=30_000)
                        path = OUT / f"{name}-{size}.png"
                        page.screenshot(path=str(path))
                        print(f"{path.relative_to(ROOT)}")
                    context.close()
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
