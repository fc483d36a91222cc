"""manage.py export_person EMAIL --out FILE [--actor ADMIN_EMAIL]

Everything the desk holds about one person as one zip: ``person.json`` and the files of their
tickets they may see (README, "Data protection"). Files are read through the storage API (local
disk or S3). The run is written to the audit log (by ``--actor``, else the desk's own account).
"""

from __future__ import annotations

import shutil

from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands import _privacy
from accounts.privacy import services


class Command(BaseCommand):
    help = "Export everything about one person (JSON and their files) as a zip."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--out", required=True, help="Where to write the zip.")
        parser.add_argument("--actor", default=None, help="The admin doing this, for the audit log.")

    def handle(self, *args, email, out, actor, **options):
        person = _privacy.person(email)
        who = _privacy.actor(actor)
        archive = services.export_person(actor=who, person=person)
        try:
            with archive, open(out, "wb") as target:
                shutil.copyfileobj(archive, target, 1024 * 1024)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror or exc}") from None
        self.stdout.write(f"Exported {email} to {out}.")
