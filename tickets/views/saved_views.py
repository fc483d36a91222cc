"""The saved-view editor (issue 16): "Save as view" from the queue, edit, test and delete.

Agents make and edit their own personal views; desk managers also share views with a team or
everyone (``tickets.permissions.may_create_view`` / ``may_manage_view``). A view someone may not
see is a 404, one they see but may not change a 403. "Test" shows which of the last 1,000
tickets the agent may see the conditions match, before anything is saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import can_manage_desk
from helpdesk.forms import apply_errors
from helpdesk.ids import parse_id
from tickets import directory, permissions, queue_views
from tickets.forms.agent import QueueFilterForm
from tickets.forms.saved_views import SavedViewForm, field_help, from_queue, initial_for
from tickets.models import SavedView, Ticket, TicketField
from tickets.rules import conditions as rule_conditions
from tickets.services import saved_views as services
from tickets.views.agent import _staff, agent_required

PREVIEW_WINDOW = 1000
PREVIEW_SHOWN = 10


def preview(user, data: Any, custom: list[TicketField]) -> dict[str, Any]:
    """Which of the last ``PREVIEW_WINDOW`` tickets ``user`` may see match ``data``: the count
    and the first ``PREVIEW_SHOWN`` (newest first)."""
    condition_set = rule_conditions.parse(data, custom=custom)
    recent = permissions.visible_tickets(user).order_by("-created_at", "-id").values("pk")[:PREVIEW_WINDOW]
    matching = Ticket.objects.filter(pk__in=Subquery(recent)).filter(
        condition_set.q(now=timezone.now(), current_user=user)
    )
    return {
        "count": matching.count(),
        "tickets": list(matching.select_related("requester").order_by("-created_at", "-id")[:PREVIEW_SHOWN]),
        "window": PREVIEW_WINDOW,
    }


def _editor(request: AuthenticatedHttpRequest, view: SavedView | None) -> HttpResponse:
    user = request.user
    from tickets.selectors.custom_fields import active_fields

    custom = active_fields()
    manager = can_manage_desk(user)
    left_out: list[str] = []
    result = None
    if request.method == "POST":
        form = SavedViewForm(request.POST, manager=manager, custom=custom)
        if form.is_valid():
            arguments = form.service_arguments()
            if request.POST.get("action") == "test":
                try:
                    result = preview(user, arguments["conditions"], custom)
                except ValidationError as exc:
                    form.add_error("conditions", exc.messages)
            else:
                try:
                    if view is None:
                        view = services.saved_view_create(actor=user, **arguments)
                        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
                    else:
                        view = services.saved_view_update(actor=user, view=view, **arguments)
                        messages.success(request, _("View “%(name)s” updated.") % {"name": view.name})
                except ValidationError as exc:
                    apply_errors(form, exc)
                except PermissionDenied as exc:
                    form.add_error("scope", str(exc))
                else:
                    return redirect(reverse("agent:queue") + f"?view={view.key}")
    elif view is not None:
        form = SavedViewForm(initial=initial_for(view), manager=manager, custom=custom)
    else:
        views = queue_views.definitions(user)
        filters = QueueFilterForm(
            request.GET,
            agents=_staff(for_display=True),
            teams=directory.teams(),
            views=[(v.key, v.label) for v in views],
        )
        filters.is_valid()  # what could not be read is simply not carried over
        data = getattr(filters, "cleaned_data", {})
        current = queue_views.find(user, data.get("view") or "") or views[0]
        initial, left_out = from_queue(user, current, data, sort_given=bool(request.GET.get("sort")))
        form = SavedViewForm(initial=initial, manager=manager, custom=custom)
    return render(
        request,
        "agent/saved_view.html",
        {
            "form": form,
            "view": view,
            "left_out": left_out,
            "preview": result,
            "fields_help": field_help(custom),
            "nav": "queue",
        },
    )


def _manageable(request: AuthenticatedHttpRequest, pk: Any) -> SavedView:
    """The view ``pk`` if ``request.user`` has it in their queue and may change it (404 if they
    do not have it, 403 if they may not change it)."""
    number = parse_id(pk)
    view = permissions.views_visible_to(request.user).filter(pk=number).first() if number is not None else None
    if view is None and number is not None and can_manage_desk(request.user):
        view = SavedView.objects.exclude(scope="personal").filter(pk=number).first()  # any shared view
    if view is None:
        raise Http404("No such view.")
    if not permissions.may_manage_view(request.user, view):
        raise PermissionDenied(_("You may not change this view."))
    return view


@agent_required
@require_http_methods(["GET", "POST"])
def view_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new view, filled in from the queue's current view and filters (the query string)."""
    return _editor(request, None)


@agent_required
@require_http_methods(["GET", "POST"])
def view_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _editor(request, _manageable(request, pk))


@agent_required
@require_POST
def view_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    view = _manageable(request, pk)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("agent:queue")
