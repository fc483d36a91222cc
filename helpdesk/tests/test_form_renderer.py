"""The form renderer (helpdesk.form_renderer): Django's Jinja2 widget templates where they exist,
Django templates for the widgets that only have those (the admin's)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from jinja2 import Template as JinjaTemplate

from helpdesk.form_renderer import FormRenderer


def test_plain_widgets_render_with_jinja2():
    renderer = FormRenderer()
    template = renderer.get_template("django/forms/widgets/select.html")
    assert isinstance(template.template, JinjaTemplate)
    html = forms.Select(choices=[("a", 'Say "a"')]).render("x", "a", renderer=renderer)
    assert '<option value="a" selected>Say &quot;a&quot;</option>' in html  # escaped as Django escapes


def test_widgets_with_django_templates_only_still_render():
    renderer = FormRenderer()
    template = renderer.get_template("admin/widgets/split_datetime.html")
    assert not isinstance(getattr(template, "template", None), JinjaTemplate)
    html = AdminSplitDateTime().render("when", None, renderer=renderer)
    assert 'name="when_0"' in html and 'name="when_1"' in html
