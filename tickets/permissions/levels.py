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
import functools
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

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
    staff = holds_staff_role(user)
    alias = router.db_for_read(Permission)
    with connections[alias].cursor() as cursor:
        cursor.execute(_profile_sql(alias, staff=staff), [user.pk] * (4 if staff else 2))
        return frozenset(row[0] for row in cursor.fetchall())


@functools.cache
def _profile_sql(alias: str, *, staff: bool) -> str:
    """The profile's one query, written once per database and kind of person: the ORM spent more
    time building the four-part union than the database spent answering it, on every request.

    The ticket permissions held directly or through a group; for staff also ``HOLDS_OWN_TICKETS``
    when they hold any row on a single ticket (an EXISTS: an agent who filed thousands of tickets
    costs one index probe) and a ``TEAM_MARKER`` per team. Only staff are asked the last two: a
    customer's rows are all of their tickets, and whether they see beyond teams means nothing for
    them. ``test_permission_rules`` checks the answer against the same question asked through the
    ORM, for every kind of person."""
    quote = connections[alias].ops.quote_name

    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    user_perms, user_groups = User.user_permissions.through, User.groups.through
    group_perms = Group.permissions.through
    # Identifiers come from the models' metadata, quoted; the person is a bound parameter.
    sql = (
        f"SELECT p.{quote('codename')} FROM {table(Permission)} p"  # noqa: S608
        f" JOIN {table(ContentType)} c ON c.{quote('id')} = p.{column(Permission, 'content_type')}"
        f" WHERE c.{quote('app_label')} = 'tickets' AND c.{quote('model')} = 'ticket' AND ("
        f"p.{quote('id')} IN (SELECT up.{column(user_perms, 'permission')} FROM {table(user_perms)} up"
        f" WHERE up.{column(user_perms, 'user')} = %s)"
        f" OR p.{quote('id')} IN (SELECT gp.{column(group_perms, 'permission')} FROM {table(group_perms)} gp"
        f" JOIN {table(user_groups)} ug ON ug.{column(user_groups, 'group')} = gp.{column(group_perms, 'group')}"
        f" WHERE ug.{column(user_groups, 'user')} = %s))"
    )
    if not staff:
        return sql
    assert "'" not in HOLDS_OWN_TICKETS + TEAM_MARKER
    return (
        f"{sql} UNION ALL SELECT '{HOLDS_OWN_TICKETS}' WHERE EXISTS"  # noqa: S608
        f" (SELECT 1 FROM {table(TicketUserPermission)} o"
        f" WHERE o.{column(TicketUserPermission, 'user')} = %s)"
        f" UNION ALL SELECT '{TEAM_MARKER}' || CAST(t.{quote('id')} AS TEXT) FROM {table(Team)} t"
        f" JOIN {table(user_groups)} tg ON tg.{column(user_groups, 'group')} = t.{column(Team, 'group')}"
        f" WHERE tg.{column(user_groups, 'user')} = %s"
    )


def team_ids(user: User) -> tuple[int, ...]:
    """The teams staff member ``user`` belongs to (from their access profile: no query of its own)."""
    return tuple(
        sorted(int(marker[len(TEAM_MARKER) :]) for marker in access_profile(user) if marker.startswith(TEAM_MARKER))
    )


_permission_ids: dict[str, int] = {}


def permission_ids() -> dict[str, int]:
    """Ticket permission codename → ``Permission`` id: read once per process. The rows are made
    by ``migrate`` and not changed after it; ``forget_permission_ids`` (on ``post_migrate``,
    which a test database's flush also sends) reads them again."""
    if not _permission_ids:
        rows = Permission.objects.filter(content_type__app_label="tickets", content_type__model="ticket")
        _permission_ids.update(rows.values_list("codename", "id"))
    return dict(_permission_ids)


def forget_permission_ids(**kwargs: object) -> None:
    _permission_ids.clear()
