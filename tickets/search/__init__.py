"""Ticket search: what the lists, the API, the Zendesk-compatible search and the services call.

Every function here asks the configured backend (``settings.HELPDESK_SEARCH_BACKEND``, see
``tickets.search.base``); the default, ``tickets.search.postgres.PostgresBackend``, is
PostgreSQL full-text search over per-ticket documents (a LIKE fallback on SQLite). Callers hand in
querysets scoped by ``permissions.visible_tickets``; a backend only narrows them.

``index_tickets(ids, cursor=...)`` with a cursor is the database documents' bulk path (the
generator's loader and the migration that backfilled them): it writes PostgreSQL documents on that
connection whatever backend answers searches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tickets.search.base import RANK, SearchBackend, backend, candidates_filter

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User
    from tickets.models import Ticket

__all__ = [
    "RANK",
    "SearchBackend",
    "backend",
    "candidates_filter",
    "enabled",
    "index_tickets",
    "matching",
    "ranked",
    "remove",
]


def matching(qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
    """The tickets of ``qs`` that ``text`` finds for ``user``, in ``qs``'s order (a filter only)."""
    return backend().matching(qs, user, text)


def ranked(qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
    """``matching`` annotated with ``search_rank`` (order by ``-search_rank, -id`` for best first)."""
    return backend().ranked(qs, user, text)


def index_tickets(ids: Sequence[int], *, cursor=None) -> None:
    """Reindex tickets ``ids`` in the configured backend (inside the caller's transaction).

    With ``cursor``: rebuild the PostgreSQL documents of ``ids`` on that connection (bulk loads).
    """
    if cursor is not None:
        from tickets.search import postgres

        postgres.write_documents(ids, cursor)
        return
    backend().index_tickets(ids)


def remove(ids: Sequence[int]) -> None:
    """Tell the configured backend that tickets ``ids`` are gone."""
    backend().remove(ids)


def enabled() -> bool:
    """Whether the configured backend keeps an index (``reindex_search`` has something to do)."""
    return backend().keeps_index()
