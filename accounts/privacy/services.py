"""Exporting everything the desk holds about one person, and erasing a person (README, "Data
protection"). Every run writes an audit log entry (``accounts.audit``) in its transaction."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.permissions import active_admins, may_erase_people, may_export_own_data, may_export_people
from accounts.privacy.registry import PLACEHOLDER_DOMAIN, Bundle, Erasure, parts, placeholder_account, placeholder_email

#: The format of ``person.json``; raised when its shape changes.
EXPORT_VERSION = 1
#: The export zip is kept in memory up to this size, then in a temporary file (bounded memory).
SPOOL_BYTES = 8 * 1024 * 1024

#: The desk's own account: the author of audit entries for runs nobody signed in asked for
#: (the retention schedule, a command run without ``--actor``). Inactive, no password.
DESK_ACCOUNT_EMAIL = f"helpdesk-system@{PLACEHOLDER_DOMAIN}"
DESK_ACCOUNT_NAME = "Helpdesk (automatic)"


def desk_account() -> User:
    """The desk's own account (made on first use)."""
    return placeholder_account(DESK_ACCOUNT_EMAIL, DESK_ACCOUNT_NAME)


def holds_no_personal_data(user: User) -> bool:
    """Whether ``user`` is an erased person or one of the desk's own accounts."""
    return user.email.endswith(f"@{PLACEHOLDER_DOMAIN}")


def find_person(email: str) -> User:
    """The person with this address, or a ``ValidationError`` on ``email`` naming it."""
    user = User.objects.with_email(email).first()
    if user is None:
        raise ValidationError({"email": [_("Nobody has the address %(email)s.") % {"email": email}]})
    return user


# --- audit -----------------------------------------------------------------------------------------


def record(actor: User | None, action: str, counts: dict[str, int | str], obj: Any = None, repr_: str = "") -> LogEntry:
    """One audit entry for a privacy action (``action`` untranslated, shown translated): field
    "Action" with the action, then one line per count. ``obj`` the person (or None for a retention run)."""
    facts = [[gettext_noop("Action"), action]] + [[label, str(number)] for label, number in counts.items()]
    message = json.dumps([{"facts": facts}])
    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    with translation.override(None):
        return LogEntry.objects.create(
            user_id=(actor or desk_account()).pk,
            content_type=content_type,
            object_id=str(obj.pk) if obj is not None else None,
            object_repr=(str(obj) if obj is not None else repr_)[:200],
            action_flag=CHANGE,
            change_message=message,
        )


# --- export --------------------------------------------------------------------------------------


def collect(person: User) -> Bundle:
    """Everything about ``person``, from every part (the JSON and the files to pack); the long
    sections are read while ``write_zip`` writes them."""
    bundle = Bundle(person=person)
    with translation.override(None):
        for part in parts():
            part.export(bundle)
    return bundle


def write_zip(bundle: Bundle, out: IO[bytes]) -> None:
    """``person.json``, written section by section (iterator sections item by item), then every
    file, read one at a time through the storage API."""
    document = {
        "format": "helpdesk-person-export",
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        **bundle.data,
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("person.json", "w", force_zip64=True) as target, translation.override(None):
            for chunk in _json_chunks(document):
                target.write(chunk.encode())
        for arcname, opener in bundle.files:
            try:
                source = opener()
            except OSError:
                continue  # a file missing from storage (check_attachments reports it); the JSON says it existed
            with source, archive.open(arcname, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target, 1024 * 1024)


def _dumps(value: Any, indent: str) -> str:
    """``value`` as indented JSON, its lines after the first indented by ``indent`` (a JSON string
    holds no raw line break, so every one is between values)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).replace("\n", "\n" + indent)


def _json_chunks(document: dict[str, Any]) -> Iterator[str]:
    """``document`` as the same indented JSON ``json.dumps(document, indent=2)`` would give, one
    section (or one item of an iterator section) at a time."""
    yield "{"
    for number, (key, value) in enumerate(document.items()):
        yield ("," if number else "") + "\n  " + json.dumps(key) + ": "
        if isinstance(value, Iterator):
            empty = True
            for item in value:
                yield ("[" if empty else ",") + "\n    " + _dumps(item, "    ")
                empty = False
            yield "[]" if empty else "\n  ]"
        else:
            yield _dumps(value, "  ")
    yield "\n}"


def export_person(*, actor: User | None, person: User) -> IO[bytes]:
    """The export of ``person`` as a zip in a temporary file (rewound), and its audit entry.

    ``actor``: the admin asking, the person themselves (a customer, from their profile), or
    None for the command line."""
    if actor is not None and not (may_export_people(actor) or (actor.pk == person.pk and may_export_own_data(actor))):
        raise PermissionDenied(_("Only admins can export a person's data."))
    bundle = collect(person)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 — handed to the caller
    write_zip(bundle, out)
    out.seek(0)
    with transaction.atomic():
        record(actor, gettext_noop("Personal data exported"), _audit_counts(bundle.counts), person)
    return out


def _audit_counts(counts: dict[str, int]) -> dict[str, int | str]:
    """The counts as the audit entry keeps them (labels untranslated, marked by each part)."""
    return dict(counts)


# --- erasure -------------------------------------------------------------------------------------


def check_erasable(*, actor: User | None, person: User) -> None:
    """Why ``person`` cannot be erased by ``actor``, as a ``ValidationError`` (or
    ``PermissionDenied`` for someone who may not erase anyone); nothing when they can."""
    if actor is not None and not may_erase_people(actor):
        raise PermissionDenied(_("Only admins can erase a person."))
    if holds_no_personal_data(person):
        raise ValidationError(_("This account holds no personal data: it was erased already or belongs to the desk."))
    if actor is not None and actor.pk == person.pk:
        raise ValidationError(_("You cannot erase your own account. Ask another admin."))
    if list(active_admins().values_list("pk", flat=True)) == [person.pk]:
        raise ValidationError(_("This is the last active admin. Make someone else an admin first."))


def erase_person(*, actor: User | None, person: User, erase_messages: bool = False) -> dict[str, int | str]:
    """Erase ``person``: their name and address everywhere, their files, sessions, tokens and
    notifications; their tickets stay readable under "Deleted user" (README, "Data protection").
    All or nothing; stored files go once the transaction commits. Returns the counts."""
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        # The active admins' rows are locked too: two admins erasing each other cannot both succeed.
        list(active_admins().select_for_update().values_list("pk", flat=True))
        check_erasable(actor=actor, person=person)
        erasure = Erasure(
            person=person,
            actor=actor,
            old_name=person.name,
            old_email=person.email,
            new_email=placeholder_email(person),
            erase_messages=erase_messages,
        )
        for part in parts():
            part.erase(erasure)
        counts = _audit_counts(erasure.counts)
        action = gettext_noop("Erased (with their message bodies)") if erase_messages else gettext_noop("Erased")
        record(actor, action, counts, person)
    return counts
