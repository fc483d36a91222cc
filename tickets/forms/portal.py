"""Forms of the customer portal. They collect input; ``tickets.services`` validates it fully
(lengths, limits, file types) and its errors are put back on the form by the views."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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


class ReplyForm(_AttachmentHelpMixin, forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("Attachments"))
