"""Every write to tickets (DESIGN §6), by concern:

- ``creation``: opening tickets (``ticket_create``, ``ticket_create_idempotent``);
- ``lifecycle``: the status table and status changes, closing solved tickets, deleting;
- ``assignment``: assigning, claiming, the next ticket from a queue, moving between teams;
- ``fields``: changing a ticket's fields, one ticket or many at once;
- ``conversation``: replies, internal notes, files, collaborators;
- ``reading``: read markers and notifications marked read;
- ``changes``: the row lock, history events, the save and the after-commit effects every
  write above shares; ``validation``: the input checks.

Each service takes keyword-only arguments with an explicit ``actor``, runs in one transaction,
checks permission through ``tickets.permissions``, validates everything before writing, saves
with ``update_fields``, writes one ``TicketEvent`` per change and says what follows after
commit (notifications, cache expiry). Errors:

- ``django.http.Http404``: the actor may not see the ticket;
- ``django.core.exceptions.PermissionDenied``: they may see it but not do this;
- ``django.core.exceptions.ValidationError``: bad input, keyed by field name;
- ``tickets.exceptions.Conflict``: the ticket's state forbids it (closed, claimed by another).
"""

from tickets.services.assignment import claim_next, ticket_assign, ticket_claim, ticket_release, ticket_route
from tickets.services.conversation import (
    attachment_add,
    collaborator_add,
    collaborator_add_by_channel,
    collaborator_remove,
    message_add,
)
from tickets.services.creation import IDEMPOTENCY_WINDOW_HOURS, ticket_create, ticket_create_idempotent
from tickets.services.fields import BULK_FIELDS, ticket_bulk_update, ticket_update
from tickets.services.lifecycle import (
    REOPENED_BY_REQUESTER_REPLY,
    REQUESTER_TRANSITIONS,
    TRANSITIONS,
    ticket_autoclose,
    ticket_change_status,
    ticket_delete,
)
from tickets.services.reading import notification_mark_read, notification_mark_read_for_ticket, ticket_mark_seen
from tickets.services.validation import (
    BODY_MAX,
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MAX_BULK_TICKETS,
    MAX_METADATA_KEYS,
    MAX_TAGS,
    SUBJECT_MAX,
    SUBJECT_MIN,
    TAG_RE,
    clean_tags,
)

__all__ = [
    "BODY_MAX",
    "BULK_FIELDS",
    "DESCRIPTION_MAX",
    "DESCRIPTION_MIN",
    "IDEMPOTENCY_WINDOW_HOURS",
    "MAX_BULK_TICKETS",
    "MAX_METADATA_KEYS",
    "MAX_TAGS",
    "REOPENED_BY_REQUESTER_REPLY",
    "REQUESTER_TRANSITIONS",
    "SUBJECT_MAX",
    "SUBJECT_MIN",
    "TAG_RE",
    "TRANSITIONS",
    "attachment_add",
    "claim_next",
    "clean_tags",
    "collaborator_add",
    "collaborator_add_by_channel",
    "collaborator_remove",
    "message_add",
    "notification_mark_read",
    "notification_mark_read_for_ticket",
    "ticket_assign",
    "ticket_autoclose",
    "ticket_bulk_update",
    "ticket_change_status",
    "ticket_claim",
    "ticket_release",
    "ticket_route",
    "ticket_create",
    "ticket_create_idempotent",
    "ticket_delete",
    "ticket_mark_seen",
    "ticket_update",
]
