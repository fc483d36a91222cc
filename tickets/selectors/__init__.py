"""Every read of tickets, already scoped by ``tickets.permissions`` (DESIGN §6).

Pages and API fetch tickets through these and nothing else, so what a user can list, open and
search is decided in one place:

- ``tickets``: one ticket and its conversation, history and files; the list joins; what the API
  shows of a ticket.
- ``listing``: the one ticket list of the portal, the queue and the API — its filters (parsed
  once), its sorts and its keyset pages.
- ``portal``: My tickets and the history the portal shows.
- ``notifications``: the bell and the notifications page.

The public names are importable from ``tickets.selectors`` itself.
"""

from tickets.selectors.listing import (
    DEFAULT_SORT,
    SEARCH_SORT,
    SORTS,
    TicketFilterForm,
    TicketFilters,
    TicketPage,
    sort_keys,
    sorts_for,
    ticket_list,
    ticket_page,
)
from tickets.selectors.notifications import (
    NOTIFICATIONS_PAGE_SIZE,
    UNREAD_CAP,
    notification_get_for_user,
    notifications_page,
    unread_count_key,
    unread_notification_count,
)
from tickets.selectors.portal import (
    PORTAL_FILTERS,
    PORTAL_HISTORY_KINDS,
    KeysetPage,
    my_tickets_page,
    portal_history_for,
    ticket_list_for_portal,
    with_new_reply,
)
from tickets.selectors.tickets import (
    Conversation,
    attachment_get_for_user,
    attachments_for,
    conversation_for,
    events_for,
    messages_for,
    tag_names,
    ticket_as_opened,
    ticket_for_api,
    ticket_get_for_portal_page,
    ticket_get_for_user,
    ticket_list_for_agent,
    ticket_list_for_api,
    ticket_list_for_requester,
    with_activity,
    with_description,
    with_public_message_count,
)

__all__ = [
    "DEFAULT_SORT",
    "NOTIFICATIONS_PAGE_SIZE",
    "PORTAL_FILTERS",
    "PORTAL_HISTORY_KINDS",
    "SEARCH_SORT",
    "SORTS",
    "KeysetPage",
    "TicketFilterForm",
    "TicketFilters",
    "TicketPage",
    "attachment_get_for_user",
    "Conversation",
    "attachments_for",
    "events_for",
    "my_tickets_page",
    "conversation_for",
    "messages_for",
    "notification_get_for_user",
    "notifications_page",
    "portal_history_for",
    "sort_keys",
    "sorts_for",
    "ticket_as_opened",
    "ticket_for_api",
    "ticket_get_for_user",
    "ticket_get_for_portal_page",
    "ticket_list",
    "ticket_list_for_agent",
    "ticket_list_for_api",
    "ticket_list_for_portal",
    "ticket_list_for_requester",
    "tag_names",
    "ticket_page",
    "UNREAD_CAP",
    "unread_count_key",
    "unread_notification_count",
    "with_activity",
    "with_description",
    "with_new_reply",
    "with_public_message_count",
]
