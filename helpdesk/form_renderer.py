"""The form renderer: Django's Jinja2 widget templates, and Django templates for the rest.

Form widgets render through Django's own Jinja2 templates (``django/forms/jinja2``), in the
project's Jinja2 environment (``helpdesk.jinja``: Django's escaping, so the markup is the same
byte for byte): compiled to Python, a fraction of the cost per field and option on the busy pages
(issue 19). Widgets whose templates exist only as Django templates — the admin's related-object
wrapper and split date-time, and those of other packages — are rendered by Django's template
renderer as before.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import django.forms
from django.forms.renderers import BaseRenderer, DjangoTemplates
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2


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

    def get_template(self, template_name: str):
        try:
            return self._jinja.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
