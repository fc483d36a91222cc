"""Invitations for agents and admins: create, send again, revoke, check and accept a token.

Services like the rest of ``accounts.services`` (which names them too); the pages and the email are
``accounts.invites``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Invite, Team, TicketScope, User, _invite_expiry
from accounts.permissions import STAFF_ROLES, may_manage_people
from accounts.services import clean_email, user_create


@transaction.atomic
def invite_create(*, actor: User, email: str, role: str, team: Team | None = None) -> Invite:
    """Invite an agent or admin by email (admins only). The token is valid for seven days, once."""
    from django.core.exceptions import PermissionDenied

    if not may_manage_people(actor):
        raise PermissionDenied(_("Only admins can invite agents and admins."))
    email = clean_email(email)
    if role not in STAFF_ROLES:
        raise ValidationError({"role": [_("Invite an agent or an admin; customers sign up themselves.")]})
    if User.objects.with_email(email).exists():
        raise ValidationError({"email": [_("A user with this email address already exists.")]})
    return Invite.objects.create(email=email, role=role, team=team, invited_by=actor)


@transaction.atomic
def invite_renew(*, actor: User, invite: Invite) -> Invite:
    """Give a waiting or expired invitation another seven days (admins only), for sending again;
    the link stays the same. An accepted invitation cannot be renewed."""
    from django.core.exceptions import PermissionDenied

    if not may_manage_people(actor):
        raise PermissionDenied(_("Only admins can send invitations."))
    invite = Invite.objects.select_for_update(of=("self",)).select_related("team").get(pk=invite.pk)
    if invite.is_used:
        raise ValidationError(_("This invitation has already been accepted."))
    invite.expires_at = _invite_expiry()
    invite.save(update_fields=["expires_at"])
    return invite


@transaction.atomic
def invite_revoke(*, actor: User, invite: Invite) -> None:
    """Withdraw an invitation that has not been accepted (admins only): its link stops working."""
    from django.core.exceptions import PermissionDenied

    if not may_manage_people(actor):
        raise PermissionDenied(_("Only admins can revoke invitations."))
    invite = Invite.objects.select_for_update().get(pk=invite.pk)
    if invite.is_used:
        raise ValidationError(_("This invitation has already been accepted; deactivate the person instead."))
    invite.delete()


class InviteInvalid(Exception):
    """The invite token is unknown, used or expired; ``message`` says which, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def invite_check(*, token: str) -> Invite:
    """The usable invite for ``token``, or ``InviteInvalid`` saying why not."""
    invite = Invite.objects.select_related("team").filter(token=token).first()
    if invite is None:
        raise InviteInvalid(_("This invitation link is not valid. Ask an admin for a new one."))
    if invite.is_used:
        raise InviteInvalid(_("This invitation has already been used. Sign in instead, or ask an admin for a new one."))
    if invite.is_expired:
        raise InviteInvalid(_("This invitation has expired (they last seven days). Ask an admin for a new one."))
    return invite


@transaction.atomic
def invite_accept(*, token: str, name: str, password: str) -> User:
    """Turn an invite into an account with the invited role (and team). Single use."""
    from django.utils import timezone

    invite = invite_check(token=token)
    invite = Invite.objects.select_for_update().get(pk=invite.pk)
    if invite.is_used:  # lost a race with another acceptance
        raise InviteInvalid(_("This invitation has already been used. Sign in instead, or ask an admin for a new one."))
    user = user_create(
        email=invite.email,
        name=name,
        password=password,
        role=invite.role,
        ticket_scope=TicketScope.TEAMS if invite.team else TicketScope.ALL,
        teams=[invite.team] if invite.team else [],
    )
    invite.accepted_at = timezone.now()
    invite.accepted_user = user
    invite.save(update_fields=["accepted_at", "accepted_user"])
    return user
