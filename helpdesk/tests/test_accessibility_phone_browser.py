"""The phone pass over every page (issues 14 §1 and §4), at 360 px: axe-core finds no serious or
critical violation, and nothing scrolls sideways. One visit per page does both. The check, the
page list and the expectations are in ``test_accessibility_browser.py``; this module lets the
desktop and phone passes run side by side."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.tests.test_accessibility_browser import (  # noqa: F401  # world: the fixture
    PAGES,
    SIZES,
    check_size,
    world,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The widest element that sticks out of the window, to say what scrolls sideways.
WIDEST = """() => {
  const limit = window.innerWidth;
  let worst = null;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit + 0.5 && (!worst || box.right > worst.right)) {
      worst = {right: Math.round(box.right), tag: el.tagName.toLowerCase(), cls: String(el.className)};
    }
  }
  return worst;
}"""


def test_no_serious_axe_violations_and_nothing_scrolls_sideways_on_a_phone(chromium, live_server, world, password):  # noqa: F811
    assert SIZES["phone"]["width"] == 360
    too_wide: dict[str, Any] = {}
    measured: list[str] = []

    def sideways(tab: Any, key: str) -> None:
        measured.append(key)
        widths = tab.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            too_wide[key] = (widths, tab.evaluate(WIDEST))

    problems = []
    try:
        check_size("phone", chromium, live_server, world, password, also=sideways)
    except AssertionError as failed:
        problems.append(str(failed))
    assert sorted(measured) == sorted(PAGES), "the layout was not measured on every page"
    if too_wide:
        lines = (f"{key}: scrollWidth {w[0]} > {w[1]}; widest {worst}" for key, (w, worst) in too_wide.items())
        problems.append("pages scroll sideways at 360 px:\n" + "\n".join(lines))
    assert not problems, "\n\n".join(problems)
