"""What ``accounts`` tells the rest of the product. ``accounts`` depends on nothing above it, so
when a change to people changes who may see which tickets it says so here, and ``tickets``
(which owns ticket access and its caches) listens — connected in ``TicketsConfig.ready``.

Sent by ``accounts.services`` inside the transaction of the change, never from model ``save()``.
"""

from django.dispatch import Signal

#: Who may see what changed: a role or ticket scope (``users``: the people whose own rules
#: changed), a team's members, an organization's members or sharing. ``new=True`` for a person
#: just created, on whom nothing cached can depend yet.
access_changed = Signal()
