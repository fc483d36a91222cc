"""manage.py erase_person EMAIL [--erase-messages] [--yes] [--actor ADMIN_EMAIL]

Erase a person (README, "Data protection"): their name and address everywhere become "Deleted
user" and a placeholder, their files are deleted, their account can no longer sign in; their
tickets stay readable. ``--erase-messages`` also replaces the bodies of the messages they wrote.
Asks first unless ``--yes``. Refuses the last active admin. Written to the audit log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands import _privacy
from accounts.privacy import services
from helpdesk.forms import error_text


class Command(BaseCommand):
    help = "Erase a person: anonymize their name and address everywhere, delete their files."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--erase-messages", action="store_true", help="Also erase the bodies of their messages.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--actor", default=None, help="The admin doing this, for the audit log.")

    def handle(self, *args, email, erase_messages, yes, actor, **options):
        person = _privacy.person(email)
        who = _privacy.actor(actor)
        try:
            services.check_erasable(actor=who, person=person)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(error_text(exc) if isinstance(exc, ValidationError) else str(exc)) from None
        if not yes:
            answer = input(f"Erase {person.name} <{person.email}>? This cannot be undone. Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing erased.")
        try:
            counts = services.erase_person(actor=who, person=person, erase_messages=erase_messages)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(error_text(exc) if isinstance(exc, ValidationError) else str(exc)) from None
        summary = ", ".join(f"{label}: {number}" for label, number in counts.items())
        self.stdout.write(f"Erased user #{person.pk}. {summary}")
