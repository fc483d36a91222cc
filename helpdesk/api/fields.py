"""Serializer fields, output shapes and filters that every app's API shares.

Generic on purpose: ids and ``{id, name}`` shapes, nothing that knows a model. Fields that
resolve ids to one app's objects (``accounts.api.TeamField``, ``tickets.api.serializers.AgentField``)
subclass ``ObjectIdField`` in their app.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.ids import MAX_ID

# --- output shapes ---------------------------------------------------------------------------------


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class NamedOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- input -----------------------------------------------------------------------------------------


class IdField(serializers.IntegerField):
    """A positive id that fits a bigint column."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class ObjectIdField(serializers.Field):
    """An id resolved to an object of ``get_queryset()``; unknown ids are a 400 on the field."""

    queryset = None
    missing = _("No such object.")

    def to_internal_value(self, data):
        pk = IdField().run_validation(data)
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise serializers.ValidationError(self.missing)
        return obj

    def to_representation(self, value):
        return value.pk

    def get_queryset(self):
        return self.queryset


# --- query-parameter filters (django-filter) ---------------------------------------------------------


class IdFormField(forms.IntegerField):
    """The form field behind ``IdFilter``: a positive id that fits a bigint column."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """``?name=<id>``: a malformed or out-of-range id is a 400 naming the parameter."""

    field_class = IdFormField  # type: ignore[assignment]  # an IntegerField where the stubs say DecimalField
