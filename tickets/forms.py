"""Forms of the customer portal. They collect input; ``tickets.services`` validates it fully
(lengths, limits, file types) and its errors are put back on the form by the views."""

from __future__ import annotations

from django import forms

from tickets.models import Category, Priority


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; cleans to a list (maybe empty).

    Size, emptiness, count and type are checked by the services (``tickets.attachments``), whose
    messages name the file and the reason; this field only gathers the uploads.
    """

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, data):
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [item for item in items if item]

    def clean(self, data, initial=None):
        files = self.to_python(data)
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files

    def bound_data(self, data, initial):
        return data


def _attachment_help() -> str:
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat

    return (
        f"Up to {settings.HELPDESK_MAX_ATTACHMENTS_PER_REQUEST} files, at most "
        f"{filesizeformat(settings.HELPDESK_MAX_ATTACHMENT_BYTES)} each: images, PDF, text, CSV, ZIP or office documents."
    )


class _AttachmentHelpMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _attachment_help()


class TicketForm(_AttachmentHelpMixin, forms.Form):
    subject = forms.CharField(
        label="Subject",
        max_length=150,
        help_text="A short summary, 5 to 150 characters.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label="Describe the problem",
        max_length=20_000,
        help_text="What happened, what you expected, and the steps to see it. Light Markdown works: "
        "links, lists, `code`.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    priority = forms.ChoiceField(label="Priority", choices=Priority.choices, initial=Priority.NORMAL)
    category = forms.ChoiceField(label="Category", choices=[("", "Not sure")] + list(Category.choices), required=False)
    attachments = MultipleFileField(label="Attachments")
    follow_up_of = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReplyForm(_AttachmentHelpMixin, forms.Form):
    body = forms.CharField(label="Your reply", max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label="Attachments")
