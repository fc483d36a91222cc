"""Named rules built on ticket access: what every page, endpoint, selector, service and template
asks instead of reading a role. Each states the rule in help-desk words; tests in
``tickets/tests/test_permission_rules.py`` hold each to its allowed case and its outsiders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Team, User
from accounts.permissions import (
    Person,
    administers,
    can_manage_desk,
    holds_staff_role,
    staff_members,
    works_tickets,
)
from tickets.models import Macro, MacroScope, Message, SavedView, Ticket, TicketField, ViewScope
from tickets.permissions.access import can
from tickets.permissions.levels import ALL_TICKETS_GROUP, WORK, Action, holds_everywhere

# --- the conversation --------------------------------------------------------------------------------


def internal_visible(user: Person, ticket: Ticket) -> bool:
    """Whether ``user`` may read ``ticket``'s internal notes, internal history and the files on
    notes — the people who work it, not everyone who is staff: an agent who sees a ticket only as
    its requester (their own ticket, routed to another team) is a customer of it."""
    return can(user, Action.VIEW_INTERNAL, ticket)


def replies_for_support(actor: Person, ticket: Ticket) -> bool:
    """Whether a public reply by ``actor`` on ``ticket`` is the support side answering (it sets the
    first response time and notifies the requester) rather than the requester's side writing (which
    reopens a pending ticket and notifies the assignee): staff, unless it is their own ticket."""
    return works_tickets(actor) and actor.pk != ticket.requester_id  # type: ignore[union-attr]


def counts_as_staff_activity(actor: Person) -> bool:
    """Whether what ``actor`` writes counts in the agents' statistics (replies, first responses)."""
    return works_tickets(actor)


def may_attach_to(actor: Person, message: Message) -> bool:
    """Whether ``actor`` may add a file to the existing public ``message``: its author, or staff."""
    return message.author_id == getattr(actor, "pk", None) or works_tickets(actor)


def export_includes_desk_work(person: User) -> bool:
    """Whether the export of ``person``'s data (``tickets.privacy``) carries, beside the public
    conversation of their tickets, their own internal notes, the internal history they made and
    the desk's fields (tags, every custom field): for people on the support side, whose notes
    are their own words. A customer's export never holds internal content, whatever they were
    before."""
    return holds_staff_role(person)


# --- satisfaction surveys (tickets.satisfaction) -----------------------------------------------------


def may_rate(user: Person, requester_id: int, ticket: Ticket) -> bool:
    """Whether ``user`` may answer the satisfaction survey sent to ``requester_id`` about
    ``ticket``: only that person, active, and still the ticket's requester (a survey link names
    its requester; a ticket handed to another requester since takes no more answers to it)."""
    pk = getattr(user, "pk", None)
    return (
        pk is not None
        and getattr(user, "is_active", False)
        and pk == requester_id
        and ticket.requester_id == requester_id
    )


def sees_satisfaction(user: Person, ticket: Ticket, *, internal: bool | None = None) -> bool:
    """Whether ``user`` sees ``ticket``'s satisfaction rating and its comment: the people who work
    the ticket, and the requester who gave it. Feedback to the support team is not shared with
    organization colleagues or collaborators (who see only the public history line). ``internal``:
    ``internal_visible(user, ticket)`` when the caller has it already (a list's annotation)."""
    if getattr(user, "pk", None) == ticket.requester_id:
        return True
    return internal_visible(user, ticket) if internal is None else internal


# --- "last updated": which activity a person may see ------------------------------------------------

#: The ticket column that holds every change (agents' "last updated").
EVERY_ACTIVITY = "updated_at"
#: The ticket column that holds the last change the requester can see.
PUBLIC_ACTIVITY = "public_activity_at"


def activity_column(user: Person) -> str:
    """The ticket column that dates, orders and filters ``user``'s ticket lists as "last updated"
    (My tickets, the API's ``updated_at``, ``ordering=updated_at``, ``updated_after``/``before``):
    every change for people who work tickets, only the changes the requester can see for anyone
    else — so internal work (a note, a tag, a team move) cannot be read off a list's order, a
    filter or a timestamp by people who may not read internal content."""
    return EVERY_ACTIVITY if works_tickets(user) else PUBLIC_ACTIVITY


def activity_at(user: Person, ticket: Ticket) -> datetime:
    """When ``ticket`` last changed as ``user`` may know it: any change for those who may read its
    internal content (``internal_visible``), the last public change for everyone else (the
    requester, an organization member, an agent who sees it only as its requester)."""
    return ticket.updated_at if internal_visible(user, ticket) else ticket.public_activity_at


# --- creating ---------------------------------------------------------------------------------------

#: Fields of a new ticket only staff may choose; a customer who sends one is refused, never
#: silently overruled (the portal, the API and the service all ask this one list). Tags a customer
#: (their integration, a web form) gives a new ticket are kept, but like every tag they are the
#: agents' classification afterwards: never shown back to customers (``tickets.api``).
STAFF_ONLY_CREATE_FIELDS = ("requester", "assignee", "team", "status", "channel")

#: List filters on internal fields (``INTERNAL_TICKET_FIELDS``): refused to people who do not
#: work tickets, so a customer cannot learn a ticket's tags or team by filtering on them.
INTERNAL_LIST_FILTERS = ("team", "tag", "sla_breached", "sla_breach_before", "satisfaction")


def refused_list_filters(user: Person, given: Iterable[str]) -> list[str]:
    """Of the list filters ``given``, those ``user`` may not use (``INTERNAL_LIST_FILTERS``)."""
    if works_tickets(user):
        return []
    given = set(given)
    return [name for name in INTERNAL_LIST_FILTERS if name in given]


def refused_create_fields(actor: Person, given: Iterable[str]) -> list[str]:
    """Of the field names ``given`` for a new ticket, those ``actor`` may not set."""
    if works_tickets(actor):
        return []
    given = set(given)
    return [field for field in STAFF_ONLY_CREATE_FIELDS if field in given]


# --- custom fields ----------------------------------------------------------------------------------


def sees_every_custom_field(user: Person, ticket: Ticket | None = None) -> bool:
    """Whether ``user`` sees — and may set — every custom field (``tickets.models.TicketField``),
    agents-only ones included: on ``ticket``, the people who may read its internal side; without
    a ticket (a new ticket, a list filter, the field definitions), people who work tickets.
    Everyone else sees and sets only fields marked ``visible_to_customers``."""
    return internal_visible(user, ticket) if ticket is not None else works_tickets(user)


def custom_field_visible(user: Person, field: TicketField, ticket: Ticket | None = None) -> bool:
    """Whether ``user`` may see (and, where they may change the ticket, set) ``field``."""
    return field.visible_to_customers or sees_every_custom_field(user, ticket)


def visible_custom_field_keys(user: Person, ticket: Ticket | None = None) -> set[str]:
    """The keys of the custom fields ``user`` may see (on ``ticket``), active or not (from the
    field definitions' cache: no query while they are unchanged)."""
    from tickets.selectors.custom_fields import field_keys  # it imports this module

    every, for_customers = field_keys()
    return set(every if sees_every_custom_field(user, ticket) else for_customers)


def shown_custom_fields(values: dict[str, Any] | None, *, every: bool, customer_keys: set[str]) -> dict[str, Any]:
    """Of a ticket's stored ``values``, those a reader may see: all of them when ``every``
    (``sees_every_custom_field``), else only the keys of ``customer_keys`` (the fields
    ``visible_to_customers``)."""
    if every:
        return dict(values or {})
    return {key: value for key, value in (values or {}).items() if key in customer_keys}


# --- working tickets --------------------------------------------------------------------------------


def may_claim_tickets(user: Person) -> bool:
    """Whether ``user`` may take tickets from a queue ("claim next")."""
    return works_tickets(user)


def may_change_in_bulk(user: Person) -> bool:
    """Whether ``user`` may apply one change to many tickets (each ticket is still authorized)."""
    return works_tickets(user)


def may_force_claim(user: Person, ticket: Ticket) -> bool:
    """Whether ``user`` may take ``ticket`` from the agent who holds it: admins who may claim it."""
    return administers(user) and can(user, Action.CLAIM, ticket)


def can_work_team(user: Person, team: Team | None) -> bool:
    """Whether agent ``user`` may work tickets routed to ``team`` (None: unrouted tickets)."""
    if not works_tickets(user):
        return False
    assert isinstance(user, User)
    if holds_everywhere(user, WORK):
        return True
    return team is not None and user.groups.filter(pk=team.group_id).exists()


def may_be_assigned(user: User, team: Team | None) -> bool:
    """Whether ``user`` may hold a ticket of ``team``: an active agent who may work that team."""
    return can_work_team(user, team)


def agents_who_can_work(team: Team | None) -> QuerySet[User]:
    """Active agents and admins who may be assigned a ticket of ``team``."""
    everywhere = Q(is_superuser=True) | Q(groups__name=ALL_TICKETS_GROUP)
    if team is not None:
        everywhere |= Q(groups=team.group_id)
    return staff_members().filter(everywhere).distinct()


def may_collaborate(user: User) -> bool:
    """Whether ``user`` may be added to a ticket as a collaborator: customers only (staff see what
    they may through their teams and scope)."""
    return not holds_staff_role(user)


def may_use_ticket_admin(user: Person) -> bool:
    """Whether ``user`` may delete tickets from the Django admin (admins; the service checks again)."""
    return administers(user)


# --- macros -----------------------------------------------------------------------------------------


def usable_macros(user: Person) -> QuerySet[Macro]:
    """The active macros ``user`` may apply: their own personal ones, their teams' and the ones
    shared with every agent. Nobody else's personal macro, no other team's; customers none. One
    query (the macro picker of every ticket page)."""
    if not works_tickets(user):
        return Macro.objects.none()
    assert isinstance(user, User)
    return Macro.objects.filter(
        Q(scope=MacroScope.PERSONAL, owner=user)
        | Q(scope=MacroScope.TEAM, team__group__user=user)
        | Q(scope=MacroScope.EVERYONE),
        active=True,
    )


def may_use_macro(user: Person, macro: Macro) -> bool:
    """Whether ``user`` may apply ``macro`` (``usable_macros``, for one macro)."""
    if not works_tickets(user) or not macro.active:
        return False
    assert isinstance(user, User)
    if macro.scope == MacroScope.PERSONAL:
        return macro.owner_id == user.pk
    if macro.scope == MacroScope.TEAM:
        return user.groups.filter(team__pk=macro.team_id).exists()
    return True


def may_create_macro(user: Person, scope: str) -> bool:
    """Whether ``user`` may create a macro of ``scope``: agents their own personal macros, the
    people who manage the desk (``can_manage_desk``) the shared ones."""
    if scope == MacroScope.PERSONAL:
        return works_tickets(user)
    return works_tickets(user) and can_manage_desk(user)


def may_manage_macro(user: Person, macro: Macro) -> bool:
    """Whether ``user`` may change or delete ``macro``: its owner (personal), a desk manager (shared)."""
    if macro.scope == MacroScope.PERSONAL:
        return works_tickets(user) and macro.owner_id == getattr(user, "pk", None)
    return may_create_macro(user, macro.scope)


def manageable_macros(user: Person) -> QuerySet[Macro]:
    """The macros ``user`` may see in a list to manage: their own personal ones, and every shared
    one for desk managers (active or not). Agents see the shared macros they may use through
    ``usable_macros``."""
    if not works_tickets(user):
        return Macro.objects.none()
    assert isinstance(user, User)
    mine = Q(scope=MacroScope.PERSONAL, owner=user)
    return Macro.objects.filter(mine | ~Q(scope=MacroScope.PERSONAL) if can_manage_desk(user) else mine)


# --- where a person reads a ticket ------------------------------------------------------------------


def ticket_path_for(user: Person, ticket_id: int) -> str:
    """Where ``user`` reads ticket ``ticket_id``: the agent page for staff, the portal otherwise."""
    from django.urls import reverse

    if works_tickets(user):
        return reverse("agent:ticket", args=[ticket_id])
    return reverse("portal:ticket", args=[ticket_id])


# --- statistics -------------------------------------------------------------------------------------


def stats_visible_agents(viewer: Person) -> QuerySet[User]:
    """The agents (and admins) whose statistics ``viewer`` may see. THE rule for stats.

    Admins see every agent and admin; an agent — team-scoped or working every ticket — sees
    their own row only (API.md): one person's figures are for them and for whoever administers
    the desk, not for colleagues. Anyone else (customers, signed-out, deactivated users) sees
    nobody. What a team achieves together is in ``stats_visible_teams``.
    """
    staff = staff_members(active=False)
    if not works_tickets(viewer):
        return staff.none()
    assert isinstance(viewer, User)
    if administers(viewer):
        return staff
    return staff.filter(pk=viewer.pk)


def stats_sees_everyone(viewer: Person) -> bool:
    """Whether ``stats_visible_agents`` and ``stats_visible_teams`` give ``viewer`` every agent and
    every team (admins), rather than their own row and their teams' totals (agents; every team's
    for those who work every ticket, ``stats_sees_every_team``) — what the statistics page tells
    its reader they are looking at."""
    return works_tickets(viewer) and administers(viewer)


def stats_sees_every_team(viewer: Person) -> bool:
    """Whether ``stats_visible_teams`` gives ``viewer`` every team: admins, and agents who work
    every ticket — a team's totals are counted over tickets such an agent sees anyway, so every
    team's are theirs to compare (issue 14). Their agent rows stay their own (``stats_visible_agents``)."""
    if not works_tickets(viewer):
        return False
    assert isinstance(viewer, User)
    return administers(viewer) or holds_everywhere(viewer, WORK)


def stats_visible_teams(viewer: Person) -> QuerySet[Team]:
    """Teams whose aggregate ``viewer`` may see: admins and agents who work every ticket all
    (``stats_sees_every_team``), other agents their own teams (the team's totals, over the
    tickets the viewer may see; never a member's row)."""
    if not works_tickets(viewer):
        return Team.objects.none()
    assert isinstance(viewer, User)
    if stats_sees_every_team(viewer):
        return Team.objects.all()
    return Team.objects.filter(group__user=viewer)


# --- saved views ------------------------------------------------------------------------------------


def views_visible_to(user: Person) -> QuerySet[SavedView]:
    """The active saved views ``user`` has in their queue: their own personal views, their teams'
    views and everyone's. Nobody but people who work tickets has any. Whatever a view says, it
    only narrows the tickets ``user`` may see (``visible_tickets``)."""
    if not works_tickets(user):
        return SavedView.objects.none()
    assert isinstance(user, User)
    mine = Q(scope=ViewScope.PERSONAL, owner=user.pk)
    teams = Q(scope=ViewScope.TEAM, team__group__user=user.pk)
    return SavedView.objects.filter(mine | teams | Q(scope=ViewScope.EVERYONE), active=True)


def may_create_view(user: Person, scope: str) -> bool:
    """Whether ``user`` may make a view shared as ``scope``: agents make their own personal views;
    shared views (a team's, everyone's) are the desk managers' (``can_manage_desk``)."""
    if not works_tickets(user):
        return False
    return scope == ViewScope.PERSONAL or can_manage_desk(user)


def may_manage_view(user: Person, view: SavedView) -> bool:
    """Whether ``user`` may change or delete ``view``: its owner for a personal view (nobody else,
    not even an admin: it is someone's own), a desk manager for a shared one."""
    if not works_tickets(user):
        return False
    if view.scope == ViewScope.PERSONAL:
        return view.owner_id == getattr(user, "pk", None)
    return can_manage_desk(user)
