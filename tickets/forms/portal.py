"""Forms of the customer portal. They collect input; ``tickets.services`` validates it fully
(lengths, limits, file types) and its errors are put back on the form by the views."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import custom_fields as custom_fields_form
from tickets.forms.shared import MultipleFileField, attachment_help
from tickets.models import Category, Priority


class _AttachmentHelpMixin:
    fields: dict[str, forms.Field]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachment_help()


class TicketForm(_AttachmentHelpMixin, forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        help_text=_("A short summary, 5 to 150 characters."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=20_000,
        help_text=_(
            "What happened, what you expected, and the steps to see it. Light Markdown works: links, lists, `code`."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Not sure"))] + list(Category.choices), required=False
    )
    attachments = MultipleFileField(label=_("Attachments"))
    follow_up_of = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, custom_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The desk's own fields visible to customers (``cf_<key>``), required ones required.
        self.custom_fields = list(custom_fields)
        self.custom_field_names = custom_fields_form.add_fields(self, self.custom_fields, required_in_portal=True)

    def custom_field_values(self) -> dict:
        """The filled-in custom fields, by key (empty ones left out)."""
        values = custom_fields_form.cleaned_values(self, self.custom_fields)
        return {key: value for key, value in values.items() if value is not None}

    @property
    def custom_field_boundfields(self):
        return [self[name] for name in self.custom_field_names]


class ReplyForm(_AttachmentHelpMixin, forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("Attachments"))
