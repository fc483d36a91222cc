"""axe-core over every page at phone size (issue 14 §4): the check, the page list and the expectations
are in ``test_accessibility_browser.py``; this module only lets the two sizes run side by side."""

from __future__ import annotations

import pytest

from helpdesk.tests.test_accessibility_browser import check_size, world  # noqa: F401  # world: the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_serious_axe_violations_on_a_phone(chromium, live_server, world, password):  # noqa: F811
    check_size("phone", chromium, live_server, world, password)
