"""Giving and taking ticket access (called by services only), and keeping a person's model-level
access in step with their role and scope.

Every change here forgets what this request remembered about access (``helpdesk.memo``), so a
check after a grant in the same request sees the grant.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Role, Team, TicketScope, User
from accounts.permissions import holds_staff_role
from helpdesk import memo
from tickets import caching
from tickets.models import Ticket, TicketGroupPermission, TicketUserPermission
from tickets.permissions.levels import ALL_TICKETS_GROUP, ALL_TICKETS_LEVELS, REPLY, SOLVE, VIEW, WORK, permission_ids


def grant_collaborator(ticket: Ticket, user: User) -> None:
    assign_perm(REPLY, user, ticket)
    memo.forget_all()


def revoke_collaborator(ticket: Ticket, user: User) -> None:
    remove_perm(REPLY, user, ticket)
    memo.forget_all()


def grant_team(ticket: Ticket, team: Team) -> None:
    assign_perm(WORK, team.group, ticket)
    memo.forget_all()


def revoke_team(ticket: Ticket, team: Team) -> None:
    remove_perm(WORK, team.group, ticket)
    memo.forget_all()


def revoke_customer_access(ticket_ids: list[int]) -> None:
    """Take the customer side's access to ``ticket_ids`` away — requesters', collaborators' and
    organizations' rows — keeping the teams' (retention's anonymization: the tickets leave their
    requester and organization, and the support side still works them)."""
    TicketUserPermission.objects.filter(content_object_id__in=ticket_ids).delete()
    TicketGroupPermission.objects.filter(content_object_id__in=ticket_ids, group__organization__isnull=False).delete()
    memo.forget_all()


def permission_rows_for_new_ticket(ticket: Ticket) -> tuple[list[TicketUserPermission], list[TicketGroupPermission]]:
    """The guardian rows a freshly created ticket needs, unsaved, for bulk inserts: requester
    solve, team work, organization view. ``ticket.team``/``ticket.organization`` must be loaded
    or None. ``tickets.generate`` writes the same rows for generated tickets."""
    perm_ids = permission_ids()
    users = [TicketUserPermission(user_id=ticket.requester_id, permission_id=perm_ids[SOLVE], content_object=ticket)]
    groups = []
    if ticket.team_id is not None:
        assert ticket.team is not None
        groups.append(
            TicketGroupPermission(group_id=ticket.team.group_id, permission_id=perm_ids[WORK], content_object=ticket)
        )
    if ticket.organization_id is not None:
        assert ticket.organization is not None
        groups.append(
            TicketGroupPermission(
                group_id=ticket.organization.group_id, permission_id=perm_ids[VIEW], content_object=ticket
            )
        )
    return users, groups


def grant_new_ticket(ticket: Ticket) -> None:
    """Give a just-created ticket its access rows in one lookup and two inserts, instead of
    guardian's get-or-create per grant (a new ticket has no rows yet to find); ticket creation
    went from 21 to 11 queries."""
    users, groups = permission_rows_for_new_ticket(ticket)
    TicketUserPermission.objects.bulk_create(users)
    if groups:
        TicketGroupPermission.objects.bulk_create(groups)
    memo.forget_all()


# --- people's access ---------------------------------------------------------------------------------


def sync_user_access(user: User, *, new: bool = False) -> None:
    """Make ``user``'s model-level access follow their role and ticket scope.

    Admins are superusers; agents with scope "all" join ALL_TICKETS_GROUP; everyone else holds
    no model-level ticket permission, and a customer keeps no team membership. A ``new`` person
    has nothing to take away (``user_create`` refuses teams for a customer), so only an all-tickets
    agent costs a query or two.
    """
    if user.role == Role.AGENT and user.ticket_scope == TicketScope.ALL:
        user.groups.add(_all_tickets_group())
    elif not new:
        user.groups.remove(_all_tickets_group())
    if not new and not holds_staff_role(user):
        user.groups.remove(*Group.objects.filter(team__isnull=False))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):  # Django's ModelBackend
        user.__dict__.pop(cache, None)


def _all_tickets_group() -> Group:
    group, created = Group.objects.get_or_create(name=ALL_TICKETS_GROUP)
    if created or not group.permissions.exists():
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="tickets", content_type__model="ticket", codename__in=ALL_TICKETS_LEVELS
            )
        )
    return group


def people_access_changed(
    sender: Any = None, *, users: tuple[User, ...] = (), new: bool = False, **kwargs: Any
) -> None:
    """Receiver of ``accounts.signals.access_changed`` (connected in ``TicketsConfig.ready``):
    ``accounts`` knows nothing of tickets, so it says who changed and this side re-derives each
    person's ticket access, forgets what the request remembered and — unless the person is new,
    so nothing cached can depend on them — drops every cached figure."""
    for user in users:
        sync_user_access(user, new=new)
    memo.forget_all()
    if not new:
        caching.access_changed()
