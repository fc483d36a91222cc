"""What a search backend is: the ``SearchBackend`` protocol, how one is chosen, and the one way
candidates from a search engine become tickets a person may see.

A backend answers two questions for the ticket lists (``matching``: a filter; ``ranked``: a filter
plus the ``search_rank`` annotation) and keeps its index current (``index_tickets``, ``remove``).
It never decides access: it receives a queryset already scoped by
``permissions.visible_tickets`` and may only narrow it. A backend backed by an external engine
turns the engine's answer (ticket ids whose public text matches, and ids whose internal notes
match) into a filter with ``candidates_filter``, which applies ``permissions.readable_notes`` to
the ids found only through notes — the engine is never trusted with who may read what.

``settings.HELPDESK_SEARCH_BACKEND`` names the backend class (dotted path); the default is
``tickets.search.postgres.PostgresBackend``. docs/SCALING.md describes an engine-backed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from tickets import permissions

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

#: The annotation holding a ticket's relevance (higher is better) on ranked querysets.
RANK = "search_rank"
DEFAULT_BACKEND = "tickets.search.postgres.PostgresBackend"


@runtime_checkable
class SearchBackend(Protocol):
    """A ticket search backend. ``qs`` is always already scoped by ``permissions.visible_tickets``."""

    #: A short name for logs and messages.
    name: str

    def keeps_index(self) -> bool:
        """Whether the backend keeps an index that ``reindex_search`` can rebuild (here and now:
        the database backend keeps none on SQLite)."""

    def matching(self, qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
        """The tickets of ``qs`` that ``text`` finds for ``user``, in ``qs``'s order (a filter only)."""

    def ranked(self, qs: QuerySet[Ticket], user: User, text: str) -> QuerySet[Ticket]:
        """``matching`` annotated with ``RANK`` (a float, higher is better); callers order by
        ``-search_rank, -id``. A backend may rank only a bounded window of the matches and must
        say which in its documentation."""

    def index_tickets(self, ids: Sequence[int]) -> None:
        """(Re)index tickets ``ids`` — called by the services inside the transaction that changed
        them. An engine-backed backend should defer the work until commit (``on_commit`` or the
        change feed), never send uncommitted text to the engine."""

    def remove(self, ids: Sequence[int]) -> None:
        """Forget tickets ``ids`` (deleted). Same transaction rule as ``index_tickets``."""


def candidates_filter(user: User, public_ids: Iterable[int], internal_ids: Iterable[int] = ()) -> Q:
    """The filter for tickets an engine found: ``public_ids`` matched in text everyone who sees
    the ticket may read (subject, public replies), ``internal_ids`` only in internal notes.

    Ids found only in notes count only where ``user`` may read the notes (none for customers);
    AND this with a ``visible_tickets`` queryset, so an id the engine returns that ``user`` may
    not see is dropped whatever the engine believed.
    """
    found = Q(pk__in=list(public_ids))
    notes = permissions.readable_notes(user)
    internal = list(internal_ids)
    if notes is not None and internal:
        found |= Q(pk__in=internal) & notes
    return found


@cache
def _load(path: str) -> SearchBackend:
    try:
        backend = import_string(path)()
    except ImportError as error:
        raise ImproperlyConfigured(f"HELPDESK_SEARCH_BACKEND {path!r} cannot be imported: {error}") from error
    if not isinstance(backend, SearchBackend):
        raise ImproperlyConfigured(f"HELPDESK_SEARCH_BACKEND {path!r} is not a SearchBackend.")
    return backend


def backend() -> SearchBackend:
    """The configured backend (one instance per dotted path; changing the setting in tests works)."""
    return _load(getattr(settings, "HELPDESK_SEARCH_BACKEND", None) or DEFAULT_BACKEND)
