"""Constant ``{% url %}`` addresses remembered (``helpdesk.templatetags.kept_url``): the same output
as Django's own tag, wherever the site is mounted and whatever the URLconf."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, engines
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, set_script_prefix

from helpdesk.templatetags.kept_url import KeptURLNode

SOURCE = (
    "[{% url 'agent:queue' %}]"
    "[{% url 'portal:ticket' 5 %}]"
    "[{% url 'portal:ticket' pk=6 %}]"
    "[{% url 'agent:queue' as queue %}{{ queue }}]"
    "[{% url 'no-such-page' as missing %}{{ missing }}]"
    "[{% url 'portal:ticket' number %}]"
    "[{% url name %}]"
)
KEPT = 5  # the constant ones: every tag above but the two with a variable


def _render(template, autoescape: bool = True) -> str:
    return template.render(Context({"number": 7, "name": "home"}, autoescape=autoescape))


def _kept_nodes(template) -> list:
    return [node for node in template.nodelist if isinstance(node, KeptURLNode)]


def test_the_same_addresses_as_djangos_tag_wherever_the_site_is_mounted():
    ours = engines["django"].from_string(SOURCE).template
    theirs = Engine().from_string(SOURCE)
    assert len(_kept_nodes(ours)) == KEPT and not _kept_nodes(theirs)
    try:
        for prefix in ("/", "/help/", "/help/", "/"):
            set_script_prefix(prefix)
            for autoescape in (True, False, True):
                assert _render(ours, autoescape) == _render(theirs, autoescape)
        set_script_prefix("/help/")
        assert "[/help/agent/]" in _render(ours)
    finally:
        set_script_prefix("/")
    assert "[/agent/]" in _render(ours) and "[/portal/tickets/7/]" in _render(ours)


def test_another_urlconf_gives_other_addresses_and_failures_fail_each_time(settings):
    template = engines["django"].from_string("{% url 'agent:queue' %}").template
    assert _render(template) == "/agent/"
    with override_settings(ROOT_URLCONF="helpdesk.tests.kept_url_conf"):
        clear_url_caches()
        assert _render(template) == "/desk/queue/"
    clear_url_caches()
    assert _render(template) == "/agent/"
    missing = engines["django"].from_string("{% url 'no-such-page' %}").template
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            _render(missing)
