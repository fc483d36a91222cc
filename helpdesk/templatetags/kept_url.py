"""``{% url %}`` with each constant address remembered (issue 19).

Installed as a template builtin (``TEMPLATES[0]["OPTIONS"]["builtins"]``), after Django's own, so
every template's ``{% url %}`` is this one. A ``{% url 'name' %}`` whose name and arguments are all
quoted constants keeps what it wrote per URLconf, script prefix (where the site is mounted),
current application namespace and autoescape setting: ``reverse`` walks the URL patterns on every
call, and a page's navigation holds a dozen such links (2 % of the queue page's CPU). Any other
``{% url %}`` — a variable anywhere, a filter — is Django's node, unchanged.

What is remembered is dropped when the URL settings change (``setting_changed`` on
``ROOT_URLCONF`` or ``FORCE_SCRIPT_NAME``); a running server's URLs never change.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, Variable
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import get_script_prefix, get_urlconf

from helpdesk.kept import KeptOutput, SettingsGeneration

register = template.Library()

_generation = SettingsGeneration({"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}, uid="helpdesk.kept_url")


def _current_app(context: Any) -> str | None:
    """The namespace ``reverse`` is given, found as Django's ``URLNode`` finds it."""
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


class KeptURLNode(KeptOutput, URLNode):
    """Django's node for a constant address: renders as Django's does once per URLconf, script
    prefix, current application and autoescape setting (a failed lookup raises each time, as
    before), then hands out what it wrote."""

    def kept_key(self, context: Any) -> tuple[Any, ...]:
        return (_generation.value, get_urlconf(), get_script_prefix(), _current_app(context), context.autoescape)


def _constant(expression: FilterExpression) -> bool:
    """A quoted text (which the parser has already turned into its value) or a number, without
    filters; not a name to look up, nor a ``_()`` to translate at each render."""
    var = expression.var
    literal = not isinstance(var, Variable) or (var.literal is not None and not var.translate)
    return literal and not expression.filters


@register.tag("url")
def url(parser: Any, token: Any) -> template.Node:
    node = django_url(parser, token)
    parts = [node.view_name, *node.args, *node.kwargs.values()]
    if type(node) is URLNode and all(_constant(part) for part in parts):
        return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
    return node
