"""The form of a trigger or an automation: conditions and actions are JSON typed into text areas,
read here (syntax, storable text) and checked by the rules engine when saved or tested."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import staff_members
from accounts.settings_pages.forms import RecordChoiceField
from helpdesk.text import unstorable
from tickets.models import TriggerOn

MAX_JSON = 20_000


def _no_constants(name: str) -> Any:
    raise ValueError(name)


def as_text(value: Any) -> str:
    """A rule's JSON as it is shown for editing."""
    return json.dumps(value, indent=2, ensure_ascii=False)


class JSONTextField(forms.CharField):
    """JSON in a text area: empty means ``empty``; anything that is not JSON, or JSON with text no
    database can store, is this field's error (the engine's checks come after)."""

    def __init__(self, *, empty: Any, **kwargs: Any) -> None:
        self.empty = empty
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code-input"}))
        super().__init__(required=False, max_length=MAX_JSON, strip=False, **kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if not text.strip():
            return self.empty
        try:
            data = json.loads(text, parse_constant=_no_constants)
        except json.JSONDecodeError as error:
            raise ValidationError(
                _("This is not valid JSON: line %(line)s, column %(column)s.")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except (ValueError, RecursionError):
            raise ValidationError(_("This is not valid JSON.")) from None
        problem = unstorable(data)
        if problem:
            raise ValidationError(str(problem))
        return data


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    on = forms.ChoiceField(label=gettext_lazy("Runs when"), choices=TriggerOn.choices)
    owner = RecordChoiceField(
        label=gettext_lazy("Acts as"),
        queryset=staff_members().order_by("name", "id"),
        required=False,
        empty_label=gettext_lazy("Choose a person"),
        help_text=gettext_lazy(
            "Its changes are made with this person's permissions and show as theirs in the history."
        ),
    )
    conditions = JSONTextField(
        label=gettext_lazy("Conditions"),
        empty={},
        help_text=gettext_lazy(
            'JSON: {"all": [...], "any": [...]}, each condition with "field", "operator" and "value". '
            "Every condition in all must hold, and one of any (if there are any)."
        ),
    )
    actions = JSONTextField(
        label=gettext_lazy("Actions"),
        empty=[],
        help_text=gettext_lazy('JSON: a list of actions, each with "action" and "value".'),
    )

    def __init__(self, *args: Any, trigger: bool, system: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not trigger:
            del self.fields["on"]
        if system:  # the desk's own automation acts as the system
            del self.fields["owner"]

    def keep_only_conditions_errors(self) -> None:
        """For a test run: the other fields may still be unfinished; only the conditions count."""
        for name in list(self.errors):
            if name != "conditions":
                del self.errors[name]


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")
