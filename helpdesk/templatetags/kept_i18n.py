"""Django's ``i18n`` template library, with each constant ``{% translate %}`` remembered (issue 19).

Installed under the library name ``i18n`` (``TEMPLATES[0]["OPTIONS"]["libraries"]``), so every
``{% load i18n %}`` gets Django's own tags, filters and nodes, except one thing: a
``{% translate "text" %}`` (or ``trans``) of a constant text, without filters, keeps what it wrote
per language and autoescape setting. Django looks each one up in the catalog and escapes it again
on every render; the page shells of the agent pages hold dozens of them (a twentieth of the queue
page's time, a twelfth of the statistics page's). A translation with variables, filters or a
context that is not a constant is Django's node, unchanged.

What is remembered is dropped when the languages or the catalogs' places change (``setting_changed``
on ``LANGUAGES``, ``LANGUAGE_CODE``, ``LOCALE_PATHS``, ``USE_I18N``); in a running server the
catalogs never change.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Variable
from django.templatetags import i18n as django_i18n
from django.utils import translation

from helpdesk.kept import KeptOutput, SettingsGeneration

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

_generation = SettingsGeneration({"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"}, uid="helpdesk.kept_i18n")


class KeptTranslateNode(KeptOutput, django_i18n.TranslateNode):
    """Django's node for a constant text: renders as Django's does once per language and
    autoescape setting, then hands out what it wrote."""

    def kept_key(self, context: Any) -> tuple[Any, ...]:
        return (_generation.value, translation.get_language(), context.autoescape)


def _constant(node: django_i18n.TranslateNode) -> bool:
    """Whether what ``node`` writes depends on nothing but the language: a quoted text, no
    filters, and no context or a quoted one."""
    expression, context = node.filter_expression, node.message_context
    text_is_constant = (
        isinstance(expression.var, Variable) and expression.var.literal is not None and not expression.filters
    )
    context_is_constant = context is None or (isinstance(context.var, str) and not context.filters)
    return text_is_constant and context_is_constant


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Any, token: Any) -> template.Node:
    node = django_i18n.do_translate(parser, token)
    if type(node) is django_i18n.TranslateNode and _constant(node):
        return KeptTranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)
    return node
