"""``{% jinja "fragment.html" key=value … %}``: a Jinja2 fragment inside a Django template.

Renders ``templates/jinja2/<name>`` with exactly the variables given (and ``request``), and
returns it as safe HTML. For the loops of the busy pages (``tickets.jinja``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context: template.Context, name: str, **variables: Any) -> SafeString:
    fragment = engines["jinja2"].get_template(name)
    return mark_safe(fragment.render(variables, getattr(context, "request", None)))  # noqa: S308 - Jinja2 escaped it
