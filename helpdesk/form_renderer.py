"""The form renderer: Django's Jinja2 widget templates, and Django templates for the rest.

Form widgets render through Django's own Jinja2 templates (``django/forms/jinja2``): the same
markup as its Django-template widgets, compiled to Python, at a fraction of the cost per field
and option on the busy pages (issue 19). Widgets whose templates exist only as Django templates —
the admin's related-object wrapper and split date-time, and those of other packages — are
rendered by Django's template renderer as before.
"""

from __future__ import annotations

from functools import cached_property

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    @cached_property
    def _jinja(self) -> Jinja2:
        return Jinja2()

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return self._jinja.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
