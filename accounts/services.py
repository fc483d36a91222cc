"""Writes for people: users, roles, organizations, teams (DESIGN §6).

Every function takes keyword-only arguments, runs in one transaction and keeps the guardian
groups that carry ticket access in step; ``accounts.signals.access_changed`` tells the ticket side
when who-may-see-what changed (accounts imports nothing from tickets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.addresses import local_part_is_ascii, normalize_email
from accounts.languages import validate_language, validate_time_zone
from accounts.models import Organization, Role, Team, TicketScope, User, revoke_api_tokens
from accounts.permissions import active_admins, may_join_team, may_manage_people, signed_in
from accounts.signals import access_changed
from helpdesk.exceptions import Conflict
from helpdesk.text import clean_label

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def clean_email(email: str) -> str:
    """``email`` in the desk's normal form (``accounts.addresses``), or a ``ValidationError`` on
    ``email`` when that is not a usable address."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid email address.")]}) from None
    if not local_part_is_ascii(email):
        raise ValidationError({"email": [_("Use only Latin letters, digits and punctuation before the @.")]})
    return email


@transaction.atomic
def user_create(
    *,
    email: str,
    name: str,
    password: str | None = None,
    role: str = Role.CUSTOMER,
    organization: Organization | None = None,
    ticket_scope: str = TicketScope.ALL,
    teams: list[Team] | tuple[Team, ...] = (),
    validate_password_strength: bool = True,
) -> User:
    """Create a user. ``password=None`` makes an account that cannot sign in until a reset.

    Raises ``ValidationError`` naming the field for a taken or malformed email, a bad role or
    scope, a weak password, or teams given to a customer.
    """
    email = clean_email(email)
    name = clean_label(name or "")
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif len(name) > 150:
        errors["name"] = [_("Use at most 150 characters.")]
    if role not in Role.values:
        errors["role"] = [
            _("Unknown role %(role)s; use one of %(roles)s.") % {"role": repr(role), "roles": ", ".join(Role.values)}
        ]
    if ticket_scope not in TicketScope.values:
        errors["ticket_scope"] = [_("Unknown scope %(scope)s; use all or teams.") % {"scope": repr(ticket_scope)}]
    if teams and role == Role.CUSTOMER:
        errors["teams"] = [_("Customers cannot be members of agent teams.")]
    if User.objects.with_email(email).exists():
        errors["email"] = [_("A user with this email address already exists.")]
    if password is not None and validate_password_strength and "password" not in errors:
        try:
            validate_password(password, User(email=email, name=name))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user = User(
        email=email,
        name=name,
        role=role,
        organization=organization,
        ticket_scope=ticket_scope,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    for team in teams:
        user.groups.add(team.group)
    if organization is not None and organization.share_tickets:
        user.groups.add(organization.group)
    access_changed.send(sender=User, users=(user,), new=True)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, ticket_scope: str | None = None) -> User:
    """Change a user's role (and agent scope). Access follows on the user's next request."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": [
                    _("Unknown role %(role)s; use one of %(roles)s.")
                    % {"role": repr(role), "roles": ", ".join(Role.values)}
                ]
            }
        )
    if ticket_scope is not None and ticket_scope not in TicketScope.values:
        raise ValidationError(
            {"ticket_scope": [_("Unknown scope %(scope)s; use all or teams.") % {"scope": repr(ticket_scope)}]}
        )
    if role != Role.ADMIN:
        _keep_an_active_admin(user, field="role")
    user.role = role
    if ticket_scope is not None:
        user.ticket_scope = ticket_scope
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "ticket_scope", "is_staff", "is_superuser"])
    access_changed.send(sender=User, users=(user,))
    return user


def _keep_an_active_admin(user: User, *, field: str) -> None:
    """Refuse (``ValidationError`` on ``field``) to take away the last active admin: the desk would
    have nobody left to manage it. The active admins' rows are locked, so two admins demoting each
    other at once cannot both succeed; call inside the change's transaction."""
    admins = list(active_admins().select_for_update().values_list("pk", flat=True))
    if admins == [user.pk]:
        raise ValidationError({field: [_("This is the last active admin. Make someone else an admin first.")]})


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate or reactivate ``user`` (admins only).

    A deactivated person is signed out everywhere at once: Django's ``ModelBackend`` and the API's
    token authentication refuse inactive accounts on every request, live streams end (the
    ``post_save`` receiver in ``tickets.live``), their API tokens are deleted and their sessions
    ended for good (``User.end_all_sessions``), so reactivation brings back neither an old token
    nor a browser that was signed in. Nobody may deactivate themselves or the last active admin.
    """
    from django.core.exceptions import PermissionDenied

    if not may_manage_people(actor):
        raise PermissionDenied(_("Only admins can deactivate or reactivate people."))
    if not active:
        if actor.pk == user.pk:
            raise ValidationError({"is_active": [_("You cannot deactivate your own account.")]})
        _keep_an_active_admin(user, field="is_active")
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        user.end_all_sessions()
    user.save(update_fields=["is_active", "session_generation"])
    if not active:
        revoke_api_tokens(user)
    access_changed.send(sender=User, users=(user,))
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    name: str,
    role: str,
    ticket_scope: str,
    organization: Organization | None,
    teams: list[Team] | tuple[Team, ...],
) -> User:
    """Change a person's name, role and scope, organization and teams at once (admins only), each
    through its own service so ticket access follows exactly as for a single change. Nobody may
    change their own role, and the last active admin stays an admin. All or nothing."""
    from django.core.exceptions import PermissionDenied

    if not may_manage_people(actor):
        raise PermissionDenied(_("Only admins can change people."))
    current_role = user.role
    if actor.pk == user.pk and role != current_role:
        raise ValidationError({"role": [_("You cannot change your own role. Ask another admin.")]})
    if teams and role == Role.CUSTOMER:
        raise ValidationError({"teams": [_("Customers cannot be members of agent teams.")]})
    user_set_name(user=user, name=name)
    if role != current_role or ticket_scope != user.ticket_scope:
        user_set_role(user=user, role=role, ticket_scope=ticket_scope)
    if (organization.pk if organization else None) != user.organization_id:
        user_set_organization(user=user, organization=organization)
    wanted = {team.pk: team for team in teams}
    current = {team.pk: team for team in user.teams}
    for pk in wanted.keys() - current.keys():
        team_add_member(team=wanted[pk], user=user)
    for pk in current.keys() - wanted.keys():
        team_remove_member(team=current[pk], user=user)
    return user


@transaction.atomic
def user_set_organization(*, user: User, organization: Organization | None) -> User:
    """Move a customer to another organization (or none); sharing access follows."""
    old = user.organization
    if old is not None:
        user.groups.remove(old.group)
    user.organization = organization
    user.save(update_fields=["organization"])
    if organization is not None and organization.share_tickets:
        user.groups.add(organization.group)
    access_changed.send(sender=User, users=())
    return user


def _unique_name(
    model: type[Organization] | type[Team], name: str | None, taken_message: StrOrPromise, exclude: Any = None
) -> str:
    """``name`` stripped, or a ``ValidationError`` on ``name`` when it is empty or another row of
    ``model`` already has it, case-insensitively (``taken_message``; ``exclude``: the row being renamed)."""
    name = clean_label(name or "")
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    taken = model.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": [taken_message]})
    return name


def _group_name(prefix: str, name: str, exclude: Group | None = None) -> str:
    """A free name for the group behind a team or organization ("Team: Billing"), numbered when a
    group still has it (Django's group names are unique; names longer than its 150 characters are
    cut)."""
    base = f"{prefix}: {name}"[:140]
    taken = Group.objects.filter(name__startswith=base)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    names = set(taken.values_list("name", flat=True))
    candidate, number = base, 1
    while candidate in names:
        number += 1
        candidate = f"{base} ({number})"
    return candidate


@transaction.atomic
def organization_create(*, name: str, share_tickets: bool = False) -> Organization:
    name = _unique_name(Organization, name, _ORGANIZATION_TAKEN)
    group = Group.objects.create(name=_group_name("Organization", name))
    return Organization.objects.create(name=name, share_tickets=share_tickets, group=group)


@transaction.atomic
def organization_update(*, organization: Organization, name: str, share_tickets: bool) -> Organization:
    """Rename an organization and/or turn its ticket sharing on or off (``organization_set_sharing``)."""
    name = _unique_name(Organization, name, _ORGANIZATION_TAKEN, exclude=organization)
    if name != organization.name:
        organization.name = name
        organization.save(update_fields=["name"])
        group = organization.group
        group.name = _group_name("Organization", name, exclude=group)
        group.save(update_fields=["name"])
    if share_tickets != organization.share_tickets:
        organization_set_sharing(organization=organization, share_tickets=share_tickets)
    return organization


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    """Delete an organization. Its members stay, without an organization; its tickets stay with
    their requesters, without an organization (``on_delete=SET_NULL`` on both); sharing ends, as
    the guardian group that carried it goes too."""
    group = organization.group
    organization.delete()
    group.delete()
    access_changed.send(sender=Organization, users=())


@transaction.atomic
def organization_set_sharing(*, organization: Organization, share_tickets: bool) -> Organization:
    """Turn ticket sharing among the organization's members on or off."""
    organization.share_tickets = share_tickets
    organization.save(update_fields=["share_tickets"])
    # The organization's group holds its members exactly while the organization shares tickets.
    if share_tickets:
        organization.group.user_set.set(organization.members.all())
    else:
        organization.group.user_set.clear()
    access_changed.send(sender=Organization, users=())
    return organization


@transaction.atomic
def team_create(*, name: str, description: str = "") -> Team:
    name = _unique_name(Team, name, _TEAM_TAKEN)
    group = Group.objects.create(name=_group_name("Team", name))
    return Team.objects.create(name=name, description=description, group=group)


@transaction.atomic
def team_add_member(*, team: Team, user: User) -> None:
    if not may_join_team(user):
        raise ValidationError({"user": [_("Only agents and admins can be team members.")]})
    user.groups.add(team.group)
    access_changed.send(sender=Team, users=())


@transaction.atomic
def team_remove_member(*, team: Team, user: User) -> None:
    user.groups.remove(team.group)
    access_changed.send(sender=Team, users=())


_TEAM_TAKEN = gettext_lazy("A team with this name already exists.")
_ORGANIZATION_TAKEN = gettext_lazy("An organization with this name already exists.")


# --- the signed-in person's own account (profile page) ----------------------------------------


@transaction.atomic
def user_set_name(*, user: User, name: str) -> User:
    """Change ``user``'s display name. Raises ``ValidationError`` on ``name`` when blank or long."""
    name = clean_label(name or "")
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if len(name) > 150:
        raise ValidationError({"name": [_("Use at most 150 characters.")]})
    if name != user.name:
        user.name = name
        user.save(update_fields=["name"])
    return user


# --- appended for the REST API ---------------------------------------------------------------------


@transaction.atomic
def team_update(
    *, team: Team, name: str | None = None, description: str | None = None, members: list[User] | None = None
) -> Team:
    """Rename a team, change its description, and/or set its members exactly (agents and admins)."""
    changed: list[str] = []
    if name is not None:
        team.name = _unique_name(Team, name, _TEAM_TAKEN, exclude=team)
        changed.append("name")
        group = team.group
        group.name = _group_name("Team", team.name, exclude=group)
        group.save(update_fields=["name"])
    if description is not None:
        team.description = description.strip()
        changed.append("description")
    if changed:
        team.save(update_fields=changed)
    if members is not None:
        not_agents = [user.name for user in members if not may_join_team(user)]
        if not_agents:
            raise ValidationError(
                {
                    "members": [
                        _("Only agents and admins can be team members: %(names)s.") % {"names": ", ".join(not_agents)}
                    ]
                }
            )
        team.group.user_set.set(members)
        access_changed.send(sender=Team, users=())  # team-scoped agents now see other tickets
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team that has no tickets (``Conflict`` otherwise: move its tickets first)."""
    if team.tickets.exists():
        raise Conflict(_("Team %(team)s still has tickets; move them to another team first.") % {"team": team.name})
    group = team.group
    team.delete()
    group.delete()


@transaction.atomic
def api_token_get_or_create(*, user: User):
    """The user's API token (made on first use). For the API's token endpoint."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def api_token_regenerate(*, user: User):
    """Replace ``user``'s API token with a new one; the old key stops working at once.

    Returns the new ``rest_framework.authtoken`` Token.
    """
    from rest_framework.authtoken.models import Token

    if not signed_in(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Sign in to manage your API token."))
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """Give ``user`` a new password after checking its strength (``ValidationError`` on
    ``password``). Every other session ends and the user's API tokens are revoked (``User.save``);
    the caller keeps the current session signed in (``update_session_auth_hash``)."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def user_set_notification_preferences(*, user: User, notify_team_tickets: bool) -> User:
    """Whether an agent gets email about new unassigned tickets in their teams."""
    user.notify_team_tickets = notify_team_tickets
    user.save(update_fields=["notify_team_tickets"])
    return user


@transaction.atomic
def user_set_email_bouncing(*, user: User, bouncing: bool, at: Any = None) -> User:
    """Mark ``user``'s address as bouncing (a delivery-status report said mail to it failed for
    good: notifications skip it) or as working again (mail from it arrived). Idempotent; the
    first bounce's time is kept."""
    from django.utils import timezone

    if bouncing and user.email_bouncing_since is None:
        user.email_bouncing_since = at or timezone.now()
    elif not bouncing and user.email_bouncing_since is not None:
        user.email_bouncing_since = None
    else:
        return user
    user.save(update_fields=["email_bouncing_since"])
    return user


def user_set_locale(*, user: User, language: str, time_zone: str) -> User:
    """``user``'s language (blank: follow the browser) and time zone (blank: the desk's).
    Raises ``ValidationError`` on ``language`` or ``time_zone`` for a value not offered."""
    language, time_zone = (language or "").strip(), (time_zone or "").strip()
    errors: dict[str, list] = {}
    for field, value, validate in (
        ("language", language, validate_language),
        ("time_zone", time_zone, validate_time_zone),
    ):
        try:
            validate(value)
        except ValidationError as exc:
            errors[field] = exc.error_list
    if errors:
        raise ValidationError(errors)
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


# Invitations (``accounts.invitations``), named here with the other services. Imported last: that
# module uses ``clean_email`` and ``user_create`` from this one.
from accounts.invitations import InviteInvalid as InviteInvalid  # noqa: E402
from accounts.invitations import invite_accept as invite_accept  # noqa: E402
from accounts.invitations import invite_check as invite_check  # noqa: E402
from accounts.invitations import invite_create as invite_create  # noqa: E402
from accounts.invitations import invite_renew as invite_renew  # noqa: E402
from accounts.invitations import invite_revoke as invite_revoke  # noqa: E402
