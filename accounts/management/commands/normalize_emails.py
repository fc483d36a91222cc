"""manage.py normalize_emails

Put stored user and invite addresses into the normal form sign-in matches (migration 0004 does it
once; run this after resolving the collisions it reported). Users whose addresses share a normal
form are listed and left unchanged: give all but one of them another address first.
"""

from django.core.management.base import BaseCommand

from accounts.addresses import normalize_stored_emails
from accounts.models import Invite, User


class Command(BaseCommand):
    help = "Normalise stored email addresses (NFKC + casefold); list users that would collide."

    def handle(self, *args, **options):
        report = normalize_stored_emails(User, Invite)
        self.stdout.write(f"Rewrote {report.changed} address(es).")
        for form, pks in report.collisions.items():
            emails = ", ".join(User.objects.filter(pk__in=pks).order_by("pk").values_list("email", flat=True))
            self.stdout.write(self.style.WARNING(f"Left unchanged, one address once normalised ({form}): {emails}"))
        if not report.collisions:
            self.stdout.write(self.style.SUCCESS("Every stored address is in the normal form."))
