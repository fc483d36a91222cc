"""Every committed ticket change refreshes the ticket's SLA clocks (issue 17).

``TicketChange.after_commit`` calls ``after_change`` right after the triggers' hook, so the
refresh is registered after the triggers' ``on_commit`` callback and sees what they changed (a
trigger that raises the priority retargets the clocks). The refresh itself is
``tickets.sla.refresh.sla_refresh``: idempotent, so a trigger chain refreshing several times
costs time, never a wrong clock.

Cost for a desk without SLA policies: one cache read. Whether any policy is active is remembered
per process and per version of the policies (``policies_changed`` bumps the version on every
save or delete of a policy or a target, as ``tickets.triggers`` does for its definitions).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tickets import caching

if TYPE_CHECKING:
    from tickets.services.changes import TicketChange

log = logging.getLogger("tickets.sla")

VERSION_KEY = "helpdesk:sla:policies:version"
_memo: dict[int, bool] = {}


def policies_changed() -> None:
    """Policies or targets changed: every process asks again whether any policy is active.
    Bumped at once (this transaction's readers) and again at commit (other processes')."""
    caching._bump([VERSION_KEY])
    transaction.on_commit(lambda: caching._bump([VERSION_KEY]), robust=True)


def any_active() -> bool:
    """Whether any SLA policy is active (one cache read; one query per new version)."""
    from tickets.sla.models import SlaPolicy

    current = caching.version(VERSION_KEY)
    found = _memo.get(current)
    if found is None:
        found = SlaPolicy.objects.filter(active=True).exists()
        _memo.clear()
        _memo[current] = found
    return found


def after_change(change: TicketChange) -> None:
    """Refresh the clocks of ``change``'s ticket once its transaction commits (after the
    triggers, registered just before)."""
    if not change.events or not any_active():
        return
    ticket_id = change.ticket.pk
    transaction.on_commit(lambda: refresh(ticket_id), robust=True)


def refresh(ticket_id: int) -> None:
    from tickets.models import Ticket
    from tickets.sla.refresh import sla_refresh

    try:
        sla_refresh(Ticket(pk=ticket_id))
    except Ticket.DoesNotExist:  # deleted meanwhile (a trigger, or the change was a deletion)
        return


def _changed(sender, **kwargs) -> None:
    policies_changed()


def connect() -> None:
    from tickets.sla.models import SlaPolicy, SlaTarget

    for model in (SlaPolicy, SlaTarget):
        receiver(post_save, sender=model, dispatch_uid=f"sla-hook-save-{model.__name__}")(_changed)
        receiver(post_delete, sender=model, dispatch_uid=f"sla-hook-delete-{model.__name__}")(_changed)
