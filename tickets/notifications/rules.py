"""Who hears about what happened on a ticket (the rules; ``inapp`` stores, ``email`` sends):

- the requester (and collaborators) on the support side's public reply, on the ticket moving to
  pending or solved (unless that came with a public reply, which already says so), and on
  creation (an acknowledgement with the ticket link);
- the assignee on being assigned by someone else, and on a reply from the requester's side;
- the members of the ticket's team on a new, unassigned ticket routed to it (each agent may mute
  these with ``User.notify_team_tickets``).

Internal notes and internal events never produce a notification, so they never reach a customer.
"""

from __future__ import annotations

from accounts.models import User
from tickets import permissions
from tickets.models import EventKind, NotificationKind, Status, TicketEvent


def recipients_for(event: TicketEvent) -> list[tuple[User, str]]:
    """(user, NotificationKind) pairs for ``event``; empty for internal events."""
    if not event.public and event.kind != EventKind.TEAM_CHANGED:
        return []
    ticket = event.ticket
    actor = event.actor
    support_replied = permissions.replies_for_support(actor, ticket)
    out: list[tuple[User, str]] = []

    def requester_side() -> list:
        people = [ticket.requester, *ticket.collaborators.all()]
        return [p for p in people if p.is_active and (actor is None or p.pk != actor.pk)]

    if event.kind == EventKind.CREATED:
        if ticket.requester.is_active:
            out.append((ticket.requester, NotificationKind.TICKET_CREATED))
    elif event.kind == EventKind.MESSAGE_ADDED:
        if support_replied:
            out += [(p, NotificationKind.AGENT_REPLIED) for p in requester_side()]
        elif (
            ticket.assignee is not None
            and ticket.assignee.is_active
            and ticket.assignee_id != getattr(actor, "pk", None)
        ):
            out.append((ticket.assignee, NotificationKind.REQUESTER_REPLIED))
    elif event.kind == EventKind.STATUS_CHANGED and event.data.get("new") in (Status.PENDING, Status.SOLVED):
        came_with_reply = TicketEvent.objects.filter(
            ticket=ticket, kind=EventKind.MESSAGE_ADDED, created_at=event.created_at, actor=actor
        ).exists()
        if not came_with_reply:
            out += [(p, NotificationKind.STATUS_CHANGED) for p in requester_side()]
    elif event.kind == EventKind.ASSIGNED:
        new = (event.data or {}).get("new")
        assignee = ticket.assignee
        still_theirs = new is not None and assignee is not None and assignee.pk == new["id"] and assignee.is_active
        if still_theirs and assignee is not None and (actor is None or assignee.pk != actor.pk):
            out.append((assignee, NotificationKind.ASSIGNED))
    elif event.kind == EventKind.TEAM_CHANGED:
        new = (event.data or {}).get("new")
        team = ticket.team
        if (
            new
            and team is not None
            and team.pk == new["id"]
            and ticket.assignee_id is None
            and ticket.status == Status.OPEN
        ):
            members = team.members.filter(is_active=True, notify_team_tickets=True)
            if actor is not None:
                members = members.exclude(pk=actor.pk)
            out += [(member, NotificationKind.TEAM_TICKET) for member in members]
    return out
