"""Checking what a caller asks a service to write: each cleaner returns the clean value or raises
``ValidationError`` keyed by the field, with a message a person can act on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Person, signed_in
from helpdesk.text import clean_label
from tickets.models import Tag

SUBJECT_MIN, SUBJECT_MAX = 5, 150
DESCRIPTION_MIN, DESCRIPTION_MAX = 20, 20_000
BODY_MAX = 20_000
MAX_TAGS = 10
TAG_RE = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
MAX_METADATA_KEYS = 50
MAX_BULK_TICKETS = 500


def require_signed_in(actor: Person) -> User:
    """``actor`` as a signed-in, active user, or ``PermissionDenied``."""
    if not signed_in(actor):
        raise PermissionDenied(_("Sign in to do that."))
    assert isinstance(actor, User)
    return actor


def clean_subject(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError({"subject": [_("Enter a subject.")]})
    # One line (CR/LF would end up in mail headers), without invisible format characters: a
    # right-to-left override would make "Invoice \u202egpj.exe" read "Invoice exe.jpg".
    subject = clean_label(value)
    if len(subject) < SUBJECT_MIN:
        raise ValidationError(
            {"subject": [_("Use at least %(count)d characters for the subject.") % {"count": SUBJECT_MIN}]}
        )
    if len(subject) > SUBJECT_MAX:
        raise ValidationError(
            {"subject": [_("Use at most %(count)d characters for the subject.") % {"count": SUBJECT_MAX}]}
        )
    return subject


def clean_text(value: Any, *, field: str, minimum: int, maximum: int) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: [_("This field is required.")]})
    text = value.strip()
    if len(text) < minimum:
        raise ValidationError(
            {
                field: [
                    _("Write a message.")
                    if minimum <= 1
                    else _("Use at least %(count)d characters.") % {"count": minimum}
                ]
            }
        )
    if len(text) > maximum:
        raise ValidationError(
            {
                field: [
                    _("Use at most %(count)s characters (%(given)s given).")
                    % {"count": f"{maximum:,}", "given": f"{len(text):,}"}
                ]
            }
        )
    return text


def clean_choice(value: Any, choices: Any, field: str, *, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError(
            {
                field: [
                    _("%(value)s is not a valid %(field)s; use one of: %(allowed)s.")
                    % {"value": repr(value), "field": field, "allowed": allowed}
                ]
            }
        )
    return value


def clean_tags(tags: Any, *, field: str = "tags", limit: int | None = MAX_TAGS) -> list[str]:
    """Tag names, lower-cased and de-duplicated in order; ``ValidationError`` naming ``field``."""
    if tags is None:
        return []
    if isinstance(tags, str) or not isinstance(tags, Iterable):
        raise ValidationError({field: [_("Give a list of tags.")]})
    names: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not TAG_RE.match(tag):
            shown = tag if isinstance(tag, str) and len(tag) <= 60 else f"{str(tag)[:57]}..."
            raise ValidationError(
                {field: [_("Tag %(tag)s is not valid: use 1–50 letters, digits, '-' or '_'.") % {"tag": repr(shown)}]}
            )
        name = tag.lower()
        if name not in names:
            names.append(name)
    if limit is not None and len(names) > limit:
        raise ValidationError(
            {field: [_("Use at most %(count)d tags (%(given)d given).") % {"count": limit, "given": len(names)}]}
        )
    return names


def clean_metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": [_("Metadata must be a JSON object.")]})
    if len(metadata) > MAX_METADATA_KEYS:
        raise ValidationError(
            {
                "metadata": [
                    _("Use at most %(count)d keys (%(given)d given).")
                    % {"count": MAX_METADATA_KEYS, "given": len(metadata)}
                ]
            }
        )
    return metadata


def collect_errors(checks: Iterable[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Run each ``(field, check)``; return the clean values and every error at once, so a form
    shows all its problems together rather than one per attempt."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field, check in checks:
        try:
            clean[field] = check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return clean, errors


def tag_objects(names: list[str]) -> list[Tag]:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in names]
