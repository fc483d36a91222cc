"""Forms of the settings area. They check the shape of the input; ``accounts.services`` decides
the rest (and its ``ValidationError`` goes back on the form with ``helpdesk.forms.apply_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailAddressField
from accounts.models import Invite, Organization, Role, Team, TicketScope, User
from accounts.permissions import staff_members
from helpdesk.ids import parse_id


class RecordChoiceField(forms.ModelChoiceField):
    """A choice of one record by id; text that is no id (``helpdesk.ids``) is an invalid choice
    before it reaches the database, where an id past the column's range is an error."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class RecordsChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several records by id, refusing text that is no id as ``RecordChoiceField`` does."""

    def _check_values(self, value: Any) -> Any:
        for item in value:
            if parse_id(item) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)  # type: ignore[misc]


# --- people -------------------------------------------------------------------------------------


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices])
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Active and deactivated")), ("active", _("Active")), ("inactive", _("Deactivated"))],
    )
    organization = RecordChoiceField(
        label=_("Organization"), required=False, queryset=Organization.objects.all(), empty_label=_("Any")
    )

    def filter(self, people: QuerySet[User]) -> QuerySet[User]:
        """``people`` narrowed by the valid filters (invalid ones are shown as errors and ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        query = (data.get("q") or "").strip()
        if query:
            from django.db.models import Q

            people = people.filter(Q(name__icontains=query) | Q(email__icontains=query))
        if data.get("role"):
            people = people.filter(role=data["role"])
        if data.get("state"):
            people = people.filter(is_active=data["state"] == "active")
        if data.get("organization"):
            people = people.filter(organization=data["organization"])
        return people


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.RadioSelect)
    ticket_scope = forms.ChoiceField(
        label=_("Tickets this agent works"),
        choices=TicketScope.choices,
        widget=forms.RadioSelect,
        help_text=_("For agents. Admins work every ticket; customers see their own."),
    )
    organization = RecordChoiceField(
        label=_("Organization"), required=False, queryset=Organization.objects.all(), empty_label=_("None")
    )
    teams = RecordsChoiceField(
        label=_("Teams"),
        required=False,
        queryset=Team.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Agents and admins only. A team-scoped agent works only their teams' tickets."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("teams") and data.get("role") == Role.CUSTOMER:
            self.add_error("teams", _("Customers cannot be members of agent teams."))
        return data


# --- teams and organizations ------------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class TeamMemberForm(forms.Form):
    user = RecordChoiceField(label=_("Agent or admin"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, RecordChoiceField)
        field.queryset = staff_members().exclude(groups=team.group_id).order_by("name", "id")


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    share_tickets = forms.BooleanField(
        label=_("Members see each other's tickets"),
        required=False,
        help_text=_("Every member sees every ticket of the organization; only the requester may reply."),
    )


class OrganizationMemberForm(forms.Form):
    email = EmailAddressField(label=_("Email of the customer"), max_length=254)

    def clean_email(self) -> User:
        email = self.cleaned_data["email"]
        person = User.objects.with_email(email).first()
        if person is None:
            raise forms.ValidationError(_("Nobody has this email address. Customers sign up first."))
        return person


# --- invitations -------------------------------------------------------------------------------


class InvitationFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All")), ("pending", _("Waiting")), ("accepted", _("Accepted")), ("expired", _("Expired"))],
    )


class InvitationForm(forms.Form):
    email = EmailAddressField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=[(Role.AGENT, _("Agent")), (Role.ADMIN, _("Admin"))])
    team = RecordChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("No team"),
        help_text=_("With a team, the new agent works only that team's tickets."),
    )


# --- the audit log ------------------------------------------------------------------------------

#: The kinds of object the settings area manages, for the audit log's filter: key -> model.
AUDITED = {"person": User, "team": Team, "organization": Organization, "invitation": Invite}
AUDITED_LABELS = {
    "person": _("People"),
    "team": _("Teams"),
    "organization": _("Organizations"),
    "invitation": _("Invitations"),
}


class AuditFilterForm(forms.Form):
    actor = RecordChoiceField(
        label=_("Changed by"), required=False, queryset=User.objects.none(), empty_label=_("Anyone")
    )
    type = forms.ChoiceField(
        label=_("Object"),
        required=False,
        choices=[("", _("Everything")), *AUDITED_LABELS.items(), ("other", _("Other (back office)"))],
    )
    object = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["actor"]
        assert isinstance(field, RecordChoiceField)
        field.queryset = User.objects.filter(pk__in=LogEntry.objects.values("user_id")).order_by("name", "id")

    def filter(self, entries: QuerySet[LogEntry]) -> QuerySet[LogEntry]:
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("actor"):
            entries = entries.filter(user=data["actor"])
        kind = data.get("type")
        types = {key: ContentType.objects.get_for_model(model) for key, model in AUDITED.items()}
        if kind == "other":
            entries = entries.exclude(content_type__in=types.values())
        elif kind:
            entries = entries.filter(content_type=types[kind])
            if data.get("object"):
                entries = entries.filter(object_id=str(data["object"]))
        return entries
