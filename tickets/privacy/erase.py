"""The ticket side of erasing a person (``accounts.privacy``), inside the erasure's transaction.

What happens (README, "Data protection"):

- their name on every message, file and history entry becomes "Deleted user" (the account row
  itself is renamed by ``accounts.privacy.account``), and history entries that named them (an
  assignment, a CC) name "Deleted user";
- their full name and address are replaced wherever they appear in the text of their tickets:
  subjects, other people's message bodies, satisfaction comments, history of subject and field
  changes, webhook payloads kept in the delivery log;
- their own message bodies stay unless ``erase_messages`` (then each becomes a fixed sentence);
- the files they uploaded are deleted from storage after commit (with their previews); each
  "attached …" history entry stays, saying the file was removed;
- they leave every CC list and lose every per-ticket grant; mail they sent keeps no raw copy or
  sender address; their notifications, read markers, pending uploads and API jobs go;
- each ticket they requested, were CC'd on or held gets a history entry "erased the personal data
  of the requester" (or CC, or assignee), naming nobody.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.privacy.registry import DELETED_NAME, Erasure, scrub_json
from tickets import caching, search, thumbnails
from tickets.attachments import delete_after_commit
from tickets.history import SYSTEM
from tickets.models import (
    ApiJob,
    Attachment,
    EventKind,
    IdempotencyKey,
    InboundMessage,
    Message,
    Notification,
    PendingUpload,
    SatisfactionRating,
    Ticket,
    TicketEvent,
    TicketReadMarker,
    TicketUserPermission,
    WebhookDelivery,
)
from tickets.privacy.export import BATCH, involved_ticket_ids

#: What an erased message's body becomes (stored, like every body, as written).
ERASED_BODY = "[This message was erased at its author's request.]"
#: History kinds whose data name people as {"id", "name"}.
PEOPLE_KINDS = (
    EventKind.ASSIGNED,
    EventKind.TEAM_CHANGED,
    EventKind.COLLABORATOR_ADDED,
    EventKind.COLLABORATOR_REMOVED,
)
#: History kinds whose data hold free text (a subject, a field's value; the first entry keeps the
#: subject and the requester as they were).
TEXT_KINDS = (EventKind.CREATED, EventKind.SUBJECT_CHANGED, EventKind.CUSTOM_FIELD_CHANGED)


def remove_files(rows: list[tuple[int, str, str, int]]) -> set[int]:
    """Delete attachment rows ``(pk, file, sha256, ticket_id)`` now and their stored files (and
    unused previews) once the transaction commits; their "attached …" history entries say the
    file was removed. Returns the ids of the tickets they were on."""
    if not rows:
        return set()
    ids = {pk for pk, _file, _digest, _ticket in rows}
    tickets = {ticket for _pk, _file, _digest, ticket in rows}
    Attachment.objects.filter(pk__in=ids).delete()
    delete_after_commit([name for _pk, name, _digest, _ticket in rows])
    thumbnails.delete_unused_after_commit({digest for _pk, _name, digest, _ticket in rows})
    changed = []
    for event in TicketEvent.objects.filter(ticket_id__in=tickets, kind=EventKind.ATTACHMENT_ADDED):
        data = dict(event.data or {})
        if data.get("attachment_id") in ids:
            data.update(filename="", removed=True)
            event.data = data
            changed.append(event)
    TicketEvent.objects.bulk_update(changed, ["data"], batch_size=500)
    return tickets


def _rename_person(value: Any, pk: int) -> Any:
    """History data with every {"id": pk, "name": …} renamed to "Deleted user"."""
    if isinstance(value, dict):
        if value.get("id") == pk and "name" in value:
            return {**value, "name": DELETED_NAME}
        return {key: _rename_person(item, pk) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename_person(item, pk) for item in value]
    return value


def erase(erasure: Erasure) -> None:
    person = erasure.person
    count = erasure.count
    ids = involved_ticket_ids(person)
    roles: dict[int, list[str]] = {pk: [] for pk in ids}
    for pk in Ticket.objects.filter(requester=person).values_list("pk", flat=True):
        roles[pk].append("requester")
    through = Ticket.collaborators.through
    for pk in through.objects.filter(user=person).values_list("ticket_id", flat=True):
        roles[pk].append("cc")
    for pk in Ticket.objects.filter(assignee=person).values_list("pk", flat=True):
        roles[pk].append("assignee")

    own = Message.objects.filter(author=person)
    written_on = set(own.values_list("ticket_id", flat=True).distinct())
    count(gettext_noop("Messages"), own.update(author_name=DELETED_NAME))
    if erasure.erase_messages:
        count(gettext_noop("Message bodies erased"), own.update(body=ERASED_BODY))

    files = list(Attachment.objects.filter(uploaded_by=person).values_list("pk", "file", "sha256", "ticket_id"))
    remove_files(files)
    count(gettext_noop("Files deleted"), len(files))
    pending = list(PendingUpload.objects.filter(uploaded_by=person).values_list("pk", "file"))
    PendingUpload.objects.filter(pk__in=[pk for pk, _file in pending]).delete()
    delete_after_commit([name for _pk, name in pending])
    count(gettext_noop("Files deleted"), len(pending))
    ApiJob.objects.filter(creator=person).delete()

    count(gettext_noop("History entries"), TicketEvent.objects.filter(actor=person).update(actor_name=DELETED_NAME))
    named = Q()
    for side in ("old", "new", "unassigned", "user"):
        named |= Q(**{f"data__{side}__id": person.pk})
    # Ids first, then chunks: bounded memory however many tickets an agent held, and no writes to
    # the table a cursor is still reading (SQLite does not isolate the two).
    named_ids = list(TicketEvent.objects.filter(named, kind__in=PEOPLE_KINDS).values_list("pk", flat=True))
    for start in range(0, len(named_ids), 1000):
        renamed = list(TicketEvent.objects.filter(pk__in=named_ids[start : start + 1000]).only("pk", "data"))
        for event in renamed:
            event.data = _rename_person(event.data, person.pk)
        TicketEvent.objects.bulk_update(renamed, ["data"], batch_size=500)
    count(gettext_noop("History entries"), len(named_ids))

    every = sorted(set(ids) | written_on)
    for start in range(0, len(every), BATCH):
        _scrub_text(erasure, every[start : start + BATCH])

    count(gettext_noop("CC lists"), through.objects.filter(user=person).delete()[0])
    TicketUserPermission.objects.filter(user=person).delete()
    count(gettext_noop("Notifications"), Notification.objects.filter(recipient=person).delete()[0])
    TicketReadMarker.objects.filter(user=person).delete()
    IdempotencyKey.objects.filter(user=person).delete()
    if erasure.erase_messages:
        SatisfactionRating.objects.filter(requester=person).exclude(comment="").update(comment="")
    mail = InboundMessage.objects.filter(
        Q(envelope_sender__iexact=erasure.old_email) | Q(ticket_message__author=person)
    )
    inbound = []
    for message in mail.only("pk", "reason", "reason_parts"):
        message.raw, message.envelope_sender, message.reason = b"", erasure.new_email, erasure.scrub(message.reason)
        message.reason_parts = [
            {**part, "values": {k: erasure.scrub(v) if isinstance(v, str) else v for k, v in part["values"].items()}}
            for part in message.reason_parts or []
        ]
        inbound.append(message)
    InboundMessage.objects.bulk_update(inbound, ["raw", "envelope_sender", "reason", "reason_parts"], batch_size=200)
    count(gettext_noop("Mail received"), len(inbound))

    actor = erasure.actor
    at = timezone.now()
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=pk,
                actor=actor,
                actor_name=actor.name if actor is not None else SYSTEM,
                kind=EventKind.PERSON_ERASED,
                data={"roles": sorted(set(held))},
                public=bool({"requester", "cc"} & set(held)),
                created_at=at,
            )
            for pk, held in sorted(roles.items())
        ],
        batch_size=500,
    )
    count(gettext_noop("Tickets"), len(roles))
    caching.access_changed()


def _scrub_text(erasure: Erasure, ids: list[int]) -> None:
    """Replace the old name and address in the text of tickets ``ids`` (a fixed number of
    queries per batch; only the rows that mention them are read)."""
    mention = Q(body__icontains=erasure.old_email)
    comment = Q(comment__icontains=erasure.old_email)
    if len(erasure.old_name) >= 3:
        mention |= Q(body__icontains=erasure.old_name)
        comment |= Q(comment__icontains=erasure.old_name)
    reindex = set()
    messages = []
    for message in Message.objects.filter(mention, ticket_id__in=ids).only("pk", "ticket_id", "body"):
        message.body = erasure.scrub(message.body)
        messages.append(message)
        reindex.add(message.ticket_id)
    Message.objects.bulk_update(messages, ["body"], batch_size=200)
    tickets = []
    for ticket in Ticket.objects.filter(pk__in=ids).only("pk", "subject", "metadata"):
        subject = erasure.scrub(ticket.subject)[:150].ljust(5, ".")
        metadata = scrub_json(ticket.metadata, erasure.scrub)  # an importer's or an integration's notes
        if (subject, metadata) != (ticket.subject, ticket.metadata):
            if subject != ticket.subject:
                reindex.add(ticket.pk)
            ticket.subject, ticket.metadata = subject, metadata
            tickets.append(ticket)
    Ticket.objects.bulk_update(tickets, ["subject", "metadata"], batch_size=200)
    ratings = []
    for rating in SatisfactionRating.objects.filter(comment, ticket_id__in=ids).only("pk", "comment"):
        rating.comment = erasure.scrub(rating.comment)
        ratings.append(rating)
    SatisfactionRating.objects.bulk_update(ratings, ["comment"], batch_size=200)
    events = []
    for event in TicketEvent.objects.filter(ticket_id__in=ids, kind__in=TEXT_KINDS).only("pk", "data"):
        data = scrub_json(event.data, erasure.scrub)
        if data != event.data:
            event.data = data
            events.append(event)
    TicketEvent.objects.bulk_update(events, ["data"], batch_size=500)
    deliveries = []
    for delivery in WebhookDelivery.objects.filter(ticket_id__in=ids).only("pk", "payload"):
        payload = scrub_json(delivery.payload, erasure.scrub)
        if payload != delivery.payload:
            delivery.payload = payload
            deliveries.append(delivery)
    WebhookDelivery.objects.bulk_update(deliveries, ["payload"], batch_size=200)
    erasure.count(
        gettext_noop("Texts that named them"),
        len(messages) + len(tickets) + len(ratings) + len(events) + len(deliveries),
    )
    search.index_tickets(sorted(reindex))
    # Message bodies the person wrote changed too when they were erased.
    if erasure.erase_messages:
        search.index_tickets(
            sorted(
                set(
                    Message.objects.filter(author=erasure.person, ticket_id__in=ids).values_list("ticket_id", flat=True)
                )
            )
        )
