"""One layout and navigation on every signed-in page (issue 14 §2): every page of the
accessibility test's list that a signed-in person sees (that list is checked against the URL conf)
carries the site's main menu, with exactly one entry marked as the current location. The Django
admin (the back office) and the API's interactive docs have their own frame and are left out."""

from __future__ import annotations

import re

import pytest

from helpdesk.tests.test_accessibility_browser import PAGES, _decorate, _url
from tickets.tests import hostile

pytestmark = pytest.mark.django_db

# Signed-in pages outside the site's layout, with the reason.
OWN_FRAME = {
    "admin:": "the Django admin, kept as the back office with its own header (linked as Admin)",
}
SIGNED_IN = {
    key: page
    for key, page in PAGES.items()
    if page.persona != "anonymous" and not any(page.route.startswith(p) for p in OWN_FRAME)
}
NAV = re.compile(r'<nav class="site-nav"[^>]*>(.*?)</nav>', re.S)
CURRENT = re.compile(r'<a [^>]*aria-current="page"[^>]*>', re.S)


def test_the_list_holds_pages_of_every_signed_in_persona():
    assert {page.persona for page in SIGNED_IN.values()} == {"customer", "agent", "admin"}
    assert len(SIGNED_IN) > 50


def test_every_signed_in_page_has_the_main_menu_with_one_current_entry(client):
    world = hostile.make_world()
    _decorate(world)
    problems = []
    for key, page in SIGNED_IN.items():
        client.force_login(world["people"][page.persona])
        response = client.get(_url(page, world))
        if response.status_code != 200:
            problems.append(f"{key}: status {response.status_code}")
            continue
        html = response.content.decode()
        navs = NAV.findall(html)
        if len(navs) != 1:
            problems.append(f"{key}: {len(navs)} main menus")
            continue
        if 'class="nav-links"' not in navs[0]:
            problems.append(f"{key}: the menu has no links")
        current = CURRENT.findall(navs[0])
        if len(current) != 1:
            problems.append(f"{key}: {len(current)} entries marked current")
    assert problems == [], "\n".join(problems)
