"""Who may see and do what with which ticket (DESIGN §5): the ticket half of the permission layer.

The only package that talks to django-guardian. With ``accounts.permissions`` (roles: who works
tickets, who administers), it is the only code that reads roles to decide access; every page,
endpoint, selector, service, template (through context) and admin asks these names.

- ``levels``: the four cumulative ticket levels, the actions and what each needs;
- ``access``: ``visible_tickets``, ``can``, ``authorize``, ``get_ticket_or_404`` and friends;
- ``rules``: named predicates (``internal_visible``, ``may_force_claim``,
  ``refused_create_fields``, ``replies_for_support``, …) and the statistics rules;
- ``grants``: giving and taking access as tickets are created and moved (services only).
"""

from accounts.permissions import administers, signed_in, staff_members, uses_portal, works_tickets
from tickets.permissions.access import (
    audience,
    authorize,
    can,
    get_ticket_or_404,
    readable_notes,
    sees_beyond_teams,
    sees_every_ticket,
    visible_ticket_ids,
    visible_tickets,
)
from tickets.permissions.grants import (
    grant_collaborator,
    grant_new_ticket,
    grant_team,
    people_access_changed,
    permission_rows_for_new_ticket,
    revoke_collaborator,
    revoke_team,
    sync_user_access,
)
from tickets.permissions.levels import (
    ALL_TICKETS_GROUP,
    DELETE,
    REPLY,
    SOLVE,
    VIEW,
    WORK,
    Action,
)
from tickets.permissions.rules import (
    STAFF_ONLY_CREATE_FIELDS,
    activity_at,
    activity_column,
    agents_who_can_work,
    can_work_team,
    counts_as_staff_activity,
    internal_visible,
    may_attach_to,
    may_be_assigned,
    may_change_in_bulk,
    may_claim_tickets,
    may_collaborate,
    may_force_claim,
    may_use_ticket_admin,
    refused_create_fields,
    replies_for_support,
    stats_visible_agents,
    stats_visible_teams,
    ticket_path_for,
)

__all__ = [
    "audience",
    "ALL_TICKETS_GROUP",
    "DELETE",
    "REPLY",
    "SOLVE",
    "STAFF_ONLY_CREATE_FIELDS",
    "VIEW",
    "WORK",
    "Action",
    "activity_at",
    "activity_column",
    "administers",
    "agents_who_can_work",
    "authorize",
    "can",
    "can_work_team",
    "counts_as_staff_activity",
    "get_ticket_or_404",
    "grant_collaborator",
    "grant_new_ticket",
    "grant_team",
    "internal_visible",
    "may_attach_to",
    "may_be_assigned",
    "may_change_in_bulk",
    "may_claim_tickets",
    "may_collaborate",
    "may_force_claim",
    "may_use_ticket_admin",
    "people_access_changed",
    "permission_rows_for_new_ticket",
    "readable_notes",
    "refused_create_fields",
    "replies_for_support",
    "revoke_collaborator",
    "revoke_team",
    "sees_beyond_teams",
    "sees_every_ticket",
    "signed_in",
    "staff_members",
    "stats_visible_agents",
    "stats_visible_teams",
    "sync_user_access",
    "ticket_path_for",
    "uses_portal",
    "visible_ticket_ids",
    "visible_tickets",
    "works_tickets",
]
