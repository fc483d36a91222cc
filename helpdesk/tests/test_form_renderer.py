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


def _single_inputs():
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    hostile = "\"><script>alert('x')</script>&amp;"
    return [
        (forms.TextInput(), "q", hostile),
        (forms.TextInput(attrs={"placeholder": gettext_lazy("Search"), "maxlength": 200, "autofocus": True}), "q", ""),
        (forms.TextInput(attrs={"disabled": False, "data-x": hostile, "aria-label": mark_safe("<b>")}), "q", None),
        (forms.EmailInput(attrs={"required": True}), "email", "ada@example.com"),
        (forms.NumberInput(attrs={"min": 0, "step": "any"}), "n", 0),
        (forms.DateInput(attrs={"type": "date"}), "after", "2026-12-01"),
        (forms.HiddenInput(), "cursor", hostile),
        (forms.PasswordInput(render_value=True), "password", 's3cr"et'),
        (forms.PasswordInput(), "password", "hidden"),
        (forms.URLInput(), "site", "https://example.com/?a=1&b=2"),
        (forms.CheckboxInput(), "agree", True),
        (forms.CheckboxInput(), "agree", False),
        (forms.FileInput(attrs={"accept": "image/*"}), "file", None),
        (forms.TimeInput(), "at", "10:30"),
        (forms.SearchInput(), "q", "refund"),
        (forms.TelInput(), "phone", "+1 555"),
        (forms.ColorInput(), "colour", "#ff0000"),
        (forms.DateTimeInput(), "when", "2026-12-01 10:00"),
    ]


def test_single_inputs_are_written_as_the_templates_write_them():
    """Every single-``<input>`` widget: the same bytes as Django's templates and as its Jinja2
    templates in our environment, escaping included; and without rendering a template."""
    from django.forms.renderers import BaseRenderer, DjangoTemplates

    from helpdesk.form_renderer import SINGLE_INPUTS

    class NoTemplates(FormRenderer):
        def get_template(self, template_name):
            assert template_name not in SINGLE_INPUTS, template_name
            return super().get_template(template_name)

    class Templates(FormRenderer):  # the Jinja2 templates, as before the shortcut
        render = BaseRenderer.render

    renderer, references = NoTemplates(), (DjangoTemplates(), Templates())
    covered = set()
    for widget, name, value in _single_inputs():
        covered.add(widget.template_name)
        ours = widget.render(name, value, attrs={"id": f"id_{name}"}, renderer=renderer)
        for reference in references:
            assert ours == widget.render(name, value, attrs={"id": f"id_{name}"}, renderer=reference)
    assert covered == SINGLE_INPUTS
    bound = forms.Form()
    bound.fields["q"] = forms.CharField(required=True, help_text="Words")
    assert str(bound["q"]) == '<input type="text" name="q" required aria-describedby="id_q_helptext" id="id_q">'
