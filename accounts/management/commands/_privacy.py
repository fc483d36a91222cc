"""What the data protection commands share: finding the person and the admin who acts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import User
from accounts.permissions import administers
from accounts.privacy import services
from helpdesk.forms import error_text


def person(email: str) -> User:
    try:
        return services.find_person(email)
    except ValidationError as exc:
        raise CommandError(error_text(exc)) from None


def actor(email: str | None) -> User | None:
    """The admin named by ``--actor`` (the audit entry names them), or None: the desk's own account."""
    if not email:
        return None
    user = User.objects.with_email(email).first()
    if user is None or not administers(user):
        raise CommandError(f"--actor {email}: no active admin has this address.")
    return user
