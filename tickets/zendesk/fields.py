"""GET ticket_fields.json (agents): the desk's custom ticket fields in Zendesk's shape, so that a
client — an importer above all — can tell which field a ``custom_fields: [{id, value}]`` entry
means (by its title). Read-only, cursor pages by id, like the other lists."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.response import Response

from tickets.models import FieldType, TicketField
from tickets.zendesk.base import ZendeskView, cursor_answer, cursor_page
from tickets.zendesk.mapping import timestamp
from tickets.zendesk.people import BY_ID, _staff_only

#: Our field types in Zendesk's words.
TYPES = {
    FieldType.TEXT: "text",
    FieldType.NUMBER: "decimal",
    FieldType.DATE: "date",
    FieldType.CHECKBOX: "checkbox",
    FieldType.DROPDOWN: "tagger",
    FieldType.MULTISELECT: "multiselect",
    FieldType.REGEX: "regexp",
}


def field_json(view: ZendeskView, field: TicketField) -> dict[str, Any]:
    options = [
        {"id": None, "name": option["label"], "raw_name": option["label"], "value": option["value"], "default": False}
        for option in field.options or []
    ]
    return {
        "id": field.pk,
        "url": view.absolute(reverse("api:zendesk-ticket-fields")),
        "type": TYPES.get(FieldType(field.field_type), "text"),
        "title": field.label,
        "raw_title": field.label,
        "description": field.description,
        "raw_description": field.description,
        "position": field.position,
        "active": field.active,
        "required": field.required_on_solve,
        "collapsed_for_agents": False,
        "regexp_for_validation": field.pattern or None,
        "title_in_portal": field.label,
        "raw_title_in_portal": field.label,
        "visible_in_portal": field.visible_to_customers,
        "editable_in_portal": field.visible_to_customers,
        "required_in_portal": field.required_in_portal,
        "tag": None,
        "custom_field_options": options if field.field_type in (FieldType.DROPDOWN, FieldType.MULTISELECT) else [],
        "removable": True,
        "created_at": timestamp(field.created_at),
        "updated_at": timestamp(field.updated_at),
    }


class TicketFieldList(ZendeskView):
    def get(self, request):
        _staff_only(request.user)
        page, size = cursor_page(self, TicketField.objects.all(), BY_ID)
        items = [field_json(self, f) for f in page.items]
        path = reverse("api:zendesk-ticket-fields")
        return Response(cursor_answer(self, "ticket_fields", items, page, path, {"page[size]": size}))
