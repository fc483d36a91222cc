"""The form of a macro: its actions are JSON typed into a text area, read here (syntax, storable
text) and checked by the rules engine (``tickets.rules.actions.parse``) when saved or previewed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team
from accounts.settings_pages.forms import RecordChoiceField
from tickets.models import MacroScope
from tickets.rule_settings.forms import JSONTextField
from tickets.rules import actions as rule_actions
from tickets.rules import placeholders
from tickets.services.macros import DESCRIPTION_MAX, NAME_MAX


def example() -> list[dict[str, Any]]:
    """What a new macro's actions start as, its reply in the reader's language."""
    reply = _("Hello {{requester.first_name}}, thanks for writing. We are on it.")
    return [
        {"action": "add_reply", "value": reply},
        {"action": "set_status", "value": "pending"},
        {"action": "add_tags", "value": [_("answered")]},
    ]


SHARED_SCOPES = [(MacroScope.TEAM.value, MacroScope.TEAM.label), (MacroScope.EVERYONE.value, MacroScope.EVERYONE.label)]


def action_reference() -> list[tuple[str, str]]:
    """The action names with what each does, in the reader's language."""
    return [(name, str(label)) for name, label in rule_actions.LABELS.items()]


def placeholder_reference() -> list[str]:
    return ["{{" + name + "}}" for name in placeholders.NAMES]


class MacroForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=NAME_MAX)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scope = forms.ChoiceField(label=gettext_lazy("Shared with"), choices=SHARED_SCOPES)
    team = RecordChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.order_by("name", "id"),
        required=False,
        empty_label=gettext_lazy("Choose a team"),
        help_text=gettext_lazy("For “One team”: the team whose members may use the macro."),
    )
    actions = JSONTextField(
        label=gettext_lazy("Actions"),
        empty=[],
        help_text=gettext_lazy('JSON: a list of actions, each with "action" and "value".'),
    )
    preview_ticket = forms.IntegerField(
        label=gettext_lazy("Ticket number to preview on"),
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=gettext_lazy("Preview shows what the actions would change on this ticket, without saving."),
    )

    def __init__(self, *args: Any, personal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if personal:  # always the agent's own
            del self.fields["scope"]
            del self.fields["team"]

    def keep_only_preview_errors(self) -> None:
        """For a preview: the name may still be unfinished; only the actions and the ticket count."""
        for name in list(self.errors):
            if name not in ("actions", "preview_ticket"):
                del self.errors[name]

    def macro_fields(self) -> dict[str, Any]:
        names = ["name", "description", "actions", *(n for n in ("scope", "team") if n in self.fields)]
        return {name: self.cleaned_data[name] for name in names}


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")
