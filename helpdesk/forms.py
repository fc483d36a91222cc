"""Putting a service's ``ValidationError`` back on a page's form: one way, for every app.

Services validate fully and raise ``ValidationError`` — by field (``{"email": [...]}``) or as a
whole. Views catch it and hand it here, so the person sees each message next to the field it is
about, and anything else at the top of the form.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


def apply_errors(form: forms.Form, exc: ValidationError, *, aliases: Mapping[str, str] | None = None) -> None:
    """Add the messages of ``exc`` to ``form``: a field's messages on that field (``aliases`` may
    rename a service's field to the form's, e.g. ``{"file": "attachments"}``), the rest — errors
    without a field, or on a field the form does not have — on the form as a whole."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        name = (aliases or {}).get(field, field) if field not in form.fields else field
        form.add_error(name if name in form.fields else None, messages)


def error_text(exc: ValidationError) -> str:
    """All the messages of ``exc`` as one sentence, for a flash message."""
    if hasattr(exc, "error_dict"):
        return " ".join(" ".join(messages) for messages in exc.message_dict.values())
    return " ".join(exc.messages)
