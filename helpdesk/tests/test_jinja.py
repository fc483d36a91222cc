"""The Jinja2 environment prints every value as a Django template would (helpdesk.jinja)."""

from __future__ import annotations

import pytest
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from markupsafe import Markup

from helpdesk import jinja


@pytest.mark.parametrize(
    "value",
    [
        'Tom & Jerry\'s <b>"quoted"</b>',
        mark_safe("<em>kept</em>"),
        format_html("<a href='{}'>{}</a>", "/x?a=1&b=2", "O'Brien"),
        Markup("<strong>markup</strong>"),
        gettext_lazy("Internal note"),
        42,
        3.5,
        None,
        ["<a>", "b"],
    ],
)
def test_values_are_escaped_as_django_escapes_them(value):
    assert jinja._escaped(value) == str(conditional_escape(value))


def test_a_template_writes_what_a_django_template_writes():
    env = jinja.environment()
    rendered = env.from_string("{{ a }}|{{ b }}|{{ c }}").render(a="<x y='1'>", b=mark_safe("<i>ok</i>"), c=None)
    assert rendered == "&lt;x y=&#x27;1&#x27;&gt;|<i>ok</i>|None"
