"""What every settings page shares: the one permission check, the layout, paging, confirmation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.permissions import can_manage_desk
from accounts.settings_pages.registry import SECTIONS
from helpdesk.ids import parse_id

ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponse])
RowT = TypeVar("RowT", bound=Model)

PER_PAGE = 25


def settings_view(view: ViewT) -> ViewT:
    """Every settings view: signed-in admins only (``can_manage_desk``). Signed-out people never
    get here (``LoginRequiredMiddleware`` sends them to sign in); anyone else gets a 404, as for
    every page they may not see."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_desk(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return cast(ViewT, guarded)


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    section: str,
    landing: bool = False,
    status: int = 200,
) -> HttpResponse:
    """``template`` in the settings layout, with ``section`` marked in the side navigation
    (``landing``: this is the section's own first page, not a page inside it)."""
    return render(
        request,
        template,
        {**context, "nav": "settings", "settings_sections": SECTIONS, "section": section, "landing": landing},
        status=status,
    )


@settings_view
def index(request: HttpRequest) -> HttpResponse:
    return redirect(SECTIONS[0].url_name)


def get_or_404(rows: QuerySet[RowT], pk: object) -> RowT:
    """The row of ``rows`` with id ``pk``, or a 404 (also for ids no database column could hold)."""
    pk_int = parse_id(pk)
    found = rows.filter(pk=pk_int).first() if pk_int is not None else None
    if found is None:
        raise Http404("No such record.")
    return found


def page_of(request: HttpRequest, rows: QuerySet[Any], per_page: int = PER_PAGE) -> Page:
    """The page of ``rows`` the ``page`` parameter asks for (the first for anything that is not
    a page number, the last for one past the end). Two queries: the count and the page."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for the pager's links to keep them."""
    return urlencode([(key, value) for key, values in request.GET.lists() if key != "page" for value in values])


def confirm(
    request: HttpRequest,
    *,
    section: str,
    title: str,
    question: str,
    consequences: Iterable[str],
    button: str,
    cancel_url: str,
    hidden: Iterable[tuple[str, str]] = (),
    refusal: str = "",
    refusal_link: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The confirmation page of a dangerous action: what will happen, one button that POSTs to
    this same address (with ``hidden`` fields to carry a form over), and a way back. With a
    ``refusal`` the page explains why the action cannot be done (``refusal_link``: where to fix
    it, as url and text) and offers no button."""
    return render_page(
        request,
        "settings/confirm.html",
        {
            "title": title,
            "question": question,
            "consequences": list(consequences),
            "button": button,
            "cancel_url": cancel_url,
            "hidden": list(hidden),
            "refusal": refusal,
            "refusal_link": refusal_link,
        },
        section=section,
        status=status,
    )


def carried_fields(request: HttpRequest) -> list[tuple[str, str]]:
    """The fields of the posted form, for a confirmation page to send again."""
    skip = {"csrfmiddlewaretoken", "confirmed"}
    return [(key, value) for key, values in request.POST.lists() if key not in skip for value in values]
