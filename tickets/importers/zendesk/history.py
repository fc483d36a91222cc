"""A Zendesk ticket's history, from its audits (``tickets/{id}/audits.json``), and its
satisfaction rating.

Each audit is a moment (``created_at``) and an author (``author_id``; Zendesk's system is -1)
with events. ``Change`` events become our history entries with the audit's time and author —
status, priority, assignee, team (``group_id``), tags, subject and custom fields (the fields
matched by ``read_ticket_fields``) — in the formats the services write (``tickets.services``:
``{"old", "new"}``, people and teams as ``{"id", "name"}``, tags as added/removed/all). ``Create``
events give the team and assignee a ticket was filed with. ``Comment`` events are left to
``parts`` (the comments endpoint carries them whole), ``SatisfactionRating`` events become the
requester's "rated" entries once the rating is written (``rated``). Every other event type
(notifications, triggers' notes, SLA…) has no entry here.

Each audit is linked (``ImportLink`` kind ``audit``, to the ticket) once its entries are written,
so a repeated import writes only the audits that came since.

The rating: Zendesk's ticket carries its latest solve's ``satisfaction_rating``. ``good`` and
``bad`` (with the comment) and ``offered`` become the ``SatisfactionRating`` of the ticket's latest
imported solve, crediting the assignee and team of that moment (replayed from the history), as
``tickets.satisfaction.services.offer`` would have — written directly, so nobody is emailed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.permissions import holds_staff_role
from tickets.importers import writer
from tickets.importers.framework import Outcome
from tickets.importers.zendesk import mapping
from tickets.models import EventKind, FieldType, Status, Ticket, TicketEvent
from tickets.satisfaction.models import COMMENT_MAX, SatisfactionRating, Score
from tickets.services.changes import person, team_ref
from tickets.services.custom_fields import clean_value, display_text

if TYPE_CHECKING:
    from tickets.importers.zendesk.importer import ZendeskImporter

#: Zendesk's ``Change`` field names → (our entry, whether the requester sees it).
FIELDS = {
    "status": (EventKind.STATUS_CHANGED, True),
    "priority": (EventKind.PRIORITY_CHANGED, True),
    "assignee_id": (EventKind.ASSIGNED, True),
    "group_id": (EventKind.TEAM_CHANGED, False),
    "tags": (EventKind.TAGS_CHANGED, False),
    "subject": (EventKind.SUBJECT_CHANGED, True),
}


def _tag_list(value: Any) -> list[str]:
    """Zendesk gives tags as a list (or, in older audits, one space-separated string)."""
    if isinstance(value, str):
        value = value.split()
    kept, _left = mapping.tags(value if isinstance(value, list) else [])
    return sorted(kept)


class History:
    def __init__(self, importer: ZendeskImporter):
        self.importer = importer
        self.session = importer.session

    # --- reading the source's values --------------------------------------------------------------

    def _staff(self, source_id: Any) -> User | None:
        user = self.importer.user(_number(source_id))
        return user if user is not None and holds_staff_role(user) else None

    def _entry(self, name: str, old: Any, new: Any) -> tuple[str, dict[str, Any], bool] | None:
        """(kind, data, public) of one ``Change``; None when it is not one we keep."""
        if name in FIELDS:
            kind, public = FIELDS[name]
            if name == "status":
                old, new = mapping.status(old), mapping.status(new)
                if new is None:
                    return None  # deleted: not a status here
            elif name == "priority":
                old, new = mapping.priority(old), mapping.priority(new)
            elif name == "assignee_id":
                old, new = person(self._staff(old)), person(self._staff(new))
            elif name == "group_id":
                old, new = team_ref(self.importer.team(_number(old))), team_ref(self.importer.team(_number(new)))
            elif name == "tags":
                before, after = _tag_list(old), _tag_list(new)
                if before == after:
                    return None
                added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
                return kind, {"added": added, "removed": removed, "tags": after}, public
            if old == new:
                return None
            return kind, {"old": old, "new": new}, public
        return self._custom_field(name, old, new)

    def _custom_field(self, name: str, old: Any, new: Any) -> tuple[str, dict[str, Any], bool] | None:
        field_id = _number(name)
        field = (self.importer.fields or {}).get(field_id) if field_id is not None else None
        if field is None:
            return None  # not a custom field, or one this desk has no counterpart of

        def clean(value: Any) -> Any:
            try:
                return clean_value(field, value) if value not in (None, "", []) else None
            except ValidationError:  # a past value our field would not take now: kept as it was
                return value

        old, new = clean(old), clean(new)
        if old == new:
            return None
        data: dict[str, Any] = {
            "field": field.key,
            "label": field.label,
            "type": field.field_type,
            "old": old,
            "new": new,
        }
        if field.field_type in (FieldType.DROPDOWN, FieldType.MULTISELECT):
            data["old_text"] = display_text(field, old)
            data["new_text"] = display_text(field, new)
        return EventKind.CUSTOM_FIELD_CHANGED, data, bool(field.visible_to_customers)

    # --- writing ------------------------------------------------------------------------------------

    def write(self, ticket: Ticket, audits: list[dict[str, Any]]) -> list[tuple[datetime, User | None, dict]]:
        """Write the entries of the audits not imported before, oldest first; returns the
        satisfaction events among them (written by ``rated`` once the rating is)."""
        links = self.session.links
        links.preload("audit", [a.get("id") for a in audits])
        rated: list[tuple[datetime, User | None, dict]] = []
        ordered = sorted(audits, key=lambda a: (mapping.moment(a.get("created_at")) or ticket.created_at, a["id"]))
        for audit in ordered:
            if links.get("audit", audit["id"]) is not None:
                continue
            at = mapping.moment(audit.get("created_at")) or ticket.created_at
            actor = self.importer.user(_number(audit.get("author_id")))
            for event in audit.get("events") or []:
                kind = event.get("type") if isinstance(event, dict) else None
                entry = None
                if kind == "Change":
                    entry = self._entry(str(event.get("field_name")), event.get("previous_value"), event.get("value"))
                elif kind == "Create" and event.get("field_name") in ("group_id", "assignee_id"):
                    entry = self._entry(str(event["field_name"]), None, event.get("value"))
                elif kind == "SatisfactionRating" and event.get("score") in (Score.GOOD, Score.BAD):
                    rated.append((at, actor, event))
                if entry is not None:
                    kind_, data, public = entry
                    writer.event_write(ticket, kind=kind_, actor=actor, data=data, public=public, at=at)
                    self.session.report.add("history", Outcome.CREATED)
            links.put("audit", audit["id"], ticket.pk)
        return rated

    def rating(self, ticket: Ticket, row: dict[str, Any], rated: list[tuple[datetime, User | None, dict]]) -> None:
        """The ticket's latest survey as the source has it (see the module docstring), then the
        requester's "rated" entries of the audits just read."""
        given = row.get("satisfaction_rating")
        if not isinstance(given, dict) or given.get("score") not in Score.values:
            return  # "unoffered", or an account without ratings
        score = str(given["score"])
        entries = list(
            TicketEvent.objects.filter(
                ticket=ticket, kind__in=[EventKind.STATUS_CHANGED, EventKind.ASSIGNED, EventKind.TEAM_CHANGED]
            ).order_by("created_at", "id")
        )
        solves = [e for e in entries if e.kind == EventKind.STATUS_CHANGED and e.data.get("new") == Status.SOLVED]
        if not solves:
            if score != Score.OFFERED:
                self.session.report.add(
                    "satisfaction", Outcome.SKIPPED, reason=_("no solve in the ticket's history"), key=row["id"]
                )
            return
        solve = solves[-1]
        assignee_id = team_id = None
        for entry in entries[: entries.index(solve)]:
            if entry.kind == EventKind.ASSIGNED:
                assignee_id = (entry.data.get("new") or {}).get("id")
            elif entry.kind == EventKind.TEAM_CHANGED:
                team_id = (entry.data.get("new") or {}).get("id")
        comment = str(given.get("comment") or "")[:COMMENT_MAX] if score != Score.OFFERED else ""
        offered_at = mapping.moment(given.get("created_at")) or solve.created_at
        changed_at = mapping.moment(given.get("updated_at")) or offered_at
        values = {
            "requester_id": ticket.requester_id,
            # Whoever it was, if their account is still here.
            "assignee_id": assignee_id if assignee_id and User.objects.filter(pk=assignee_id).exists() else None,
            "team_id": team_id if team_id and Team.objects.filter(pk=team_id).exists() else None,
            "score": score,
            "comment": comment,
            "created_at": offered_at,
            # Zendesk's rating says when it was offered and when it last changed: the answer.
            "rated_at": changed_at if score != Score.OFFERED else None,
            "updated_at": changed_at,
        }
        rating, made = SatisfactionRating.objects.get_or_create(ticket=ticket, solve_event=solve, defaults=values)
        if not made:
            if rating.rated_at is not None and values["rated_at"] is not None:
                values["rated_at"] = rating.rated_at  # the first answer's time stays
            if all(getattr(rating, name) == value for name, value in values.items()):
                self._rated(ticket, rating, rated)
                return
            for name, value in values.items():
                setattr(rating, name, value)
            rating.save()
        self.session.report.add("satisfaction", Outcome.CREATED if made else Outcome.UPDATED)
        self._rated(ticket, rating, rated)

    def _rated(
        self, ticket: Ticket, rating: SatisfactionRating, rated: list[tuple[datetime, User | None, dict]]
    ) -> None:
        previous: str | None = None
        for at, actor, event in rated:
            score = event["score"]
            old = event.get("previous_score") if "previous_score" in event else previous
            data = {"score": score, "old": old, "rating_id": rating.pk, "commented": bool(rating.comment)}
            writer.event_write(ticket, kind=EventKind.SATISFACTION_RATED, actor=actor, data=data, public=True, at=at)
            self.session.report.add("history", Outcome.CREATED)
            previous = score


def _number(value: Any) -> int | None:
    """An id as Zendesk's audits give it: a number, or a number in a string (None otherwise)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None
