"""Query-parameter filters of the API's lists (django-filter).

Every filter validates its value: a malformed or unknown value is a 400 naming the parameter
(``{"status": ["..."]}``), never an empty list that looks like "no tickets". Filters narrow a
queryset the selectors already scoped to what the caller may see; they never widen it.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field

from tickets import search
from tickets.api.serializers import MAX_ID
from tickets.models import Category, Channel, Priority, Status, Ticket


class IdOrKeywordField(forms.Field):
    """A positive id, or one of a few keywords (``me``, ``none``)."""

    def __init__(self, *, keywords: tuple[str, ...] = (), **kwargs):
        self.keywords = keywords
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip().lower()
        if value in self.keywords:
            return value
        if value.isdigit() and 1 <= int(value) <= MAX_ID:
            return int(value)
        options = " or ".join([*(f"'{k}'" for k in self.keywords), "a numeric id"])
        raise ValidationError(f"Give {options}.")


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class IdOrKeywordFilter(django_filters.Filter):
    field_class = IdOrKeywordField


@extend_schema_field({"type": "string", "pattern": "^([0-9]{1,18}|me|none)$"})
class AssigneeFilter(IdOrKeywordFilter):
    pass


@extend_schema_field({"type": "string", "pattern": "^([0-9]{1,18}|none)$"})
class TeamRoutingFilter(IdOrKeywordFilter):
    pass


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False, help_text="Repeatable.")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False, help_text="Repeatable.")
    assignee = AssigneeFilter(
        method="filter_assignee", keywords=("me", "none"), help_text="A user id, `me` or `none` (unassigned)."
    )
    team = TeamRoutingFilter(method="filter_team", keywords=("none",), help_text="A team id or `none`.")
    requester = IdFilter(field_name="requester_id")
    organization = IdFilter(field_name="organization_id")
    tag = django_filters.CharFilter(method="filter_tag", max_length=50)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, help_text="Text in the subject or in messages you may read."
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee_id=self.request.user.pk)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def filter_team(self, queryset, name, value):
        if value == "none":
            return queryset.filter(team__isnull=True)
        return queryset.filter(team_id=value)

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__name=value.strip().lower())

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return search.ranked(queryset, self.request.user, value)
