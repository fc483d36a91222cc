"""The form renderer: Django's Jinja2 widget templates, and Django templates for the rest.

Form widgets render through Django's own Jinja2 templates (``django/forms/jinja2``), in the
project's Jinja2 environment (``helpdesk.jinja``: Django's escaping, so the markup is the same
byte for byte): compiled to Python, a fraction of the cost per field and option on the busy pages
(issue 19). Widgets whose templates exist only as Django templates — the admin's related-object
wrapper and split date-time, and those of other packages — are rendered by Django's template
renderer as before.

The single ``<input>`` widgets (text, e-mail, number, date, hidden, file, checkbox…), whose
templates only include ``input.html``, are written here in Python with the same markup: a page
of forms has a dozen of them, and a template each (and its ``attrs.html``) was a quarter of
what the queue page spent on its forms.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import django.forms
from django.forms.renderers import BaseRenderer, DjangoTemplates
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2

from helpdesk.jinja import escape

#: Django's widget templates that are nothing but ``{% include "django/forms/widgets/input.html" %}``.
SINGLE_INPUTS = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "checkbox", "color", "date", "datetime", "email", "file", "hidden",
        "number", "password", "search", "tel", "text", "time", "url",
    )
)  # fmt: skip


def single_input(widget: dict) -> str:
    """``input.html`` with its ``attrs.html``, as Django's templates write it: the value unless it
    is None, each attribute but those set to False, a bare name for those set to True."""
    parts = [f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"']
    if widget["value"] is not None:
        parts.append(f' value="{escape(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"')
    parts.append(">")
    return "".join(parts)


class FormRenderer(BaseRenderer):
    @cached_property
    def _jinja(self) -> Jinja2:
        return Jinja2(
            {
                "APP_DIRS": True,
                "DIRS": [Path(django.forms.__file__).parent / "jinja2"],
                "NAME": "djangoforms",
                "OPTIONS": {"environment": "helpdesk.jinja.environment"},
            }
        )

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def render(self, template_name: str, context: dict, request=None) -> str:
        if template_name in SINGLE_INPUTS:
            return single_input(context["widget"])
        return super().render(template_name, context, request)

    def get_template(self, template_name: str):
        try:
            return self._jinja.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
