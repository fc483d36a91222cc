"""A second search backend, for tests only: an in-memory "engine" that answers with ticket ids.

It stands in for an external engine (OpenSearch, Meilisearch) to show that the search interface
is the one the product uses: it is fed by ``index_tickets``/``remove`` after commit (as an engine
fed from committed changes would be), keeps the public and the internal text apart, and answers
with candidate ids that ``tickets.search.candidates_filter`` turns into a filter on the caller's
``visible_tickets`` queryset — it decides nothing about access. Not a mock of our database: the
tickets, permissions and API around it are the real ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Case, FloatField, QuerySet, Value, When

from tickets.models import Message, Ticket
from tickets.search import RANK, candidates_filter


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        #: ticket id -> (public words, internal words, subject words)
        self.documents: dict[int, tuple[set[str], set[str], set[str]]] = {}
        self.searches: list[str] = []

    def keeps_index(self) -> bool:
        return True

    def index_tickets(self, ids: Sequence[int]) -> None:
        ids = list(ids)
        transaction.on_commit(lambda: self._index(ids))

    def remove(self, ids: Sequence[int]) -> None:
        ids = list(ids)
        transaction.on_commit(lambda: [self.documents.pop(pk, None) for pk in ids])

    def _index(self, ids: list[int]) -> None:
        for ticket in Ticket.objects.filter(pk__in=ids):
            public, internal = words(ticket.subject), set[str]()
            for body, is_internal in Message.objects.filter(ticket=ticket).values_list("body", "internal"):
                (internal if is_internal else public).update(words(body))
            self.documents[ticket.pk] = (public, internal, words(ticket.subject))

    def _found(self, text: str) -> tuple[list[int], list[int]]:
        self.searches.append(text)
        wanted = words(text)
        public = [pk for pk, (pub, _notes, _subject) in self.documents.items() if wanted <= pub]
        internal = [pk for pk, (pub, notes, _subject) in self.documents.items() if wanted <= pub | notes]
        return public, internal

    def matching(self, qs: QuerySet[Ticket], user, text: str) -> QuerySet[Ticket]:
        if not text.strip():
            return qs
        public, internal = self._found(text)
        return qs.filter(candidates_filter(user, public, internal))

    def ranked(self, qs: QuerySet[Ticket], user, text: str) -> QuerySet[Ticket]:
        found = self.matching(qs, user, text)
        wanted = words(text)
        in_subject = [pk for pk, (_pub, _notes, subject) in self.documents.items() if wanted and wanted <= subject]
        return found.annotate(
            **{RANK: Case(When(pk__in=in_subject, then=Value(1.0)), default=Value(0.0), output_field=FloatField())}
        )
