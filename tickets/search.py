"""Full-text search over tickets: the subject and the messages the searcher may read.

On PostgreSQL every ticket has a ``SearchDocument`` row holding two ``tsvector``s with GIN
indexes: ``public`` (the subject, weighted A, and the public replies) and ``internal`` (the
internal notes). Customers match ``public`` only, so an internal note can never make a ticket
turn up in a customer's search; agents match either. Services rebuild a ticket's document in the
same transaction as the change (``index_tickets``), so search is never behind the conversation;
``generate_tickets`` builds them batch by batch and ``manage.py reindex_search`` rebuilds all.

The text is parsed like a web search box (``websearch_to_tsquery``: words are ANDed, "quoted
phrases", ``or``, ``-word``), and ``#123`` also finds ticket 123. Results are ranked with
``ts_rank`` among the ``RANK_WINDOW`` most recently updated matches: a rare word (an order number,
a name) finds every ticket that has it, and a word on half the desk ranks the recent half of it
instead of scoring a million rows per keystroke.

SQLite (the embedded default) has no such index; there every word must appear (case-insensitive)
in the subject or a readable message, and tickets with more of the words in the subject rank first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Exists, Expression, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast

from helpdesk.ids import parse_id
from tickets import permissions
from tickets.models import Message, SearchDocument, Ticket

if TYPE_CHECKING:
    from accounts.models import User

#: How many of the most recently updated matching tickets are ranked by relevance.
RANK_WINDOW = 200
#: The annotation holding a ticket's relevance (higher is better) on ranked querysets.
RANK = "search_rank"

# One statement (re)builds the documents of the tickets in ``%(ids)s``: used by services for one
# ticket, by generate_tickets for a batch and by reindex_search for everything. Raw SQL because
# it is an upsert over an aggregate of two tables, which the ORM cannot say in one statement.
INDEX_SQL = """
INSERT INTO tickets_searchdocument (ticket_id, public, internal)
SELECT t.id,
       setweight(to_tsvector(%(config)s::regconfig, t.subject), 'A')
         || to_tsvector(%(config)s::regconfig, coalesce(m.public_text, '')),
       to_tsvector(%(config)s::regconfig, coalesce(m.internal_text, ''))
FROM tickets_ticket t
LEFT JOIN LATERAL (
    SELECT string_agg(body, E'\\n' ORDER BY id) FILTER (WHERE NOT internal) AS public_text,
           string_agg(body, E'\\n' ORDER BY id) FILTER (WHERE internal) AS internal_text
    FROM tickets_message WHERE ticket_id = t.id
) m ON true
WHERE t.id = ANY(%(ids)s)
ON CONFLICT (ticket_id) DO UPDATE SET public = EXCLUDED.public, internal = EXCLUDED.internal
"""


def config() -> str:
    """The text-search configuration (language) documents and queries are parsed with."""
    return settings.HELPDESK_SEARCH_CONFIG


def enabled(using=None) -> bool:
    """Whether the database keeps search documents (PostgreSQL) or search falls back to LIKE."""
    return (using or connection).vendor == "postgresql"


def index_tickets(ids: list[int], *, cursor=None) -> None:
    """Rebuild the search documents of tickets ``ids`` (inside the caller's transaction).

    ``cursor`` lets the bulk loader use its own connection; by default Django's is used.
    Does nothing where search has no index (SQLite).
    """
    if not ids:
        return
    params: dict[str, Any] = {"config": config(), "ids": list(ids)}
    if cursor is not None:
        cursor.execute(INDEX_SQL, params)
        return
    if not enabled():
        return
    with connection.cursor() as own:
        own.execute(INDEX_SQL, params)


# --- reading ------------------------------------------------------------------------------------


def _ticket_number(text: str) -> int | None:
    number = parse_id(text.strip().removeprefix("#"))
    return number if number is not None and number < 10**9 else None


def matching(qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
    """The tickets of ``qs`` that ``text`` finds for ``user``, in ``qs``'s order (a filter only).

    ``qs`` must already be scoped by ``permissions.visible_tickets``; this only narrows it.
    """
    text = text.strip()
    if not text:
        return qs
    return qs.filter(_text_condition(user, text, _ticket_number(text)))


def ranked(qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
    """``matching`` annotated with ``search_rank`` (order by ``-search_rank, -id`` for best first).

    Only the ``RANK_WINDOW`` most recently updated matches are kept (see the module doc).
    """
    text = text.strip()
    found = matching(qs, user, text)
    if not text:
        return found.annotate(**{RANK: Value(0.0, output_field=FloatField())})
    # The most recent by the activity ``user`` may know of: internal work must not decide which
    # of a customer's matches are ranked.
    window = found.order_by(f"-{permissions.activity_column(user)}", "-id").values("pk")[:RANK_WINDOW]
    qs = qs.filter(pk__in=Subquery(window))
    number = _ticket_number(text)
    exact = Q(pk=number) if number is not None else Q(pk__in=[])
    return qs.annotate(
        **{RANK: Case(When(exact, then=Value(1000.0)), default=_rank(user, text), output_field=FloatField())}
    )


def _text_condition(user: User, text: str, number: int | None) -> Q:
    notes = permissions.readable_notes(user)
    notes_everywhere = notes is not None and not notes  # an empty Q: every ticket the user sees
    if enabled():
        from django.contrib.postgres.search import SearchQuery

        query = SearchQuery(text, config=config(), search_type="websearch")
        found = Q(public=query)
        if notes_everywhere:
            found |= Q(internal=query)
        if number is not None:
            # Inside the sub-select (every ticket has a document), so PostgreSQL ORs two index
            # scans of the documents instead of testing every ticket: 110 -> 5 ms for "48213".
            found |= Q(ticket_id=number)
        condition = Q(Exists(SearchDocument.objects.filter(found, ticket=OuterRef("pk"))))
        if notes is not None and not notes_everywhere:
            in_notes = SearchDocument.objects.filter(internal=query, ticket=OuterRef("pk"))
            condition |= Q(Exists(in_notes)) & notes
        return condition
    condition = Q()
    for word in _words(text):
        messages = Message.objects.filter(ticket=OuterRef("pk"), body__icontains=word)
        in_word = Q(subject__icontains=word) | Q(Exists(messages.filter(internal=False)))
        if notes is not None:
            in_word |= Q(Exists(messages.filter(internal=True))) & notes
        condition &= in_word
    return condition | Q(pk=number) if number is not None else condition


def _rank(user: User, text: str):
    if enabled():
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(text, config=config(), search_type="websearch")
        vector: F | Func = F("public")
        notes = permissions.readable_notes(user)
        if notes is not None and not notes:  # notes count towards the rank only where all are readable
            vector = Func(F("public"), F("internal"), template="(%(expressions)s)", arg_joiner=" || ")
        score = SearchDocument.objects.filter(ticket=OuterRef("pk")).annotate(
            score=Cast(SearchRank(vector, query), FloatField())
        )
        return Subquery(score.values("score")[:1], output_field=FloatField())
    in_subject = [Case(When(subject__icontains=word, then=Value(1.0)), default=Value(0.0)) for word in _words(text)]
    total: Expression = in_subject[0]
    for term in in_subject[1:]:
        total = total + term
    return total


def _words(text: str) -> list[str]:
    words = [word.strip("\"'") for word in text.split()]
    return [word for word in words if word][:20] or [text]
