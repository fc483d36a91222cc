"""Forms of the agent workspace. They parse and check input only; services do the writing."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from helpdesk.forms import apply_errors
from helpdesk.ids import parse_id
from helpdesk.jinja import escape as escape_html
from tickets import periods, queue
from tickets.forms.shared import MultipleFileField
from tickets.models import Category, Priority, Status
from tickets.selectors.listing import MomentField, OrganizationField, RequesterField, TicketFilterForm
from tickets.services import TAG_RE

NO_CHANGE = ""


def _people_choices(users) -> list[tuple[str, str]]:
    return [(str(u.pk), u.name or u.email) for u in users]


def _team_choices(teams) -> list[tuple[str, str]]:
    return [(str(t.pk), t.name) for t in teams]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field of ``form``, to set its choices once the people and teams are known."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class Pairs(BaseChoiceIterator):
    """Choices that are already (value, label) pairs, which a field and its widget take as they
    are. Given a list, Django rebuilds every pair, once for the field and once for its widget: for
    the few hundred agents of the queue's two assignee pickers that was a millisecond a page."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


def _set_choices(form: forms.Form, name: str, pairs: list[tuple[str, str]]) -> None:
    _choice_field(form, name).choices = Pairs(pairs)


def _split_tags(value: str, field: str) -> list[str]:
    names = [part.strip() for part in value.replace(",", " ").split() if part.strip()]
    for name in names:
        if not TAG_RE.match(name):
            raise ValidationError(
                _("Tag %(tag)s is not valid: use 1–50 letters, digits, '-' or '_'.") % {"tag": repr(name[:60])}
            )
    return [n.lower() for n in names]


def quick_selects(form: forms.Form) -> None:
    """Every plain ``<select>`` of ``form`` written by ``QuickSelect`` (same markup, no template
    per option): the queue's filter form renders on every queue page."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            quick = QuickSelect(attrs=field.widget.attrs)
            quick.choices = field.widget.choices
            quick.is_required = field.widget.is_required
            field.widget = quick


def checkbox_labels(field: forms.BoundField) -> SafeString:
    """Each choice of a multiple-choice field as ``<label class="check">`` around its checkbox and
    label: what ``{% for cb in field %}<label class="check">{{ cb.tag }} {{ cb.choice_label }}</label>{% endfor %}``
    writes, in Python (a template per checkbox was a millisecond of every queue page). A field
    with errors (whose checkboxes carry ``aria-invalid``) is written by Django."""
    widget = field.field.widget
    if field.errors or widget.attrs or not isinstance(widget, forms.CheckboxSelectMultiple):
        return mark_safe(  # noqa: S308 - Django's own markup, escaped by it
            "".join(f'<label class="check">{cb.tag()} {escape_html(cb.choice_label)}</label>' for cb in field)
        )
    chosen = {str(v) for v in widget.format_value(field.value())}
    name, base_id = escape_html(field.html_name), field.auto_id
    parts = []
    for index, (value, label) in enumerate(widget.choices):
        text = "" if value is None else str(value)
        ident = f' id="{escape_html(base_id)}_{index}"' if base_id else ""
        checked = " checked" if text in chosen else ""
        parts.append(
            f'<label class="check"><input type="checkbox" name="{name}" value="{escape_html(text)}"{ident}{checked}>'
            f" {escape_html(label)}</label>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above


# The markup of unselected options with plain-string labels, by (value, label): the same few
# hundred agents and teams fill the queue's pickers on every page (escaping them was a third of the
# pickers' time). Lazy labels are written each time (their text depends on the language).
_OPTIONS: dict[tuple[str, str], str] = {}
_OPTIONS_LIMIT = 50_000


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python: the same markup as Django's Select, without rendering a
    template per option. The agent pages list every agent (hundreds on a big desk) in several
    pickers, and per-option templates were a fifth of the queue page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        # Django's own option dicts (``get_context``'s optgroups) cost more than the markup: the
        # options are written straight from the choices, selected as Django's Select selects
        # (the first option whose value matches, unless several may be chosen).
        chosen = set(self.format_value(value))
        several = self.allow_multiple_selected
        found = False
        parts = []
        for option_value, option_label in self.choices:
            if isinstance(option_label, (list, tuple)):
                group, members = option_value, option_label
            else:
                group, members = None, ((option_value, option_label),)
            if group is not None:
                parts.append(f'<optgroup label="{escape_html(group)}">')
            for member_value, member_label in members:
                text = "" if member_value is None else str(member_value)
                selected = (several or not found) and text in chosen
                found = found or selected
                if selected or type(member_label) is not str:
                    parts.append(
                        f'<option value="{escape_html(text)}"{" selected" if selected else ""}>{escape_html(member_label)}</option>'
                    )
                    continue
                option = _OPTIONS.get((text, member_label))
                if option is None:
                    option = f'<option value="{escape_html(text)}">{escape_html(member_label)}</option>'
                    if len(_OPTIONS) < _OPTIONS_LIMIT:
                        _OPTIONS[text, member_label] = option
                parts.append(option)
            if group is not None:
                parts.append("</optgroup>")
        built = self.build_attrs(self.attrs, attrs)
        if several:
            built["multiple"] = True
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(built),
            mark_safe("".join(parts)),  # noqa: S308 - every part escaped above
        )


class QueueFilterForm(TicketFilterForm):
    """The queue's GET form: view, the ticket-list filters (parsed as on every surface, see
    ``tickets.selectors.listing``) with the queue's pickers, sort and cursor, all in the URL."""

    view = forms.ChoiceField(choices=[(v.key, v.label) for v in queue.VIEWS], required=False, widget=QuickSelect)
    # Pickers of the desk's agents and teams ("anyone" is the picker's no-filter choice).
    # (They replace the list form's id fields: the queue offers pickers where the API takes ids.)
    assignee = forms.ChoiceField(required=False, widget=QuickSelect)  # type: ignore[assignment]
    team = forms.ChoiceField(required=False, widget=QuickSelect)  # type: ignore[assignment]
    requester = RequesterField(by_name=True, required=False, help_text=_("Email, name or user id"))
    # A name (or id), not a list: a desk has thousands of customer organizations.
    organization = OrganizationField(by_name=True, required=False, help_text=_("Organization name or id"))
    channel = None  # type: ignore[assignment]  # not offered in the queue
    created_after = MomentField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    created_before = MomentField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    updated_after = MomentField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    updated_before = MomentField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(choices=[(k, v[0]) for k, v in queue.SORTS.items()], required=False, widget=QuickSelect)
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    field_order = ["view", "q"]

    def __init__(self, *args, agents=(), teams=(), views=None, custom_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        if views is not None:  # the built-in views and the agent's saved views ((key, label) pairs)
            _choice_field(self, "view").choices = list(views)
        # The desk's own fields: pick one, type the value (``field``/``value``, as in the API).
        self.fields["field"] = forms.ChoiceField(
            label=_("Field"),
            required=False,
            choices=[("", gettext("Any field"))] + [(f.key, f.label) for f in custom_fields],
        )
        self.fields["value"].label = _("Field value")
        for name in ("status", "priority"):
            choices = _choice_field(self, name).choices  # the model's TextChoices: a plain list
            self.fields[name].widget = forms.CheckboxSelectMultiple(choices=choices)  # type: ignore[arg-type]
        self.fields["requester"].widget.attrs["maxlength"] = "254"
        self.fields["organization"].widget.attrs["maxlength"] = "200"
        _set_choices(
            self,
            "assignee",
            [
                ("anyone", pgettext("assignee", "Anyone")),
                ("me", pgettext("assignee", "Me")),
                ("none", pgettext("assignee", "Nobody")),
            ]
            + _people_choices(agents),
        )
        _set_choices(self, "team", [("", gettext("Any team")), ("none", gettext("No team"))] + _team_choices(teams))
        quick_selects(self)

    def clean_view(self):
        return self.cleaned_data.get("view") or queue.DEFAULT_VIEW

    def clean_sort(self):
        # A search lists the best matches first unless another order is asked for; "best match"
        # without a search falls back to the default order.
        searching = bool((self.cleaned_data.get("q") or "").strip())
        sort = self.cleaned_data.get("sort") or (queue.SEARCH_SORT if searching else queue.DEFAULT_SORT)
        return sort if searching or sort != queue.SEARCH_SORT else queue.DEFAULT_SORT


class BulkForm(forms.Form):
    """Changes for the selected tickets; every field left on "No change" is not touched."""

    ids = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": _("Select at least one ticket.")})
    # Written by QuickSelect: the queue page shows this form's pickers of every agent and team.
    assignee = forms.ChoiceField(required=False, widget=QuickSelect)
    team = forms.ChoiceField(required=False, widget=QuickSelect)
    status = forms.ChoiceField(
        choices=[(NO_CHANGE, _("No change"))] + Status.choices, required=False, widget=QuickSelect
    )
    priority = forms.ChoiceField(
        choices=[(NO_CHANGE, _("No change"))] + Priority.choices, required=False, widget=QuickSelect
    )
    add_tags = forms.CharField(label=_("Add tags"), required=False, max_length=500)
    remove_tags = forms.CharField(label=_("Remove tags"), required=False, max_length=500)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, agents=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Ids are checked by the service (invisible ones fail the whole update); any int is accepted here.
        # (Bounded: SQLite cannot even compare with integers past 64 bits.)
        _choice_field(self, "ids").valid_value = lambda value: parse_id(value) is not None  # type: ignore[method-assign]
        _set_choices(
            self,
            "assignee",
            [(NO_CHANGE, gettext("No change")), ("me", pgettext("assignee", "Me")), ("none", gettext("Unassign"))]
            + _people_choices(agents),
        )
        _set_choices(
            self, "team", [(NO_CHANGE, gettext("No change")), ("none", gettext("No team"))] + _team_choices(teams)
        )

    def clean_add_tags(self):
        return _split_tags(self.cleaned_data.get("add_tags", ""), "add_tags")

    def clean_remove_tags(self):
        return _split_tags(self.cleaned_data.get("remove_tags", ""), "remove_tags")

    def changes(self, *, actor, users_by_id, teams_by_id) -> dict:
        """The ``changes`` dict for ``services.ticket_bulk_update``."""
        data = self.cleaned_data
        changes: dict = {}
        if data["assignee"] == "me":
            changes["assignee"] = actor
        elif data["assignee"] == "none":
            changes["assignee"] = None
        elif data["assignee"]:
            changes["assignee"] = users_by_id[int(data["assignee"])]
        if data["team"] == "none":
            changes["team"] = None
        elif data["team"]:
            changes["team"] = teams_by_id[int(data["team"])]
        for field in ("status", "priority"):
            if data[field]:
                changes[field] = data[field]
        for field in ("add_tags", "remove_tags"):
            if data[field]:
                changes[field] = data[field]
        return changes


class MessageForm(forms.Form):
    """The composer: a public reply or an internal note, files, and an optional new status."""

    MODES = [("reply", _("Reply to customer")), ("note", _("Internal note"))]
    SUBMIT_AS = [(NO_CHANGE, _("Keep status"))] + [
        (s.value, s.label) for s in (Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD, Status.SOLVED)
    ]

    mode = forms.ChoiceField(
        choices=MODES, initial="reply", widget=forms.RadioSelect, label=pgettext_lazy("reply or note", "Type")
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    attachments = MultipleFileField(label=_("Attach files"))
    status = forms.ChoiceField(choices=SUBMIT_AS, required=False, label=_("Submit as"), widget=QuickSelect)


class TicketFieldsForm(forms.Form):
    """The side panel: status, priority, assignee, team, tags, category."""

    # Every select of the side panel is written by QuickSelect (no template per option).
    status = forms.ChoiceField(choices=Status.choices, label=_("Status"), widget=QuickSelect)
    priority = forms.ChoiceField(choices=Priority.choices, label=_("Priority"), widget=QuickSelect)
    assignee = forms.ChoiceField(required=False, widget=QuickSelect, label=_("Assignee"))
    team = forms.ChoiceField(required=False, widget=QuickSelect, label=_("Team"))
    category = forms.ChoiceField(
        choices=[("", pgettext_lazy("no category", "None"))] + Category.choices,
        required=False,
        label=_("Category"),
        widget=QuickSelect,
    )
    tags = forms.CharField(
        required=False, max_length=600, help_text=_("Separate with spaces or commas."), label=_("Tags")
    )

    def __init__(self, *args, agents=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self, "assignee", [("", gettext("Unassigned"))] + _people_choices(agents))
        _set_choices(self, "team", [("", gettext("No team"))] + _team_choices(teams))

    def clean_tags(self):
        return _split_tags(self.cleaned_data.get("tags", ""), "tags")


class CollaboratorForm(forms.Form):
    email = forms.EmailField(label=_("Customer email"))


class PeriodBoundField(forms.Field):
    """A date (or an ISO date-time) read by ``tickets.periods``, the statistics API's parser."""

    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value):
        return periods.parse_bound(value)


class StatsPeriodForm(forms.Form):
    """The statistics page's period and team (GET). ``cleaned_data["since"]``/``["until"]`` are the
    period's first and last day (a custom period) or None (a preset ``period`` of days)."""

    PERIODS = [
        ("7", _("Last 7 days")),
        ("30", _("Last 30 days")),
        ("90", _("Last 90 days")),
        ("custom", _("Dates below")),
    ]

    period = forms.ChoiceField(choices=PERIODS, required=False, label=_("Period"), widget=QuickSelect)
    since = PeriodBoundField(required=False, label=pgettext_lazy("start of a period", "From"))
    until = PeriodBoundField(required=False, label=pgettext_lazy("end of a period", "To"))
    team = forms.ChoiceField(required=False, label=_("Team"), widget=QuickSelect)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        _choice_field(self, "team").choices = [("", gettext("All teams I can see"))] + _team_choices(teams)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("period") == "custom" or (not data.get("period") and (data.get("since") or data.get("until"))):
            if not data.get("since") or not data.get("until"):
                raise ValidationError(periods.BOTH_NEEDED)
            try:
                periods.period(data["since"], data["until"], max_days=periods.TEN_YEARS)
            except ValidationError as exc:
                apply_errors(self, exc)
                return data
            data["period"] = "custom"
        return data
