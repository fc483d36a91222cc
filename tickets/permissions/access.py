"""Which tickets a user may see, and whether they may do an action to one (DESIGN §5).

Every page, endpoint, selector and service asks ``visible_tickets``, ``can``, ``authorize`` or
``get_ticket_or_404``. Object permissions come from the direct-FK guardian models
``TicketUserPermission`` and ``TicketGroupPermission``; model-level ones from ``levels``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import Person, signed_in, works_tickets
from helpdesk import memo
from helpdesk.ids import parse_id
from tickets.models import Ticket, TicketGroupPermission, TicketUserPermission
from tickets.permissions.levels import (
    ACTION_NEEDS,
    DELETE,
    HOLDS_OWN_TICKETS,
    LEVELS_GRANTING,
    SOLVE,
    STAFF_ONLY,
    VIEW,
    WORK,
    Action,
    access_profile,
    holds_everywhere,
    team_ids,
)

# --- which tickets ----------------------------------------------------------------------------------


def visible_tickets(user: Person, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, as a filter on ``queryset`` (default: all tickets).

    One set-based query: agents with model-level access get the queryset unchanged; everybody
    else gets the tickets they hold an object permission on, directly or through a group.
    Inactive and anonymous users get nothing.
    """
    qs = Ticket.objects.all() if queryset is None else queryset
    if not signed_in(user):
        return qs.none()
    assert isinstance(user, User)
    if sees_every_ticket(user):
        return qs
    if works_tickets(user):
        if not sees_beyond_teams(user):
            return qs.filter(_in_teams(user))
        return qs.filter(_object_access(user, VIEW))
    return qs.filter(pk__in=_granted_ids(user, VIEW))


def _in_teams(user: User) -> Q:
    """The tickets of ``user``'s teams: for an agent who sees nothing else, the same tickets as
    their permission rows, because a team's group holds ``work_ticket`` on a ticket exactly while
    the ticket is in the team (``grants.grant_new_ticket``, ``grant_team``/``revoke_team`` on every
    move, and ``tickets.generate`` keep it so; ``test_team_access`` checks it after each kind of
    change). Asked as ``team_id IN (…)``, a queue page reads its rows straight from a
    ``(team, …)`` index, where the permission semi-join walked the whole desk in the page's order
    keeping the agent's share — a cost that grew with everybody else's tickets (SCALING.md §2).
    """
    teams = team_ids(user)
    return Q(team_id__in=teams) if teams else Q(pk__in=[])


def visible_parts(user: Person) -> list[Q]:
    """For a customer, ``visible_tickets``'s condition as two parts whose union it is, each
    cheap to read in list order: the tickets they requested (off ``ticket_requester_activity_idx``,
    each still checked against the permission rows, an index probe or two per row), and the
    tickets they hold any other permission row for (collaborations, their organization's shared
    tickets). ``keyset.page`` takes a page's worth from each, where the one ``id IN (…)``
    condition fetched and sorted every ticket the customer ever filed (952 for the busiest at 1M).

    The second part leaves out the requester's own ``solve_ticket`` rows: only a ticket's
    requester is given one (``grants.permission_rows_for_new_ticket``), and a ticket that
    changes requester loses its rows first (``tickets.privacy.retention``), so those tickets
    are all in the first part. Empty for everyone else: agents' lists have indexes of their own.
    """
    if not signed_in(user) or works_tickets(user):
        return []
    assert isinstance(user, User)
    others = tuple(level for level in LEVELS_GRANTING[VIEW] if level != SOLVE)
    direct = TicketUserPermission.objects.filter(user=user, permission__codename__in=others)
    groups = user.groups.through.objects.filter(user_id=user.pk).values("group_id")
    via_group = TicketGroupPermission.objects.filter(
        group_id__in=groups, permission__codename__in=LEVELS_GRANTING[VIEW]
    )
    granted_otherwise = direct.values("content_object_id").union(via_group.values("content_object_id"), all=True)
    return [Q(requester_id=user.pk) & _object_access(user, VIEW), Q(pk__in=granted_otherwise)]


class _ProbedPerRow(Exists):
    """An EXISTS that PostgreSQL answers row by row, with one index probe per ticket.

    Left to itself the planner turns ``EXISTS (… permission rows …)`` into a hash of every
    permission row the agent holds — 144,000 for a big team at 1M tickets, about 55 ms before the
    first row — even when the query wants the first 51 tickets of a queue. ``OFFSET 0`` keeps the
    sub-select from being flattened, so each candidate ticket is tested with an index-only probe of
    ``ticket_*perm_object_idx`` instead (team queue page 54 ms → 2 ms). Elsewhere a plain EXISTS.
    """

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(compiler, connection, template="EXISTS(%(subquery)s OFFSET 0)", **extra)  # type: ignore[call-arg]


def visible_ticket_ids(user: Person) -> QuerySet[Any]:
    """The ids of the tickets ``user`` may see, as a sub-select to filter *whole-set* aggregates
    with (``ticket__in=``): the same rows as ``visible_tickets``, shaped to be read once and
    hashed — right for statistics, which visit every visible ticket, where ``visible_tickets``'s
    probe per row is right for a page of a list (team agent's statistics: 0.92 s -> 0.1 s at 1M).
    """
    if not signed_in(user):
        return Ticket.objects.none().values("pk")
    assert isinstance(user, User)
    if sees_every_ticket(user):
        return Ticket.objects.values("pk")
    if works_tickets(user) and not sees_beyond_teams(user):
        return Ticket.objects.filter(_in_teams(user)).values("pk")
    return _granted_ids(user, VIEW)


def readable_notes(user: Person) -> Q | None:
    """Where ``user`` may read internal notes, as a filter on tickets — for searches and counts
    over notes, which must never let a note make a ticket turn up (or count) for someone who may
    not read it.

    None: nowhere (customers). ``Q()``: on every ticket they can see (agents who see every ticket,
    and team agents who see only their teams' tickets, all of which they work). Otherwise the
    tickets they work (a team agent who also sees a ticket of their own in another team).
    """
    if not works_tickets(user):
        return None
    assert isinstance(user, User)
    if sees_every_ticket(user) or not sees_beyond_teams(user):
        return Q()
    return _object_access(user, WORK)


def sees_beyond_teams(user: User) -> bool:
    """Whether agent ``user`` may see some ticket other than their teams' (as requester or
    collaborator, or as a member of an organization that shares tickets). Read with the rest of
    their access profile, once per request."""
    return user.organization_id is not None or HOLDS_OWN_TICKETS in access_profile(user)


def sees_every_ticket(user: Person) -> bool:
    """Whether ``user`` may see every ticket (all-ticket agents, admins): ``visible_tickets``
    filters nothing for them, and a caller may leave the ticket filter out of its query."""
    return signed_in(user) and holds_everywhere(user, VIEW)  # type: ignore[arg-type]


def _object_access(user: User, level: str) -> Q:
    return _holds_any(user, LEVELS_GRANTING[level])


def _holds_any(user: User, codenames: tuple[str, ...]) -> Q:
    """The tickets on which ``user`` holds one of ``codenames`` per ticket, directly or through a group."""
    direct = TicketUserPermission.objects.filter(
        user=user, permission__codename__in=codenames, content_object=OuterRef("pk")
    )
    groups = user.groups.through.objects.filter(user_id=user.pk).values("group_id")
    via_group = TicketGroupPermission.objects.filter(
        group_id__in=groups, permission__codename__in=codenames, content_object=OuterRef("pk")
    )
    return Q(_ProbedPerRow(direct)) | Q(_ProbedPerRow(via_group))


def _granted_ids(user: User, level: str) -> QuerySet[Any]:
    """The ids of the tickets ``user`` holds ``level`` on, directly or through a group.

    The same rows as ``_object_access``, shaped for people who see few tickets (customers: their
    own, their collaborations, their organization's): ``id IN (… UNION ALL …)`` lets PostgreSQL
    start from those few permission rows and fetch the tickets by primary key, where the EXISTS
    form would walk the whole tickets index testing each row (81 ms → 12 ms for a 926-ticket
    customer's search at 1M tickets). Team agents see tens of thousands of tickets, and for them
    the EXISTS form, probed while walking a queue index in order, is the faster one.
    """
    codenames = LEVELS_GRANTING[level]
    direct = TicketUserPermission.objects.filter(user=user, permission__codename__in=codenames)
    groups = user.groups.through.objects.filter(user_id=user.pk).values("group_id")
    via_group = TicketGroupPermission.objects.filter(group_id__in=groups, permission__codename__in=codenames)
    return direct.values("content_object_id").union(via_group.values("content_object_id"), all=True)


def audience(ticket_ids: Collection[int], people: Collection[int]) -> set[int]:
    """Of the people ``people`` (user ids), those who may see at least one of ``ticket_ids``: the
    inverse of ``visible_tickets``, in one query, for the live streams of a process (a change
    wakes only the streams whose person may see the ticket). Inactive people see nothing.

    The same rules as ``visible_tickets`` read from the ticket's side: superusers and people who
    hold the view level on every ticket (model-level, directly or through a group), and people
    who hold it on one of these tickets (directly or through a group).
    """
    if not ticket_ids or not people:
        return set()
    codenames = LEVELS_GRANTING[VIEW]
    ticket_model = Q(content_type__app_label="tickets", content_type__model="ticket", codename__in=codenames)
    everywhere_direct = Permission.objects.filter(ticket_model, user=OuterRef("pk"))
    everywhere_group = Permission.objects.filter(ticket_model, group__user=OuterRef("pk"))
    direct = TicketUserPermission.objects.filter(
        user=OuterRef("pk"), content_object_id__in=ticket_ids, permission__codename__in=codenames
    )
    via_group = TicketGroupPermission.objects.filter(
        group__user=OuterRef("pk"), content_object_id__in=ticket_ids, permission__codename__in=codenames
    )
    who = User.objects.filter(pk__in=people, is_active=True).filter(
        Q(is_superuser=True) | Exists(everywhere_direct) | Exists(everywhere_group) | Exists(direct) | Exists(via_group)
    )
    return set(who.values_list("pk", flat=True))


# --- one ticket ------------------------------------------------------------------------------------


def can(user: Person, action: Action | str, ticket: Ticket) -> bool:
    """Whether ``user`` may do ``action`` to ``ticket``. Never raises for lack of permission."""
    if not signed_in(user):
        return False
    assert isinstance(user, User)
    action = Action(action)
    if action in STAFF_ONLY and not works_tickets(user):
        return False
    needed = ACTION_NEEDS[action]
    if holds_everywhere(user, needed):
        return True
    if needed == DELETE:
        return False  # deletion is never granted per ticket
    return _holds_on(user, ticket.pk, needed)


def _holds_on(user: User, ticket_id: int, needed: str) -> bool:
    """Whether ``user`` holds, on the ticket ``ticket_id`` itself, a level that grants ``needed``."""
    held = _levels_on(user, ticket_id)
    return any(level in held for level in LEVELS_GRANTING[needed])


def _levels_key(user: User, ticket_id: int) -> tuple[str, int | None, int]:
    return ("ticket-levels", user.pk, ticket_id)


def _levels_on(user: User, ticket_id: int) -> set[str]:
    """The levels ``user`` holds on the ticket ``ticket_id``, directly or through a group: one
    short query on the permission rows' ``(object, …)`` indexes, once per request."""

    def read() -> set[str]:
        alias = router.db_for_read(TicketUserPermission)
        with connections[alias].cursor() as cursor:
            cursor.execute(_levels_sql(alias), [ticket_id, user.pk, ticket_id, user.pk])
            return {row[0] for row in cursor.fetchall()}

    return memo.remember(_levels_key(user, ticket_id), read)


@functools.cache
def _levels_sql(alias: str) -> str:
    """The levels' query, written once per database: every ticket page asks it, and the ORM took
    longer to build the union than the database to answer it (as ``levels.access_profile``).
    ``test_permission_rules`` checks it against the same question asked through the ORM."""
    quote = connections[alias].ops.quote_name

    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    user_groups = User.groups.through
    codename, perm_id = quote("codename"), quote("id")
    # Identifiers come from the models' metadata, quoted; the ticket and the person are parameters.
    return (
        f"SELECT p.{codename} FROM {table(TicketUserPermission)} o"  # noqa: S608
        f" JOIN {table(Permission)} p ON p.{perm_id} = o.{column(TicketUserPermission, 'permission')}"
        f" WHERE o.{column(TicketUserPermission, 'content_object')} = %s"
        f" AND o.{column(TicketUserPermission, 'user')} = %s"
        f" UNION SELECT p.{codename} FROM {table(TicketGroupPermission)} g"
        f" JOIN {table(Permission)} p ON p.{perm_id} = g.{column(TicketGroupPermission, 'permission')}"
        f" JOIN {table(user_groups)} ug ON ug.{column(user_groups, 'group')} = g.{column(TicketGroupPermission, 'group')}"
        f" WHERE g.{column(TicketGroupPermission, 'content_object')} = %s"
        f" AND ug.{column(user_groups, 'user')} = %s"
    )


def authorize(user: Person, action: Action | str, ticket: Ticket) -> None:
    """Raise ``Http404`` when ``user`` may not see ``ticket``, ``PermissionDenied`` when they may
    see it but not do ``action``. Returns ``None`` when allowed."""
    if not can(user, Action.VIEW, ticket):
        raise Http404("No such ticket.")
    if action != Action.VIEW and not can(user, action, ticket):
        raise PermissionDenied(_DENIED_MESSAGES.get(Action(action), _("You may not do that to this ticket.")))


_DENIED_MESSAGES = {
    Action.REPLY: _("You can read this ticket but not reply to it."),
    Action.ADD_NOTE: _("Only agents can add internal notes."),
    Action.SOLVE: _("Only the requester or an agent can solve or reopen this ticket."),
    Action.CHANGE: _("Only agents can change this ticket."),
    Action.ASSIGN: _("Only agents can assign this ticket."),
    Action.CLAIM: _("Only agents can claim tickets."),
    Action.ADD_COLLABORATOR: _("Only agents can add collaborators."),
    Action.DELETE: _("Only admins can delete tickets."),
}


def get_ticket_or_404(user: Person, pk: object, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """The ticket with primary key ``pk`` if ``user`` may see it; 404 otherwise (also for bad ids).

    Someone who sees tickets one by one (customers, and agents who also see tickets beyond their
    teams') sees a ticket exactly when they hold a view level on it (``visible_tickets``): their
    levels on it are read first, in one short query that every later ``can`` of the request
    reuses, and then the ticket by its primary key — or nothing, with a 404, when they hold none.
    Two plain queries: asking for the ticket through the visibility filter with each level as an
    ``EXISTS`` cost ~5x the CPU of both, most of it compiling and planning (BENCHMARKS.md).
    Everybody else's ticket is read through ``visible_tickets``.
    """
    pk_int = parse_id(pk)
    if pk_int is None:
        raise Http404("No such ticket.")
    qs = Ticket.objects.all() if queryset is None else queryset
    if _sees_one_by_one(user):
        assert isinstance(user, User)
        if not _holds_on(user, pk_int, VIEW):
            raise Http404("No such ticket.")
    else:
        qs = visible_tickets(user, qs)
    # No ORDER BY (``first()`` would order by the key): one row at most, and ordering a query that
    # selects the ticket with its people and team made the compiler name every column of all five.
    found = list(qs.filter(pk=pk_int).order_by()[:1])
    if not found:
        raise Http404("No such ticket.")
    return found[0]


def _sees_one_by_one(user: Person) -> bool:
    """Whether ``visible_tickets`` is, for ``user``, "the tickets they hold a view level on"."""
    if not signed_in(user) or sees_every_ticket(user):
        return False
    assert isinstance(user, User)
    return not works_tickets(user) or sees_beyond_teams(user)
