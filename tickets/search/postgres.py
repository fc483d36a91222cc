"""The default search backend: PostgreSQL full-text search over per-ticket documents.

On PostgreSQL every ticket has a ``SearchDocument`` row holding two ``tsvector``s with GIN
indexes: ``public`` (the subject, weighted A, and the public replies) and ``internal`` (the
internal notes). Customers match ``public`` only, so an internal note can never make a ticket
turn up in a customer's search; agents match either. Services rebuild a ticket's document in the
same transaction as the change (``index_tickets``), so search is never behind the conversation;
``generate_tickets`` builds them batch by batch and ``manage.py reindex_search`` rebuilds all.

The text is parsed like a web search box (``websearch_to_tsquery``: words are ANDed, "quoted
phrases", ``or``, ``-word``), and ``#123`` (or ``123``) also finds ticket 123.

**The ranking window.** A ranked search (the lists' "Best match", the API's default with ``q``)
ranks with ``ts_rank`` only the ``RANK_WINDOW`` most recently *created* matching tickets (the
highest ids) — plus the ticket whose number was typed. A rare word (an order number, a name)
finds every ticket that has it; a word on half the desk ranks the newest 200 of them instead of
scoring half a million documents per keystroke. The window is found in **id slices** walked
newest first (``FIRST_SLICE`` ids, then each slice ``SLICE_GROWTH`` times wider, down to the
oldest ticket), one ``UNION ALL`` statement whose ``LIMIT`` stops PostgreSQL from touching the
older slices once the window is full: a common word reads the matches of the newest slice only,
a rare one a few cheap index probes per slice — whatever the planner estimated.

**Quoted phrases are checked in a bounded candidate window.** The GIN index knows which
documents hold every word of a phrase but not where, so each of them must be re-read to check
word order; a phrase of common words ("wrong amount") has tens of thousands. A ranked phrase
search therefore first takes the ``PHRASE_WINDOW`` most recently created tickets holding all the
phrase's words (the same slices, answered from the index alone), then re-reads only those to
check the phrase, and keeps the newest ``RANK_WINDOW`` that have it. So at most
``PHRASE_WINDOW`` documents are re-read per search; a phrase whose words are common but which
itself is rare may miss tickets older than the newest ``PHRASE_WINDOW`` holding its words (a
negated phrase, ``-"..."``, is not bounded: it needs no re-reading to exclude). Sorting a search
by anything but relevance lists every match, unbounded, in that order.

SQLite (the embedded default) has no such index; there every word must appear (case-insensitive)
in the subject or a readable message, and tickets with more of the words in the subject rank
first, among the ``RANK_WINDOW`` newest matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast

from helpdesk.ids import parse_id
from tickets import permissions
from tickets.models import Message, SearchDocument, Ticket
from tickets.search.base import RANK

if TYPE_CHECKING:
    from accounts.models import User

#: How many of the most recently created matching tickets a ranked search ranks.
RANK_WINDOW = 200
#: How many of the most recently created tickets holding a quoted phrase's words are re-read to
#: check the phrase (ranked searches; see the module doc).
PHRASE_WINDOW = 500
#: The newest slice of ticket ids a ranked search looks in first, and how much wider each older
#: slice is (the last one reaches the oldest ticket).
FIRST_SLICE = 50_000
SLICE_GROWTH = 4

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


def write_documents(ids: Sequence[int], cursor) -> None:
    """Rebuild the PostgreSQL search documents of tickets ``ids`` with ``cursor``."""
    if ids:
        params: dict[str, Any] = {"config": config(), "ids": list(ids)}
        cursor.execute(INDEX_SQL, params)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


class PostgresBackend:
    """PostgreSQL full-text search (``SearchDocument`` rows, GIN indexes); LIKE on SQLite."""

    name = "postgresql"

    def keeps_index(self) -> bool:
        return _postgresql()

    def index_tickets(self, ids: Sequence[int]) -> None:
        """Rebuild the documents of ``ids`` inside the caller's transaction (nothing on SQLite)."""
        if ids and _postgresql():
            with connection.cursor() as cursor:
                write_documents(ids, cursor)

    def remove(self, ids: Sequence[int]) -> None:
        """Nothing to do: a ticket's document is deleted with it (ON DELETE CASCADE)."""

    def matching(self, qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
        """The tickets of ``qs`` that ``text`` finds for ``user``, in ``qs``'s order (a filter only).

        ``qs`` must already be scoped by ``permissions.visible_tickets``; this only narrows it.
        """
        text = text.strip()
        if not text:
            return qs
        return qs.filter(_text_condition(user, text, _ticket_number(text)))

    def ranked(self, qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
        """``matching`` among the window (see the module doc), annotated with ``search_rank``."""
        text = text.strip()
        if not text:
            return qs.annotate(**{RANK: Value(0.0, output_field=FloatField())})
        number = _ticket_number(text)
        window = _window(qs, user, text, number)
        qs = qs.filter(pk__in=window)
        exact = Q(pk=number) if number is not None else Q(pk__in=[])
        return qs.annotate(
            **{RANK: Case(When(exact, then=Value(1000.0)), default=_rank(user, text), output_field=FloatField())}
        )


# --- reading ------------------------------------------------------------------------------------


def _ticket_number(text: str) -> int | None:
    number = parse_id(text.strip().removeprefix("#"))
    return number if number is not None and number < 10**9 else None


def _window(qs: QuerySet[Ticket], user: User, text: str, number: int | None) -> QuerySet:
    """The ids of the matches a ranked search ranks (a subquery; see the module doc)."""
    if not _postgresql():
        newest = qs.filter(_text_condition(user, text, number)).order_by("-pk").values("pk")[:RANK_WINDOW]
        typed = qs.filter(pk=number).values("pk") if number is not None else None
        return newest if typed is None else Ticket.objects.filter(Q(pk__in=newest) | Q(pk__in=typed)).values("pk")
    if not _bounded_phrase(text):
        return _newest(qs, user, text, number, RANK_WINDOW, _top())
    # Candidates: the newest holding every word (the GIN index answers without re-reading them),
    # then the phrase checked in each candidate's document, one by one (a sub-plan per row, so
    # PostgreSQL cannot turn it back into an unbounded index scan of every document).
    candidates = _newest(qs, user, text.replace('"', " "), number, PHRASE_WINDOW, _top())
    query = _query(text)
    document = SearchDocument.objects.filter(ticket=OuterRef("pk"))
    notes = permissions.readable_notes(user)
    notes_everywhere = notes is not None and not notes
    public = Q(public=query) | Q(internal=query) if notes_everywhere else Q(public=query)
    checked = qs.filter(pk__in=candidates).alias(
        _in_public=Subquery(document.annotate(hit=ExpressionWrapper(public, BooleanField())).values("hit")[:1])
    )
    found = Q(_in_public=True)
    if notes is not None and not notes_everywhere:
        checked = checked.alias(
            _in_notes=Subquery(
                document.annotate(hit=ExpressionWrapper(Q(internal=query), BooleanField())).values("hit")[:1]
            )
        )
        found |= Q(_in_notes=True) & notes
    if number is not None:
        found |= Q(pk=number)
    return checked.filter(found).order_by("-pk").values("pk")[:RANK_WINDOW]


def _bounded_phrase(text: str) -> bool:
    """Whether ``text`` has a quoted phrase to check in a bounded window (not a negated one)."""
    return text.count('"') >= 2 and '-"' not in text


def _newest(qs: QuerySet[Ticket], user: User, text: str, number: int | None, limit: int, top: int) -> QuerySet:
    """The ids of the ``limit`` newest tickets of ``qs`` that ``text`` finds: one UNION ALL of
    id slices below ``top`` (about the newest id), newest first, each its own top-``limit`` (see
    the module doc); the ticket whose number was typed comes first.

    The bounds are constants, not a sub-select, so that PostgreSQL knows how many tickets each
    slice holds and picks per slice between walking it and ANDing it with the GIN match. ``top``
    need not be exact: the first slice has no upper bound and the last no lower one.
    """
    parts = [qs.filter(pk=number).values("pk")] if number is not None else []
    upper: int | None = None
    lower = FIRST_SLICE
    while True:
        # The slice bounds both the tickets and the documents, so PostgreSQL can read either
        # side by the slice.
        within = Q() if upper is None else Q(ticket_id__lte=top - upper)
        bounds = Q() if upper is None else Q(pk__lte=top - upper)
        last = top - lower <= 0
        if not last:
            within &= Q(ticket_id__gt=top - lower)
            bounds &= Q(pk__gt=top - lower)
        part = qs.filter(bounds, _text_condition(user, text, None, within=within))
        # An older slice is read only when the newer ones held fewer than ``limit`` matches: the
        # text is rare, so the GIN match ANDed with the slice is the right plan, not walking the
        # slice newest first (which PostgreSQL picks when it overestimates a rare word, and which
        # then reads the whole slice). Ordering by an expression no index has rules the walk out.
        newest_first = F("pk").desc() if upper is None else (F("pk") + 0).desc()
        parts.append(part.order_by(newest_first).values("pk")[:limit])
        if last:
            break
        upper, lower = lower, lower + (lower - (upper or 0)) * SLICE_GROWTH
    return parts[0].union(*parts[1:], all=True)[:limit]


def _top() -> int:
    """The newest ticket id (one index probe)."""
    return Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _query(text: str):
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(text, config=config(), search_type="websearch")


def _text_condition(user: User, text: str, number: int | None, *, within: Q | None = None) -> Q:
    """Where ``text`` finds a ticket for ``user``; ``within``: a condition on the documents read
    (PostgreSQL), such as a slice of ticket ids."""
    within = within or Q()
    notes = permissions.readable_notes(user)
    notes_everywhere = notes is not None and not notes  # an empty Q: every ticket the user sees
    if _postgresql():
        query = _query(text)
        found = Q(public=query)
        if notes_everywhere:
            found |= Q(internal=query)
        if number is not None:
            # Inside the sub-select (every ticket has a document), so PostgreSQL ORs two index
            # scans of the documents instead of testing every ticket: 110 -> 5 ms for "48213".
            found |= Q(ticket_id=number)
        condition = Q(Exists(SearchDocument.objects.filter(found, within, ticket=OuterRef("pk"))))
        if notes is not None and not notes_everywhere:
            in_notes = SearchDocument.objects.filter(within, internal=query, ticket=OuterRef("pk"))
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
    if _postgresql():
        from django.contrib.postgres.search import SearchRank

        query = _query(text)
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
