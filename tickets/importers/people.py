"""Accounts for imported records: the source's users, and customers for bare email addresses.

Every account is made by ``accounts.services.user_create`` without a password (an unusable one):
nobody signs in with an imported account until they reset their password ("Forgot password") or
an admin invites them. Source passwords are never read. An address that already has an account
here is that account, whatever its role: an import never changes an existing person.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Role, User
from tickets.importers.framework import ImportSession, Outcome


def usable_email(email: str | None) -> str | None:
    """``email`` in the desk's normal form, or None when it is not an address we can keep."""
    try:
        return account_services.clean_email(email or "")
    except ValidationError:
        return None


class People:
    """Finds or makes the accounts one import needs, remembering them for the run."""

    def __init__(self, session: ImportSession):
        self.session = session
        self._by_email: dict[str, User] = {}
        session.on_rollback(self._by_email.clear)

    def placeholder_email(self, local: str) -> str:
        """An address for someone the source knows without one (never delivered: ``.invalid``)."""
        local = re.sub(r"[^a-z0-9._-]+", "-", local.lower()).strip(".-") or "someone"
        return f"{local}@{self.session.source}.invalid"

    def account(
        self, *, email: str | None, name: str, role: str = Role.CUSTOMER, active: bool = True, counted: bool = True
    ) -> User:
        """The account for ``email``: the existing one, or a new one with ``role`` and no password.
        A new account of someone inactive at the source is made inactive. A new account counts as
        a "person" in the report unless ``counted`` is False (the caller counts it as its own kind)."""
        address = usable_email(email)
        if address is None:
            raise ValidationError({"email": [_("%(email)s is not a usable email address.") % {"email": email}]})
        known = self._by_email.get(address)
        if known is not None:
            return known
        user = User.objects.with_email(address).first()
        if user is None:
            user = account_services.user_create(
                email=address, name=name or address.split("@")[0], role=role, password=None
            )
            if not active:
                # A brand-new account has no session or token to end: just mark it.
                User.objects.filter(pk=user.pk).update(is_active=False)
                user.is_active = False
            if counted:
                self.session.report.add("person", Outcome.CREATED)
        self._by_email[address] = user
        return user

    def customer(self, email: str | None, name: str = "") -> User | None:
        """The account for a bare address (a requester, a CC), or None when it is not usable."""
        if usable_email(email) is None:
            return None
        return self.account(email=email, name=name)

    def unknown_requester(self) -> User:
        """The customer that tickets without a requester address are filed under."""
        return self.account(email=self.placeholder_email("unknown-requester"), name=_("Unknown requester"))
