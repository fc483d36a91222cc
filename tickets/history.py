"""History entries in words, for every page that shows a ticket's history."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from tickets.models import Category, EventKind, Priority, Status, TicketEvent

#: The name the desk's own changes are stored under (``services.changes``); shown translated.
SYSTEM = "System"


def _label(choices, value: Any) -> str:
    if value is None or value == "":
        return pgettext("no value", "none")
    return str(choices(value).label) if value in choices.values else str(value)


def _name(person: Any) -> str:
    return (person.get("name") or _("someone")) if isinstance(person, dict) else _("nobody")


def actor_name(event: TicketEvent) -> str:
    """Who did it: the name kept on the event, or "System" (in the reader's language) for the
    desk's own changes, which store the English word."""
    if event.actor_id is None and event.actor_name in ("", SYSTEM):
        return _("System")
    return event.actor_name


def _reason(data: dict) -> str:
    return _(" (%(reason)s)") % {"reason": data["reason"]} if data.get("reason") else ""


def describe(event: TicketEvent) -> str:
    """What an event did, as the end of a sentence whose subject is the actor:
    "changed the status from Open to Pending". Used by the agent timeline, the portal's history
    and the stale-reply warning, so every page words history the same way. In the active language."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return _("opened the ticket")
    if kind == EventKind.MESSAGE_ADDED:
        return _("replied")
    if kind == EventKind.NOTE_ADDED:
        return _("added an internal note")
    if kind == EventKind.STATUS_CHANGED:
        return _("changed the status from %(old)s to %(new)s") % {
            "old": _label(Status, data.get("old")),
            "new": _label(Status, data.get("new")),
        }
    if kind == EventKind.PRIORITY_CHANGED:
        return _("changed the priority from %(old)s to %(new)s") % {
            "old": _label(Priority, data.get("old")),
            "new": _label(Priority, data.get("new")),
        }
    if kind == EventKind.CATEGORY_CHANGED:
        return _("changed the category from %(old)s to %(new)s") % {
            "old": _label(Category, data.get("old")),
            "new": _label(Category, data.get("new")),
        }
    if kind == EventKind.ASSIGNED:
        new = data.get("new")
        if data.get("claimed"):
            return _("claimed the ticket")
        if new is None:
            return _("unassigned %(name)s") % {"name": _name(data.get("old"))} + _reason(data)
        return _("assigned the ticket to %(name)s") % {"name": _name(new)}
    if kind == EventKind.TEAM_CHANGED:
        old, new = data.get("old"), data.get("new")
        if old is None:
            moved = _("routed the ticket to team %(team)s") % {"team": _name(new)}
        elif new is None:
            moved = _("took the ticket out of team %(team)s") % {"team": _name(old)}
        else:
            moved = _("moved the ticket from team %(old)s to team %(new)s") % {"old": _name(old), "new": _name(new)}
        if data.get("unassigned"):  # internal, like the move: the requester sees only the unassignment
            moved = _("%(moved)s and unassigned %(name)s") % {"moved": moved, "name": _name(data["unassigned"])}
            moved += _reason(data)
        return moved
    if kind == EventKind.TAGS_CHANGED:
        added = _("added tags %(tags)s") % {"tags": ", ".join(data["added"])} if data.get("added") else ""
        removed = _("removed tags %(tags)s") % {"tags": ", ".join(data["removed"])} if data.get("removed") else ""
        if added and removed:
            return _("%(added)s and %(removed)s") % {"added": added, "removed": removed}
        return added or removed or _("changed the tags")
    if kind == EventKind.SUBJECT_CHANGED:
        return _("changed the subject to “%(subject)s”") % {"subject": data.get("new", "")}
    if kind == EventKind.ATTACHMENT_ADDED:
        if data.get("removed"):  # erased with its uploader, or by the retention policy (tickets.privacy)
            return _("attached a file (since removed)")
        if data.get("filename"):
            return _("attached %(filename)s") % {"filename": data["filename"]}
        return _("attached a file")
    if kind == EventKind.COLLABORATOR_ADDED:
        return _("shared the ticket with %(name)s") % {"name": _name(data.get("user"))}
    if kind == EventKind.COLLABORATOR_REMOVED:
        return _("stopped sharing the ticket with %(name)s") % {"name": _name(data.get("user"))}
    if kind == EventKind.CUSTOM_FIELD_CHANGED:
        return _custom_field(data)
    if kind in _SLA_KINDS:
        return _sla(kind, data)
    if kind == EventKind.SATISFACTION_RATED:
        return _satisfaction(data)
    if kind == EventKind.PERSON_ERASED:
        return _erased(data)
    if kind == EventKind.TICKET_ANONYMIZED:
        return _("anonymized the ticket (retention policy)")
    return str(EventKind(kind).label).lower() if kind in EventKind.values else kind


_SLA_KINDS = (EventKind.SLA_POLICY_APPLIED, EventKind.SLA_FULFILLED, EventKind.SLA_WARNING, EventKind.SLA_BREACHED)


def _sla(kind: str, data: dict) -> str:
    """The SLA's own events (internal: agents only, as every event stored ``public=False``)."""
    from tickets.sla.models import Metric

    if kind == EventKind.SLA_POLICY_APPLIED:
        policy = data.get("policy")
        if not isinstance(policy, dict):
            return _("stopped applying an SLA policy")
        return _("applied SLA policy “%(name)s”") % {"name": policy.get("name") or "?"}
    metric = data.get("metric")
    target = _label(Metric, metric).lower() if metric else _("an SLA target")
    if kind == EventKind.SLA_FULFILLED:
        return _("recorded the %(target)s target as met") % {"target": target}
    if kind == EventKind.SLA_WARNING:
        minutes = data.get("warning_minutes") or 30
        return ngettext(
            "warned that the %(target)s target breaches within %(minutes)s minute",
            "warned that the %(target)s target breaches within %(minutes)s minutes",
            minutes,
        ) % {"target": target, "minutes": minutes}
    return _("recorded the %(target)s target as breached") % {"target": target}


def _satisfaction(data: dict) -> str:
    """The requester's answer to a satisfaction survey (``tickets.satisfaction``); the comment
    stays on the rating, shown to the people who may see it."""
    from tickets.satisfaction.models import Score

    new, old = data.get("score"), data.get("old")
    if old and old != new:
        return _("changed the satisfaction rating from %(old)s to %(new)s") % {
            "old": _label(Score, old),
            "new": _label(Score, new),
        }
    return _("rated the support: %(score)s") % {"score": _label(Score, new)}


def _erased(data: dict) -> str:
    """A person of the ticket was erased (``tickets.privacy``): which role they had, never who."""
    roles = data.get("roles") or []
    if "requester" in roles:
        return _("erased the requester's personal data")
    if "cc" in roles:
        return _("erased the personal data of a person in Cc")
    return _("erased the personal data of the assignee")


def via(event: TicketEvent) -> str:
    """ " (via macro “Refund sent”)" for a change a macro, trigger or automation made
    (``tickets.rules.context``), else "". For the people who work the ticket: a rule's name is
    the desk's own business, not the customer's."""
    rule = (event.data or {}).get("via")
    if not isinstance(rule, dict) or not rule.get("name"):
        return ""
    kind = rule.get("kind")
    if kind == "macro":
        return _(" (via macro “%(name)s”)") % {"name": rule["name"]}
    if kind == "trigger":
        return _(" (via trigger “%(name)s”)") % {"name": rule["name"]}
    if kind == "automation":
        return _(" (via automation “%(name)s”)") % {"name": rule["name"]}
    if kind == "sla_policy":
        return _(" (via SLA policy “%(name)s”)") % {"name": rule["name"]}
    return ""


def custom_value_text(value: Any, text: Any = None) -> str:
    """A custom field's stored value in words: its option labels when the history kept them
    (``text``), Yes/No for a checkbox, the list joined, the value itself otherwise."""
    if text not in (None, ""):
        return str(text)
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _custom_field(data: dict) -> str:
    label = data.get("label") or data.get("field") or ""
    old, new = data.get("old"), data.get("new")
    if new is None:
        return _("cleared %(field)s") % {"field": label}
    new_text = custom_value_text(new, data.get("new_text"))
    if old is None:
        return _("set %(field)s to %(new)s") % {"field": label, "new": new_text}
    return _("changed %(field)s from %(old)s to %(new)s") % {
        "field": label,
        "old": custom_value_text(old, data.get("old_text")),
        "new": new_text,
    }


def sentence(event: TicketEvent) -> str:
    """A whole sentence: "Alice Agent changed the status from Open to Pending"."""
    return _("%(actor)s %(action)s") % {"actor": actor_name(event), "action": describe(event)}
