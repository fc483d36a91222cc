"""The access levels a ticket permission stands for, and what each action needs.

Access is stored as django-guardian permissions, at four cumulative levels:

    view_ticket   see the ticket, its public messages, public history and public attachments
    reply_ticket  + reply publicly                               (collaborators)
    solve_ticket  + mark solved and reopen                       (the requester)
    work_ticket   + internal notes and history, change fields, assign, claim   (agents)

and ``delete_ticket`` (admins only), held on one ticket (object permissions) or on every ticket
(model-level permissions: all-ticket agents through ``ALL_TICKETS_GROUP``, admins as superusers).
"""

from __future__ import annotations

import enum

from django.contrib.auth.models import Permission
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from accounts.models import Team, User
from accounts.permissions import holds_staff_role
from helpdesk import memo
from tickets.models import TicketUserPermission

VIEW = "view_ticket"
REPLY = "reply_ticket"
SOLVE = "solve_ticket"
WORK = "work_ticket"
DELETE = "delete_ticket"

#: A level and every level that includes it.
LEVELS_GRANTING: dict[str, tuple[str, ...]] = {
    VIEW: (VIEW, REPLY, SOLVE, WORK),
    REPLY: (REPLY, SOLVE, WORK),
    SOLVE: (SOLVE, WORK),
    WORK: (WORK,),
    DELETE: (DELETE,),
}

ALL_TICKETS_GROUP = "Agents: all tickets"
ALL_TICKETS_LEVELS = (VIEW, REPLY, SOLVE, WORK)
#: The levels granted on single tickets (deletion never is).
OBJECT_LEVELS = (VIEW, REPLY, SOLVE, WORK)


class Action(enum.StrEnum):
    """What a user may want to do with a ticket, mapped to the level it needs."""

    VIEW = "view"
    VIEW_INTERNAL = "view_internal"  # internal notes, internal events, attachments on notes
    REPLY = "reply"
    ADD_NOTE = "add_note"
    SOLVE = "solve"  # mark solved / reopen (the requester's own status changes)
    CHANGE = "change"  # status beyond solve/reopen, priority, team, tags, category, subject
    ASSIGN = "assign"
    CLAIM = "claim"
    ADD_COLLABORATOR = "add_collaborator"
    DELETE = "delete"


ACTION_NEEDS: dict[Action, str] = {
    Action.VIEW: VIEW,
    Action.VIEW_INTERNAL: WORK,
    Action.REPLY: REPLY,
    Action.ADD_NOTE: WORK,
    Action.SOLVE: SOLVE,
    Action.CHANGE: WORK,
    Action.ASSIGN: WORK,
    Action.CLAIM: WORK,
    Action.ADD_COLLABORATOR: WORK,
    Action.DELETE: DELETE,
}
#: Actions only staff may ever hold, whatever object permissions a row might carry.
STAFF_ONLY: frozenset[Action] = frozenset(
    {
        Action.VIEW_INTERNAL,
        Action.ADD_NOTE,
        Action.CHANGE,
        Action.ASSIGN,
        Action.CLAIM,
        Action.ADD_COLLABORATOR,
    }
)


#: In a user's access profile: they hold a permission row on some single ticket of their own
#: (as requester or collaborator), so an agent among them sees tickets beyond their teams.
HOLDS_OWN_TICKETS = "+own-ticket-rows"
#: In a staff member's access profile, one per team they belong to: ``+team:<id>``.
TEAM_MARKER = "+team:"


def holds_everywhere(user: User, codename: str) -> bool:
    """Whether active ``user`` holds ``codename`` on every ticket (superusers, ALL_TICKETS_GROUP)."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return codename in access_profile(user)


def access_profile(user: User) -> frozenset[str]:
    """The ticket permissions ``user`` holds on every ticket, plus — for staff — ``HOLDS_OWN_TICKETS``
    when they hold a row on some single ticket directly and a ``TEAM_MARKER`` per team of theirs.
    Read once per request (``helpdesk.memo``) in one query, where Django's ModelBackend needs two
    for the first part alone."""
    return memo.remember(("ticket-access-profile", user.pk), lambda: _read_profile(user))


def _read_profile(user: User) -> frozenset[str]:
    ticket_perms = Permission.objects.filter(content_type__app_label="tickets", content_type__model="ticket")
    direct = ticket_perms.filter(user=user).order_by().values_list("codename", flat=True)
    via_group = ticket_perms.filter(group__user=user).order_by().values_list("codename", flat=True)
    if not holds_staff_role(user):
        # Only staff are asked whether they see beyond their teams; a customer's rows are all of
        # their tickets (thousands for a busy one), not worth reading on every request.
        return frozenset(direct.union(via_group))
    own_rows = (
        TicketUserPermission.objects.filter(user=user)
        .order_by()
        .annotate(marker=Value(HOLDS_OWN_TICKETS, output_field=CharField()))
        .values_list("marker", flat=True)
    )
    teams = (
        Team.objects.filter(group__user=user)
        .order_by()
        .annotate(marker=Concat(Value(TEAM_MARKER), Cast("pk", CharField()), output_field=CharField()))
        .values_list("marker", flat=True)
    )
    return frozenset(direct.union(via_group, own_rows, teams))


def team_ids(user: User) -> tuple[int, ...]:
    """The teams staff member ``user`` belongs to (from their access profile: no query of its own)."""
    return tuple(
        sorted(int(marker[len(TEAM_MARKER) :]) for marker in access_profile(user) if marker.startswith(TEAM_MARKER))
    )


def permission_ids() -> dict[str, int]:
    """Ticket permission codename → ``Permission`` id."""
    rows = Permission.objects.filter(content_type__app_label="tickets", content_type__model="ticket")
    return dict(rows.values_list("codename", "id"))
