"""Form pieces the portal and the agent workspace share."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import ngettext


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


def attachment_help() -> str:
    """What may be attached, from the settings of the moment (read when a form is made)."""
    count = settings.HELPDESK_MAX_ATTACHMENTS_PER_REQUEST
    return ngettext(
        "Up to %(count)d file, at most %(size)s: images, PDF, text, CSV, ZIP or office documents.",
        "Up to %(count)d files, at most %(size)s each: images, PDF, text, CSV, ZIP or office documents.",
        count,
    ) % {"count": count, "size": filesizeformat(settings.HELPDESK_MAX_ATTACHMENT_BYTES)}
