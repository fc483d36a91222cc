"""``GET tickets/{id}/audits.json``: a ticket's history in the shape of Zendesk's ticket audits
(cursor pages, oldest first; ``sort_order=desc`` newest first).

One audit per history entry (``selectors.events_for``: the same entries, and the same rules, as
v1's events endpoint — customers get public entries only, a ticket they may not see is a 404):

- ``created`` → ``Create`` events of the values the ticket was filed with, and the description's
  ``Comment``;
- ``message_added``/``note_added`` → a ``Comment`` (read through ``selectors.messages_for``, so
  nobody gets a note they may not read) with its attachments;
- status, priority, assignee, team, tags, subject and custom field changes → a ``Change`` of
  ``field_name`` from ``previous_value`` to ``value`` in Zendesk's words (a status change Zendesk
  cannot tell, open → in progress, is left out);
- ``satisfaction_rated`` → a ``SatisfactionRating`` event.

Entries Zendesk's audits have no word for (files added on their own — a comment's files are in
its ``Comment`` —, CCs, SLA steps) are not listed. Queries per page: the ticket, the page of
entries, its comments and their attachments, the custom fields — however long the page.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.response import Response

from helpdesk import keyset
from tickets import selectors
from tickets.models import EventKind
from tickets.zendesk.base import ZendeskView, cursor_answer, cursor_page
from tickets.zendesk.mapping import STATUS_OUT, Shapes, timestamp

#: The history entries an audit list shows, and the field each ``Change`` names.
CHANGES: dict[str, str] = {
    EventKind.STATUS_CHANGED: "status",
    EventKind.PRIORITY_CHANGED: "priority",
    EventKind.ASSIGNED: "assignee_id",
    EventKind.TEAM_CHANGED: "group_id",
    EventKind.TAGS_CHANGED: "tags",
    EventKind.SUBJECT_CHANGED: "subject",
    EventKind.CUSTOM_FIELD_CHANGED: "custom_field",
}
COMMENTS = (EventKind.MESSAGE_ADDED, EventKind.NOTE_ADDED)
LISTED = (EventKind.CREATED, *COMMENTS, *CHANGES, EventKind.SATISFACTION_RATED)


def _ref_id(value: Any) -> int | None:
    return value.get("id") if isinstance(value, dict) else None


def _status(value: Any) -> str | None:
    return STATUS_OUT.get(value) if isinstance(value, str) else None  # type: ignore[call-overload]


def change(kind: str, data: dict[str, Any], field_ids: dict[str, int]) -> dict[str, Any] | None:
    """The ``Change`` event of one history entry (None: nothing Zendesk would call a change)."""
    name = CHANGES[kind]
    old, new = data.get("old"), data.get("new")
    if kind == EventKind.STATUS_CHANGED:
        old, new = _status(old), _status(new)
    elif kind in (EventKind.ASSIGNED, EventKind.TEAM_CHANGED):
        old, new = _ref_id(old), _ref_id(new)
    elif kind == EventKind.TAGS_CHANGED:
        new = sorted(data.get("tags") or [])
        old = sorted((set(new) - set(data.get("added") or [])) | set(data.get("removed") or []))
    elif kind == EventKind.CUSTOM_FIELD_CHANGED:
        field_id = field_ids.get(data.get("field") or "")
        if field_id is None:
            return None  # a field deleted since
        name = str(field_id)
    if old == new:
        return None
    return {"id": None, "type": "Change", "field_name": name, "value": new, "previous_value": old}


class AuditList(ZendeskView):
    """GET tickets/{id}/audits.json (cursor pages: ``page[size]``, ``page[after]``/``page[before]``)."""

    def get(self, request, pk: int):
        ticket = selectors.ticket_get_for_user(request.user, pk)
        order = "-created_at" if request.query_params.get("sort_order") == "desc" else "created_at"
        keys = keyset.ordering_keys({"created_at": "created_at"}, order)
        entries = selectors.events_for(request.user, ticket).filter(kind__in=LISTED)
        page, size = cursor_page(self, entries, keys)
        shapes = Shapes(request, request.user)
        message_ids = [e.data.get("message_id") for e in page.items if e.kind in (EventKind.CREATED, *COMMENTS)]
        wanted = [m for m in message_ids if isinstance(m, int)]
        messages = (
            {m.pk: m for m in selectors.messages_for(request.user, ticket).filter(pk__in=wanted)} if wanted else {}
        )
        field_ids = (
            {f.key: f.pk for f in shapes.fields()}
            if any(e.kind == EventKind.CUSTOM_FIELD_CHANGED for e in page.items)
            else {}
        )
        audits = []
        for entry in page.items:
            data = entry.data or {}
            events: list[dict[str, Any]] = []
            if entry.kind == EventKind.CREATED:
                values = {
                    "subject": data.get("subject"),
                    "status": "new" if data.get("status") == "open" else _status(data.get("status")),
                    "priority": data.get("priority"),
                    "requester_id": _ref_id(data.get("requester")),
                }
                events += [{"id": None, "type": "Create", "field_name": k, "value": v} for k, v in values.items()]
            elif entry.kind in CHANGES:
                event = change(entry.kind, data, field_ids)
                if event is not None:
                    events.append(event)
            elif entry.kind == EventKind.SATISFACTION_RATED:
                events.append(
                    {
                        "id": None,
                        "type": "SatisfactionRating",
                        "score": data.get("score"),
                        "previous_score": data.get("old"),
                        "assignee_id": None,
                        "body": None,
                    }
                )
            message_id = data.get("message_id") if entry.kind in (EventKind.CREATED, *COMMENTS) else None
            message = messages.get(message_id) if isinstance(message_id, int) else None
            if message is not None:
                events.insert(0, shapes.comment(message))
            if not events:
                continue  # a change Zendesk would not list (open → in progress), or a note not shown
            for number, event in enumerate(events):
                if event["id"] is None:  # a comment keeps its own id (the message's)
                    event["id"] = entry.pk * 100 + number  # stable, unique within the desk
            audits.append(
                {
                    "id": entry.pk,
                    "ticket_id": ticket.pk,
                    "created_at": timestamp(entry.created_at),
                    "author_id": entry.actor_id if entry.actor_id is not None else -1,
                    "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
                    "metadata": {"system": {}, "custom": {}},
                    "events": events,
                }
            )
        params: dict[str, Any] = {"page[size]": size, **({"sort_order": "desc"} if order.startswith("-") else {})}
        path = reverse("api:zendesk-ticket-audits", args=[ticket.pk])
        return Response(cursor_answer(self, "audits", audits, page, path, params))
