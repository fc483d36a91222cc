"""The audit log of the settings area: who changed what, when, from which value to which.

Entries are Django's own ``django.contrib.admin.models.LogEntry`` rows, so the back office
(``/admin/``, each object's "History") and the settings area's audit log show one history: the
admin's own changes appear in the settings area, and ours in the admin's history pages.

``change_message`` is the JSON the admin understands (``[{"changed": {"fields": [...]}}]``,
``[{"added": {"name": ..., "object": ...}}]``), with one addition the admin ignores: ``"values"``,
the old and new value of each changed field (or ``"facts"``: what an action did, label and value,
for exports, erasures and retention runs), which the settings area shows as "Role: Agent →
Admin". Field names and values are stored untranslated, as the admin stores its own, and
translated when shown.

Views change things inside ``changing()``: one transaction holds the change and its entry, so an
entry is never written for a change that rolled back, nor a change made without its entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop, pgettext

from accounts.models import Invite, Organization, Team, User

#: What an object looks like to the audit log: field label -> value as text.
Values = dict[str, str]

NOTHING = "—"


#: Fields whose values are the product's words (choices, yes/no), translated when shown; other
#: values (names, emails) are people's own words and shown as stored.
WORD_FIELDS = {
    "Role", "Ticket scope", "Active", "Shares tickets",
    # Registered by other apps' settings pages (tickets.mail.settings: mailboxes, inbound messages).
    "Default priority", "Allow unknown senders", "Cc as collaborators", "IMAP security", "IMAP password", "State",
    # tickets.services.ticket_fields: ticket field definitions.
    "Type", "Visible to customers", "Required in the portal", "Required before solving",
    # tickets.services.macros: shared macros.
    "Shared with",
    # accounts.privacy: exports, erasures and retention runs.
    "Action",
}  # fmt: skip


def untranslated(values: Callable[[Any], Values]) -> Callable[[Any], Values]:
    """``values`` computed with translation off, so choice labels are stored in the source language."""

    @wraps(values)
    def inner(obj: Any) -> Values:
        with translation.override(None):
            return values(obj)

    return inner


def _yes_no(value: bool) -> str:
    return gettext_noop("Yes") if value else gettext_noop("No")


@untranslated
def person_values(user: User) -> Values:
    """A person's fields the settings area changes (teams from the database: one query)."""
    teams = ", ".join(sorted(team.name for team in user.teams)) or NOTHING
    return {
        gettext_noop("Name"): user.name,
        gettext_noop("Role"): str(user.get_role_display()),
        gettext_noop("Ticket scope"): str(user.get_ticket_scope_display()),
        gettext_noop("Organization"): str(user.organization) if user.organization_id else NOTHING,
        gettext_noop("Teams"): teams,
        gettext_noop("Active"): _yes_no(user.is_active),
    }


@untranslated
def team_values(team: Team) -> Values:
    return {gettext_noop("Name"): team.name, gettext_noop("Description"): team.description or NOTHING}


@untranslated
def organization_values(organization: Organization) -> Values:
    return {
        gettext_noop("Name"): organization.name,
        gettext_noop("Shares tickets"): _yes_no(organization.share_tickets),
    }


@untranslated
def invitation_values(invite: Invite) -> Values:
    return {
        gettext_noop("Email"): invite.email,
        gettext_noop("Role"): str(invite.get_role_display()),
        gettext_noop("Team"): invite.team.name if invite.team_id and invite.team else NOTHING,
        gettext_noop("Expires"): f"{invite.expires_at:%Y-%m-%d %H:%M} UTC",
    }


# --- writing -------------------------------------------------------------------------------------


def _log(actor: User, obj: models.Model, flag: int, message: list[dict[str, Any]] | str) -> LogEntry:
    with translation.override(None):  # stored untranslated, like the admin's own entries
        return LogEntry.objects.log_actions(actor.pk, [obj], flag, message, single_object=True)


def record_addition(actor: User, obj: models.Model, values: Values) -> LogEntry:
    """``obj`` was created with ``values``."""
    return _log(actor, obj, ADDITION, [{"added": {}, "values": [[k, "", v] for k, v in values.items()]}])


def record_change(actor: User, obj: models.Model, before: Values, after: Values) -> LogEntry | None:
    """``obj`` changed from ``before`` to ``after``; nothing is written when nothing differs."""
    changes = [[label, before.get(label, ""), value] for label, value in after.items() if before.get(label) != value]
    if not changes:
        return None
    return _log(actor, obj, CHANGE, [{"changed": {"fields": [c[0] for c in changes]}, "values": changes}])


def record_related(actor: User, obj: models.Model, *, added: bool, name: str, related: object) -> LogEntry:
    """A ``name`` ("member") was added to or removed from ``obj``: the admin's inline wording."""
    key = "added" if added else "deleted"
    return _log(actor, obj, CHANGE, [{key: {"name": name, "object": str(related)}}])


def record_deletion(actor: User, obj: models.Model, values: Values) -> LogEntry:
    """``obj`` is about to be deleted (call before deleting: the entry needs its id)."""
    return _log(actor, obj, DELETION, [{"removed": {}, "values": [[k, v, ""] for k, v in values.items()]}])


@contextmanager
def changing(actor: User, obj: Any, values: Callable[[Any], Values]) -> Iterator[None]:
    """Run the change in the ``with`` block and log what it changed, in one transaction."""
    with transaction.atomic():
        before = values(obj)
        yield
        record_change(actor, obj, before, values(obj))


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of an entry as the audit log shows it: "Role: Agent → Admin", or a sentence."""

    field: str = ""
    old: str = ""
    new: str = ""
    text: str = ""


def _shown(field: str, value: str) -> str:
    if value and field == "Role":  # Role's labels are translated in the "role" context
        return pgettext("role", value)
    return gettext(value) if value and (field in WORD_FIELDS or value == NOTHING) else value


def describe(entry: LogEntry) -> list[Line]:
    """What ``entry`` says, line by line, in the reader's language: our entries field by field,
    the admin's own in its own words."""
    try:
        message = json.loads(entry.change_message) if entry.change_message.startswith("[") else None
    except json.JSONDecodeError:
        message = None
    ours = isinstance(message, list) and any(
        isinstance(part, dict) and ("values" in part or "facts" in part) for part in message
    )
    if not ours:
        text = entry.get_change_message() or {
            ADDITION: gettext("Created."),
            CHANGE: gettext("Changed."),
            DELETION: gettext("Deleted."),
        }.get(entry.action_flag, "")
        return [Line(text=text)]
    lines: list[Line] = []
    assert isinstance(message, list)
    for part in message:
        if not isinstance(part, dict):
            continue
        facts = part.get("facts")  # what an action did, line by line ("Files deleted: 2"; accounts.privacy)
        if isinstance(facts, list):
            for item in facts:
                if isinstance(item, list) and len(item) == 2:
                    label, value = (str(v) for v in item)
                    lines.append(Line(text=f"{gettext(label)}: {_shown(label, value)}"))
            continue
        values = part.get("values")
        if isinstance(values, list):
            for item in values:
                if isinstance(item, list) and len(item) == 3:
                    field, old, new = (str(v) for v in item)
                    lines.append(Line(field=gettext(field), old=_shown(field, old), new=_shown(field, new)))
            continue
        for key, wording in (
            ("added", gettext("Added {name} “{object}”.")),
            ("deleted", gettext("Removed {name} “{object}”.")),
        ):
            related = part.get(key)
            if isinstance(related, dict) and "name" in related and "object" in related:
                lines.append(Line(text=wording.format(name=gettext(related["name"]), object=related["object"])))
    return lines or [Line(text=entry.get_change_message())]
