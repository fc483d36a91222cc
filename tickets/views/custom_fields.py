"""The agent ticket page's custom fields (issue 16): the fields of the ticket's team with their
values, and the form that changes them through ``services.ticket_update``.

``page_context`` is what the ticket page (``tickets.views.agent``) shows: the fields in one query
(``selectors.custom_fields.fields_for_ticket``), whatever their number.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from helpdesk.forms import apply_errors
from tickets import permissions, selectors, services
from tickets.exceptions import Conflict
from tickets.forms import custom_fields as custom_fields_form
from tickets.models import FieldType, Ticket
from tickets.permissions import Action
from tickets.selectors.custom_fields import ShownField, fields_for_ticket


class CustomFieldsForm(forms.Form):
    """Every field of the ticket, none required (an agent may clear one)."""

    def __init__(self, *args: Any, shown: list[ShownField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown = shown
        self.ticket_fields = [item.field for item in shown]
        self.names = custom_fields_form.add_fields(self, self.ticket_fields)

    @property
    def boundfields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.names]

    def changes(self) -> dict[str, Any]:
        """The values that differ from the ticket's (an unticked checkbox that was never set stays
        unset: a missing key is unchecked too)."""
        values = custom_fields_form.cleaned_values(self, self.ticket_fields)
        changes = {}
        for item in self.shown:
            new = values[item.field.key]
            if item.field.field_type == FieldType.CHECKBOX and new is False and item.value is None:
                continue
            if new != item.value:
                changes[item.field.key] = new
        return changes


def _form(ticket: Ticket, shown: list[ShownField], data: Any = None) -> CustomFieldsForm:
    initial = custom_fields_form.initial_values([item.field for item in shown], ticket.custom_fields or {})
    return CustomFieldsForm(data, initial=initial, shown=shown)


def page_context(user: Any, ticket: Ticket, form: CustomFieldsForm | None = None) -> dict[str, Any]:
    """The ticket page's custom fields: ``custom_fields`` (shown values), ``custom_fields_form``."""
    shown = form.shown if form is not None else fields_for_ticket(user, ticket)
    return {"custom_fields": shown, "custom_fields_form": form or _form(ticket, shown)}


@require_POST
def ticket_custom_fields(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the ticket's custom fields (only those that changed, each with its history entry)."""
    if not permissions.works_tickets(request.user):
        raise Http404("No such page.")
    from tickets.views.agent import render_ticket

    ticket = selectors.ticket_get_for_user(request.user, pk)
    permissions.authorize(request.user, Action.CHANGE, ticket)
    form = _form(ticket, fields_for_ticket(request.user, ticket), request.POST)
    if form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing to change."))
            return redirect(ticket)
        try:
            services.ticket_update(actor=request.user, ticket=ticket, custom_fields=changes)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect(ticket)
        except ValidationError as exc:
            apply_errors(form, exc, aliases=custom_fields_form.aliases(form.ticket_fields))
        else:
            messages.success(request, _("Ticket updated."))
            return redirect(ticket)
    ticket = selectors.ticket_get_for_user(request.user, pk)
    return render_ticket(request, ticket, custom_fields_form=form, status=400)
