"""Who people are to the desk: the role half of the permission layer (DESIGN §5).

A user's role (customer, agent, admin) decides which side of the product they use and whether
they may manage people. This module and the ticket half, ``tickets.permissions`` (which builds
on it and re-exports these predicates), are the only places that read roles to decide access;
``accounts/tests/test_permission_guard.py`` fails when anything else does. ``accounts`` sits
below ``tickets``, so the people rules live here and the ticket rules there.

Every predicate answers False for a signed-out, anonymous or deactivated user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role, User

if TYPE_CHECKING:
    from django.http import HttpRequest

Person = User | AnonymousUser | None

#: The roles of the people who work tickets (the support side).
STAFF_ROLES = (Role.AGENT, Role.ADMIN)


def signed_in(user: Person) -> bool:
    """Whether ``user`` is a signed-in, active account."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def holds_staff_role(user: User) -> bool:
    """Whether ``user``'s role is on the support side (agent or admin), active or not: who may be
    a team member, an assignee or an invitee — never a collaborator or a requester's stand-in."""
    return user.role in STAFF_ROLES


def may_join_team(user: User) -> bool:
    """Whether ``user`` may be a member of an agent team: agents and admins."""
    return holds_staff_role(user)


def works_tickets(user: Person) -> bool:
    """Signed-in agents and admins: the people who use the agent workspace and work tickets."""
    return signed_in(user) and holds_staff_role(user)  # type: ignore[arg-type]


def administers(user: Person) -> bool:
    """Signed-in admins: they manage people, teams and organizations and may delete tickets."""
    return signed_in(user) and user.role == Role.ADMIN  # type: ignore[union-attr]


def uses_portal(user: Person) -> bool:
    """Signed-in customers: their home is the customer portal."""
    return signed_in(user) and not holds_staff_role(user)  # type: ignore[arg-type]


# What each kind of person may do with people and with the site's own tools.
may_read_directory = works_tickets  # users and teams lists (API "People")
may_manage_people = administers  # create users, change roles, teams, invites
may_use_admin_site = administers  # Django admin (the back office)
may_set_team_notifications = works_tickets  # "email me about new tickets for my teams"
sees_server_timing = works_tickets  # timings tell an outsider how much work a request caused
# Data protection (accounts.privacy): exporting and erasing anyone is an admin's act; a customer
# may download their own export from their profile (agents ask an admin: their export holds desk work).
may_export_people = administers
may_erase_people = administers
may_export_own_data = uses_portal


def can_manage_desk(user: Person) -> bool:
    """Whether ``user`` may use the settings area (``/settings/``): people, teams, organizations,
    invitations, the audit log and the desk's settings to come. Signed-in admins. Every settings
    page asks this one predicate; everyone else gets a 404 there, as for any page they may not see."""
    return administers(user)


def active_admins() -> QuerySet[User]:
    """The active admins: the desk must always keep at least one (``accounts.services`` refuses a
    change that would leave none)."""
    return User.objects.filter(role=Role.ADMIN, is_active=True)


def staff_members(*, active: bool = True) -> QuerySet[User]:
    """Agents and admins (only active accounts unless ``active=False``): the people pickers, the
    statistics and the assignee checks choose from."""
    staff = User.objects.filter(role__in=STAFF_ROLES)
    return staff.filter(is_active=True) if active else staff


def home_url_name(user: Person) -> str:
    """The URL name of ``user``'s home: the queue for staff, the portal for customers."""
    return "agent:queue" if works_tickets(user) else "portal:my_tickets"


def layout(request: HttpRequest) -> dict[str, Any]:
    """Context processor: what the signed-in person's role lets the layout show, so templates ask
    these names instead of reading roles (``works_tickets``, ``administers``, ``uses_portal``,
    ``manages_desk``)."""
    user = getattr(request, "user", None)
    return {
        "works_tickets": works_tickets(user),
        "administers": administers(user),
        "uses_portal": uses_portal(user),
        "manages_desk": can_manage_desk(user),
    }


# --- REST framework permission classes -------------------------------------------------------------


class IsStaff(BasePermission):
    """Agents and admins: the people who work tickets."""

    message = _("Only agents can do this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return works_tickets(request.user)


class IsAdministrator(BasePermission):
    message = _("Only admins can do this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return may_manage_people(request.user)


class DirectoryReadAdminsWrite(BasePermission):
    """Agents read the directory of people and teams; only admins change it."""

    message = _("Only admins can change this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        if not may_read_directory(request.user):
            self.message = _("Only agents can see this.")
            return False
        return request.method in SAFE_METHODS or may_manage_people(request.user)
