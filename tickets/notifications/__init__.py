"""Who hears about what happened on a ticket, and how: in-app notifications and email (issue 8).

- ``rules``: who is notified of which history event;
- ``inapp``: the stored notifications behind the bell;
- ``email``: the mail for each notification;
- ``tasks``: the job that applies the rules, stores and sends, after commit;
- ``dispatch``: ``announce_after_commit`` (what services call) and ``muted()``.

Dependencies point one way: dispatch → tasks → inapp/email → rules → models and permissions.
Nothing here imports ``tickets.services``.
"""

from tickets.notifications.dispatch import announce_after_commit, event_committed, muted
from tickets.notifications.email import send_email
from tickets.notifications.inapp import create_for_event
from tickets.notifications.rules import recipients_for

__all__ = ["announce_after_commit", "create_for_event", "event_committed", "muted", "recipients_for", "send_email"]
